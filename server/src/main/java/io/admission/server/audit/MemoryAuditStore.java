package io.admission.server.audit;

import io.admission.v1.AuditEvent;
import java.util.List;

/**
 * {@code --in-memory}: the newest events in a ring of fixed capacity, also pruned by retention.
 * Nothing survives a restart. Readers and the writer take the store's lock; a page holds it for
 * at most one bounded scan.
 */
final class MemoryAuditStore implements AuditStore {
  private final AuditEvent[] ring;
  /** Sequence of the oldest event kept; equals {@link #next} when empty. */
  private long first = 1;
  private long next = 1;

  MemoryAuditStore(int capacity) {
    this.ring = new AuditEvent[capacity];
  }

  @Override
  public synchronized void append(List<AuditEvent.Builder> events) {
    for (AuditEvent.Builder b : events) {
      long sequence = next++;
      ring[slot(sequence)] = b.setSequence(sequence).build();
      if (next - first > ring.length) {
        first = next - ring.length;
      }
    }
  }

  @Override
  public void sync() {}

  @Override
  public synchronized void prune(long cutoffMillis) {
    while (first < next && AuditStore.millis(ring[slot(first)]) < cutoffMillis) {
      ring[slot(first)] = null;
      first++;
    }
  }

  @Override
  public synchronized Page read(Scan scan, Position from) {
    long sequence = from != null ? Math.max(from.sequence(), first) : firstAtOrAfter(scan.startMillis);
    for (; sequence < next; sequence++) {
      switch (scan.offer(ring[slot(sequence)])) {
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

  /** Binary search: times never decrease along the sequence. */
  private long firstAtOrAfter(long millis) {
    long lo = first;
    long hi = next;
    while (lo < hi) {
      long mid = (lo + hi) >>> 1;
      if (AuditStore.millis(ring[slot(mid)]) < millis) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private int slot(long sequence) {
    return (int) (sequence % ring.length);
  }

  @Override
  public void close() {}
}
