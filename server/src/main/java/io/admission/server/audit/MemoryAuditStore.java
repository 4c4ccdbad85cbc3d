package io.admission.server.audit;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.admission.v1.AuditEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * {@code --in-memory}: the newest events in a ring of fixed capacity, also pruned by retention.
 * Nothing survives a restart. Readers and the writer take the store's lock; a page holds it for
 * at most one bounded scan.
 *
 * <p>The events are kept serialized, in one buffer allocated up front, rather than as message
 * objects. A busy server turns the whole ring over in about a second, so as objects every event
 * outlived a young collection and was copied and promoted only to be dropped soon after — GC work
 * on the server's hot path for a log that is rarely read. Bytes in one array are never copied;
 * a page parses the events it reads.
 *
 * <p>Layout: the buffer is {@link #REGIONS} regions filled in turn, each event's bytes whole in
 * one region. Entering a region forgets the events still in it — the oldest ones, since regions
 * are filled in order — so the ring keeps {@code capacity} events or, when events are larger than
 * {@link #BYTES_PER_EVENT} on average, as many as the bytes hold.
 */
final class MemoryAuditStore implements AuditStore {
  /** Buffer bytes per event of capacity: a grant or release takes 60-150, a hold or denial 200-300. */
  static final int BYTES_PER_EVENT = 256;
  static final int REGIONS = 16;

  private final byte[] buffer;
  private final int regionBytes;
  /** Per sequence slot: where the event's bytes start, how many, and its time. */
  private final int[] start;
  private final int[] length;
  private final long[] millis;
  /** Sequence of the oldest event kept; equals {@link #next} when empty. */
  private long first = 1;
  private long next = 1;
  /** Where the next event's bytes go, and the end of the region that position is in. */
  private int head;
  private int regionEnd;

  MemoryAuditStore(int capacity) {
    this.regionBytes = Math.max(1, (int) Math.min(Integer.MAX_VALUE / REGIONS,
        (long) capacity * BYTES_PER_EVENT / REGIONS));
    this.buffer = new byte[regionBytes * REGIONS];
    this.start = new int[capacity];
    this.length = new int[capacity];
    this.millis = new long[capacity];
    this.regionEnd = regionBytes;
  }

  @Override
  public synchronized void append(List<AuditEvent.Builder> events) {
    for (AuditEvent.Builder b : events) {
      AuditEvent event = b.setSequence(next).build();
      int size = event.getSerializedSize();
      if (size > regionBytes) {
        throw new IllegalArgumentException("an audit event of " + size
            + " bytes does not fit the in-memory ring's regions of " + regionBytes + " bytes");
      }
      if (head + size > regionEnd) {
        enterRegion(regionEnd == buffer.length ? 0 : regionEnd);
      }
      if (next - first == start.length) {
        first++; // full by count: the oldest goes
      }
      write(event, head, size);
      int slot = slot(next);
      start[slot] = head;
      length[slot] = size;
      millis[slot] = AuditStore.millis(event);
      head += size;
      next++;
    }
  }

  /** Moves writing to the region at {@code at}, forgetting the events still in it. */
  private void enterRegion(int at) {
    head = at;
    regionEnd = at + regionBytes;
    while (first < next && start[slot(first)] >= at && start[slot(first)] < regionEnd) {
      first++;
    }
  }

  private void write(AuditEvent event, int at, int size) {
    CodedOutputStream out = CodedOutputStream.newInstance(buffer, at, size);
    try {
      event.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("serializing an audit event into the ring", e);
    }
  }

  @Override
  public void sync() {}

  @Override
  public synchronized void prune(long cutoffMillis) {
    while (first < next && millis[slot(first)] < cutoffMillis) {
      first++;
    }
  }

  @Override
  public synchronized Page read(Scan scan, Position from) {
    long sequence = from != null ? Math.max(from.sequence(), first) : firstAtOrAfter(scan.startMillis);
    for (; sequence < next; sequence++) {
      switch (scan.offer(event(sequence))) {
        case MORE -> { }
        case PAUSE -> {
          return scan.page(new Position(sequence + 1, 0, 0));
        }
        case END -> {
          return scan.page(null);
        }
      }
    }
    return scan.page(null);
  }

  private AuditEvent event(long sequence) {
    int slot = slot(sequence);
    try {
      return AuditEvent.parser().parseFrom(buffer, start[slot], length[slot]);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("audit event " + sequence + " in the ring is corrupt", e);
    }
  }

  /** Binary search: times never decrease along the sequence. */
  private long firstAtOrAfter(long at) {
    long lo = first;
    long hi = next;
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      if (millis[slot(mid)] < at) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private int slot(long sequence) {
    return (int) (sequence % start.length);
  }

  @Override
  public void close() {}
}
