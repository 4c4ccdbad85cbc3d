package io.admission.server.journal;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.Snapshots;
import io.admission.server.journal.proto.Entry;
import io.admission.server.loop.CommandLog;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The local command log in {@code --data-dir}: every state-changing command with the time the loop
 * stamped on it, as CRC32C-checked length-delimited protobuf records in numbered segments, made
 * durable once per loop turn (group commit: all callers of a turn share one fsync). Every so many
 * records or seconds the loop hands it a snapshot of the engine; once that is durable, the
 * segments it covers are deleted. Start-up ({@link #open}) loads the newest snapshot and replays
 * the journal after it.
 *
 * <p>Owned by the loop thread, except snapshot writing, which runs on its own thread on an
 * immutable {@link EngineSnapshot}.
 */
public final class Journal implements CommandLog {
  private static final System.Logger LOG = System.getLogger(Journal.class.getName());

  /** When to roll segments and take snapshots. */
  public record Options(long segmentBytes, long snapshotEveryEntries, long snapshotEveryMillis) {
    public static final Options DEFAULT = new Options(64L << 20, 200_000, 60_000);
  }

  private final DataDir dir;
  private final Options options;
  private final Engine engine;
  private final ExecutorService snapshotWriter =
      Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "admission-snapshot");
        t.setDaemon(true);
        return t;
      });
  private final AtomicBoolean snapshotInFlight = new AtomicBoolean();
  private final FileLock lock;
  /** The turn's records, written and synced together. */
  private ByteBuffer pending = ByteBuffer.allocate(1 << 16);
  private FileChannel segment;
  private long segmentSize;
  private long nextEntry;
  private long entriesSinceSnapshot;
  private long lastSnapshotAt;
  private static final long UNSET = Long.MIN_VALUE;

  private Journal(DataDir dir, Options options, Recovery.Result recovered, FileLock lock) throws IOException {
    this.dir = dir;
    this.options = options;
    this.engine = recovered.engine();
    this.lock = lock;
    this.nextEntry = recovered.nextEntry();
    this.entriesSinceSnapshot = recovered.replayed();
    // Time-based snapshots count from the last stamped command, or from the first turn if none.
    this.lastSnapshotAt = recovered.replayed() > 0 ? recovered.lastNow() : UNSET;
    if (recovered.lastSegment() != null) {
      segment = FileChannel.open(recovered.lastSegment(), StandardOpenOption.WRITE);
      segmentSize = recovered.lastSegmentLength();
      segment.position(segmentSize);
    } else {
      openSegment();
    }
  }

  /**
   * Opens {@code path}: takes its lock, recovers the engine (newest snapshot, then the journal
   * after it; a torn last record is cut off, any other damage stops the start with the file and
   * offset) and makes the journal ready to append.
   */
  public static Journal open(Path path, Options options) throws IOException {
    DataDir dir = new DataDir(path);
    FileLock lock = dir.lock();
    try {
      return new Journal(dir, options, Recovery.run(dir), lock);
    } catch (IOException | RuntimeException e) {
      lock.release();
      lock.channel().close();
      throw e;
    }
  }

  /** The engine as recovered at open; the loop takes it over. */
  public Engine engine() {
    return engine;
  }

  /** Index of the next record; equals the number of records ever appended. */
  public long nextEntry() {
    return nextEntry;
  }

  @Override
  public void append(Commands.Command<?> command, long stampedAt) throws IOException {
    Entry entry = JournalCodec.encode(command, stampedAt);
    if (entry == null) {
      return;
    }
    byte[] payload = entry.toByteArray();
    ByteBuffer buf = room(Records.HEADER + payload.length);
    Records.write(buf, payload);
    nextEntry++;
    entriesSinceSnapshot++;
  }

  /** One write and one fsync for everything the turn appended. */
  @Override
  public void sync() throws IOException {
    ByteBuffer buf = pending;
    if (buf.position() == 0) {
      return;
    }
    buf.flip();
    while (buf.hasRemaining()) {
      segmentSize += segment.write(buf);
    }
    buf.clear();
    segment.force(false);
    if (segmentSize >= options.segmentBytes()) {
      roll();
    }
  }

  /**
   * After a durable turn: if enough records or time went by, start a new segment, capture the
   * engine (on the loop thread; O(state)) and write the snapshot in the background. Only one is
   * written at a time.
   */
  @Override
  public void checkpoint(Engine live, long now) throws IOException {
    if (lastSnapshotAt == UNSET) {
      lastSnapshotAt = now;
    }
    boolean due = entriesSinceSnapshot >= options.snapshotEveryEntries()
        || (entriesSinceSnapshot > 0 && now - lastSnapshotAt >= options.snapshotEveryMillis());
    if (!due || !snapshotInFlight.compareAndSet(false, true)) {
      return;
    }
    roll(); // the snapshot then covers exactly the segments before the current one
    long covered = nextEntry;
    EngineSnapshot snapshot = Snapshots.capture(live);
    entriesSinceSnapshot = 0;
    lastSnapshotAt = now;
    snapshotWriter.execute(() -> {
      try {
        dir.writeSnapshot(JournalCodec.encode(snapshot, covered).toByteArray(), covered);
        dir.deleteCoveredBy(covered);
      } catch (IOException | RuntimeException e) {
        // The journal still holds everything: a failed snapshot costs replay time, not data.
        LOG.log(Level.ERROR, "writing the snapshot at entry " + covered + " failed", e);
      } finally {
        snapshotInFlight.set(false);
      }
    });
  }

  /** Waits for a snapshot being written; for tests and shutdown. */
  public void awaitSnapshot() throws InterruptedException {
    while (snapshotInFlight.get()) {
      Thread.sleep(1);
    }
  }

  @Override
  public void close() throws IOException {
    snapshotWriter.shutdown();
    try {
      snapshotWriter.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sync();
    segment.close();
    lock.release();
    lock.channel().close();
  }

  private void roll() throws IOException {
    sync();
    if (segmentSize == 0) {
      return; // already a fresh segment starting at nextEntry (e.g. reopened after a crash)
    }
    segment.close();
    openSegment();
  }

  private void openSegment() throws IOException {
    segment = dir.createSegment(nextEntry);
    segmentSize = 0;
  }

  private ByteBuffer room(int bytes) {
    if (pending.remaining() < bytes) {
      ByteBuffer bigger =
          ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + bytes));
      pending.flip();
      bigger.put(pending);
      pending = bigger;
    }
    return pending;
  }
}
