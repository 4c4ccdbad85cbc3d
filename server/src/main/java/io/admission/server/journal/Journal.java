package io.admission.server.journal;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Snapshots;
import io.admission.server.journal.proto.Record;
import io.admission.server.loop.Applier;
import io.admission.server.loop.CommandLog;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The local command log in {@code --data-dir}: every state-changing command with the time the loop
 * stamped on it, as CRC32C-checked length-delimited protobuf records (format 2, the engine's own
 * commands) in numbered segments. Every so many records or seconds the loop hands it a snapshot of
 * the engine; once that is durable, the segments it covers are deleted. Start-up ({@link #open})
 * converts a format 1 directory, loads the newest snapshot and replays the journal after it.
 *
 * <p>Threads: the loop thread appends records into a buffer and, once per turn, {@link #commit
 * commits} it: the buffer goes to the "admission-journal" thread, which writes and fsyncs
 * everything handed to it since its last fsync (group commit over as many turns as arrived
 * meanwhile), then publishes {@link #durable()} and wakes the loop. The loop never waits for the
 * disk: turn N's fsync overlaps applying turn N+1. Which segment a record goes to is decided on
 * the loop thread (so that a record's file and offset are known when it is appended); the journal
 * thread follows those decisions in order. Snapshots are written on a third thread, and only once
 * the records they cover are durable.
 */
public final class Journal implements CommandLog {
  private static final System.Logger LOG = System.getLogger(Journal.class.getName());
  private static final int BUFFER_BYTES = 1 << 16;

  /** When to roll segments and take snapshots. */
  public record Options(long segmentBytes, long snapshotEveryEntries, long snapshotEveryMillis) {
    public static final Options DEFAULT = new Options(64L << 20, 200_000, 60_000);
  }

  /** What the loop hands to the journal thread, in order. */
  private sealed interface Handed permits Write, Roll {}

  /** Records ending before entry {@code end}, for the current segment. */
  private record Write(ByteBuffer records, long end) implements Handed {}

  /** Close the current segment; later records go to the one starting at {@code firstEntry}. */
  private record Roll(long firstEntry) implements Handed {}

  private final DataDir dir;
  private final Options options;
  private final Engine engine;
  private final FileLock lock;
  private final Thread syncer;
  private final ConcurrentLinkedQueue<Handed> handed = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<ByteBuffer> spare = new ConcurrentLinkedQueue<>();
  private final ExecutorService snapshotWriter =
      Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "admission-snapshot");
        t.setDaemon(true);
        return t;
      });
  private final AtomicBoolean snapshotInFlight = new AtomicBoolean();
  private final AtomicLong snapshotFailures = new AtomicLong();
  /** The size of the last snapshot written (the snapshot thread's; 0 before the first). */
  private volatile long lastSnapshotBytes;
  private volatile long durable;
  private volatile IOException failure;
  private volatile Runnable wake = () -> {};
  private volatile boolean closing;
  /** Set by the journal thread before it parks with nothing to do: a commit must unpark it. */
  private final AtomicBoolean asleep = new AtomicBoolean();

  // ---- The loop thread's ------------------------------------------------------------------
  /** The turn's records, not yet handed over. */
  private ByteBuffer pending = ByteBuffer.allocate(BUFFER_BYTES);
  private long nextEntry;
  private long committed;
  /** The segment the next record goes to, and its size with every record appended so far. */
  private long segmentFirst;
  private long segmentBytes;
  private long lastEntry = -1;
  private long lastEntrySegment;
  private long lastEntryOffset;
  private long entriesSinceSnapshot;
  /** Journal bytes appended since the last snapshot was taken. */
  private long bytesSinceSnapshot;
  private long lastSnapshotAt;
  private static final long UNSET = Long.MIN_VALUE;

  // ---- The journal thread's ---------------------------------------------------------------
  private FileChannel segment;

  private Journal(DataDir dir, Options options, Recovery.Result recovered, FileLock lock) throws IOException {
    this.dir = dir;
    this.options = options;
    this.engine = recovered.engine();
    this.lock = lock;
    this.nextEntry = recovered.nextEntry();
    this.committed = nextEntry;
    this.durable = nextEntry;
    this.entriesSinceSnapshot = recovered.replayed();
    // Carried over, so that a restart does not make a full snapshot due at once (0 >= 0): the
    // size rule in checkpoint goes on from the snapshot and the records the start read.
    this.lastSnapshotBytes = recovered.snapshotBytes();
    this.bytesSinceSnapshot = recovered.replayedBytes();
    // Time-based snapshots count from the last stamped command, or from the first turn if none.
    this.lastSnapshotAt = recovered.replayed() > 0 ? recovered.lastNow() : UNSET;
    if (recovered.lastSegment() != null) {
      segment = FileChannel.open(recovered.lastSegment(), StandardOpenOption.WRITE);
      segmentFirst = DataDir.index(recovered.lastSegment());
      segmentBytes = recovered.lastSegmentLength();
      segment.position(segmentBytes);
    } else {
      segment = dir.createSegment(nextEntry);
      segmentFirst = nextEntry;
    }
    syncer = new Thread(this::syncLoop, "admission-journal");
    syncer.setDaemon(true);
    syncer.start();
  }

  /**
   * Opens {@code path}: takes its lock, converts a format 1 directory, recovers the engine (newest
   * snapshot, then the journal after it; a torn last record is cut off, any other damage stops the
   * start with the file and offset) and makes the journal ready to append.
   */
  public static Journal open(Path path, Options options) throws IOException {
    return open(path, options, Applier.ENGINE);
  }

  /** The same, replaying through {@code applier} (tests inject faults there). */
  public static Journal open(Path path, Options options, Applier applier) throws IOException {
    DataDir dir = new DataDir(path, DataDir.FORMAT2);
    FileLock lock = dir.lock();
    try {
      // Secret, so that clients cannot choose call_ids that collide in the ended-call index.
      IdHashKey idHashKey = IdHashKey.from(new SecureRandom());
      DataFormat.prepare(dir, idHashKey);
      return new Journal(dir, options, Recovery.run(dir, Recovery.FORMAT2, applier, idHashKey), lock);
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

  /** Background snapshot writes that failed since start (each is logged; the journal keeps all). */
  public long snapshotFailures() {
    return snapshotFailures.get();
  }

  @Override
  public long append(Commands.Command<?> command, long stampedAt) throws IOException {
    int size = JournalCodec.directSize(command, stampedAt);
    byte[] payload = null;
    if (size < 0) { // not one of the hot commands: through a protobuf message
      Record record = JournalCodec.encode(command, stampedAt);
      if (record == null) {
        return nextEntry; // not logged (a Tick): nothing to take back either
      }
      payload = record.toByteArray();
      size = payload.length;
    }
    ByteBuffer buf = room(Records.HEADER + size);
    if (payload != null) {
      Records.write(buf, payload);
    } else {
      JournalCodec.writeDirect(buf, command, stampedAt, size);
    }
    lastEntry = nextEntry;
    lastEntrySegment = segmentFirst;
    lastEntryOffset = segmentBytes;
    segmentBytes += Records.HEADER + size;
    bytesSinceSnapshot += Records.HEADER + size;
    entriesSinceSnapshot++;
    return nextEntry++;
  }

  @Override
  public void retract(long entry) {
    if (entry != lastEntry || entry != nextEntry - 1 || entry < committed) {
      return; // not logged (a Tick), or no longer the last uncommitted record
    }
    int bytes = (int) (segmentBytes - lastEntryOffset);
    pending.position(pending.position() - bytes);
    bytesSinceSnapshot -= bytes;
    segmentBytes = lastEntryOffset;
    nextEntry--;
    entriesSinceSnapshot--;
    lastEntry = -1;
  }

  @Override
  public long commit() throws IOException {
    IOException failed = failure;
    if (failed != null) {
      throw failed;
    }
    if (pending.position() > 0) {
      pending.flip();
      handed.offer(new Write(pending, nextEntry));
      ByteBuffer next = spare.poll();
      pending = next != null ? next : ByteBuffer.allocate(BUFFER_BYTES);
      committed = nextEntry;
      if (segmentBytes >= options.segmentBytes()) {
        rollAt(nextEntry);
      }
      wakeSyncer();
    }
    return committed;
  }

  @Override
  public long durable() {
    return durable;
  }

  @Override
  public IOException failure() {
    return failure;
  }

  @Override
  public void onProgress(Runnable wake) {
    this.wake = wake;
  }

  @Override
  public String where(long entry) {
    return entry == lastEntry
        ? dir.segment(lastEntrySegment) + ", byte offset " + lastEntryOffset
        : dir.root() + ", entry " + entry;
  }

  /** Commits and waits until everything appended is durable; for tests and shutdown. */
  public void flush() throws IOException {
    long target = commit();
    while (durable < target) {
      IOException failed = failure;
      if (failed != null) {
        throw failed;
      }
      LockSupport.parkNanos(100_000);
    }
  }

  /**
   * After a turn: if enough records or time went by, start a new segment, take the engine's state
   * (on the loop thread; it changes nothing; a memcpy for the remembered calls, objects only for
   * orgs and live calls) and write the snapshot in the background, streamed, once the records it
   * covers are durable. Only one is written at a time.
   */
  @Override
  public void checkpoint(Engine live, long now) throws IOException {
    if (lastSnapshotAt == UNSET) {
      lastSnapshotAt = now;
    }
    // A snapshot costs O(state) — with 10 minutes of ended calls remembered, millions of them —
    // so it waits until the journal since the last one is at least as large as that one: replay
    // then reads no more than twice a snapshot's worth, and snapshotting costs O(1) per record.
    // Taken every 200 k records regardless, at 30 k pairs/s with 2 M remembered calls, it cost
    // the server 3x the CPU per pair of an in-memory one (41.8 µs against 13.5 µs).
    boolean due = (entriesSinceSnapshot >= options.snapshotEveryEntries()
        || (entriesSinceSnapshot > 0 && now - lastSnapshotAt >= options.snapshotEveryMillis()))
        && bytesSinceSnapshot >= lastSnapshotBytes;
    if (!due || failure != null || !snapshotInFlight.compareAndSet(false, true)) {
      return;
    }
    commit();
    if (segmentBytes > 0) {
      rollAt(nextEntry); // the snapshot then covers exactly the segments before the current one
      wakeSyncer();
    }
    long covered = nextEntry;
    // On the loop thread only a copy: the orgs and live calls as values, the remembered calls as
    // their bytes. Turning those into the snapshot's messages happens on the snapshot thread.
    Snapshots.Taken snapshot;
    try {
      snapshot = Snapshots.take(live);
    } catch (RuntimeException | OutOfMemoryError e) {
      // Like a failed write, a failed capture costs replay time, not data: the journal keeps
      // every record, and the next checkpoint tries again.
      snapshotFailures.incrementAndGet();
      snapshotInFlight.set(false);
      LOG.log(Level.ERROR, "capturing the snapshot at entry " + covered + " failed; the journal"
          + " keeps every record, so nothing is lost (" + e + ")", e);
      return;
    }
    entriesSinceSnapshot = 0;
    bytesSinceSnapshot = 0;
    lastSnapshotAt = now;
    snapshotWriter.execute(() -> writeSnapshot(snapshot, covered));
  }

  private void writeSnapshot(Snapshots.Taken snapshot, long covered) {
    try {
      while (durable < covered) {
        if (failure != null || closing && !syncer.isAlive()) {
          return; // never durable: a snapshot must not get ahead of the journal
        }
        LockSupport.parkNanos(1_000_000);
      }
      long began = System.nanoTime();
      lastSnapshotBytes =
          dir.writeSnapshot(out -> JournalCodec.writeSnapshot(snapshot, covered, out), covered);
      dir.deleteCoveredBy(covered);
      LOG.log(Level.INFO, () -> String.format(java.util.Locale.ROOT, "snapshot at entry %d written:"
          + " %.1f MB in %d ms", covered, lastSnapshotBytes / 1e6, (System.nanoTime() - began) / 1_000_000));
    } catch (IOException | RuntimeException | OutOfMemoryError e) {
      // The journal still holds everything: a failed snapshot costs replay time, not data.
      snapshotFailures.incrementAndGet();
      LOG.log(Level.ERROR, "writing the snapshot at entry " + covered + " in " + dir.root()
          + " failed; the journal keeps every record, so nothing is lost (" + e + ")", e);
    } finally {
      snapshotInFlight.set(false);
    }
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
    IOException failed = null;
    try {
      flush();
    } catch (IOException e) {
      failed = e;
    }
    closing = true;
    LockSupport.unpark(syncer);
    try {
      syncer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    segment.close();
    lock.release();
    lock.channel().close();
    if (failed != null) {
      throw failed;
    }
  }

  private void rollAt(long firstEntry) {
    handed.offer(new Roll(firstEntry));
    segmentFirst = firstEntry;
    segmentBytes = 0;
  }

  /**
   * Wakes the journal thread if it sleeps. While it writes or syncs (nearly always, under load) it
   * finds what was handed over when it next looks, and the loop pays no system call per turn.
   */
  private void wakeSyncer() {
    if (asleep.get() && asleep.compareAndSet(true, false)) {
      LockSupport.unpark(syncer);
    }
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

  // ---- The journal thread -----------------------------------------------------------------

  /**
   * Writes what the loop handed over, in order, and fsyncs once it has caught up: every turn that
   * arrived during one fsync shares the next. Stops at the first failure: the loop then refuses
   * everything (fail-stop), since it cannot know which records reached the disk.
   */
  private void syncLoop() {
    long written = durable;
    List<ByteBuffer> gathered = new ArrayList<>();
    try {
      while (true) {
        Handed next = handed.poll();
        if (next instanceof Write w) {
          written = write(w, gathered);
        } else if (next instanceof Roll r) {
          written = sync(written);
          segment.close();
          segment = dir.createSegment(r.firstEntry());
        } else if (written > durable) {
          written = sync(written);
        } else if (closing) {
          return;
        } else {
          // Asleep only once the flag is set and the queue is still empty: a commit that comes
          // after this check sees the flag and unparks; one that came before is found here.
          asleep.set(true);
          if (handed.isEmpty() && !closing) {
            LockSupport.park(this);
          }
          asleep.set(false);
        }
      }
    } catch (IOException | RuntimeException e) {
      IOException failed = e instanceof IOException io ? io
          : new IOException("the journal thread failed: " + e, e);
      LOG.log(Level.ERROR, "writing the journal in " + dir.root() + " failed; the server applies"
          + " nothing more until restarted", failed);
      failure = failed;
      wake.run();
    }
  }

  /**
   * Writes {@code first} and every Write queued behind it (turns that came during the last sync)
   * with one gathering write. Returns the entry count they end at.
   */
  private long write(Write first, List<ByteBuffer> gathered) throws IOException {
    gathered.add(first.records());
    long end = first.end();
    while (handed.peek() instanceof Write more) { // the only consumer: peek, then poll, is safe
      handed.poll();
      gathered.add(more.records());
      end = more.end();
    }
    ByteBuffer[] buffers = gathered.toArray(new ByteBuffer[0]);
    ByteBuffer last = buffers[buffers.length - 1];
    while (last.hasRemaining()) {
      segment.write(buffers);
    }
    for (ByteBuffer records : buffers) {
      records.clear();
      if (records.capacity() == BUFFER_BYTES) {
        spare.offer(records);
      }
    }
    gathered.clear();
    return end;
  }

  private long sync(long written) throws IOException {
    if (written > durable) {
      segment.force(false);
      durable = written;
      wake.run();
    }
    return written;
  }
}
