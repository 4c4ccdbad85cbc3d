package io.admission.server.cluster;

import io.admission.server.engine.Engine;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Snapshots;
import io.admission.server.journal.ReplicatedEntries;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.ReplicatedLog;
import io.admission.server.loop.Reply;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;

/**
 * The engine as Ratis' state machine: the leader stamps its time on each entry as it orders it
 * ({@link #startTransaction}); every replica hands committed entries, in order, to its loop, which
 * applies them ({@link EventLoop#committed}); snapshots are the engine's own, captured on the loop
 * thread at the last entry applied and written on a thread of their own, so that Ratis goes on
 * applying entries while a large one is written ({@link #takeSnapshot}).
 *
 * <p>Ratis' entries that are not the state machine's (its configuration and term markers) also
 * pass through the loop, so that the index it reports as applied only ever moves forward and
 * always matches the engine's state.
 */
final class ReplicaStateMachine extends BaseStateMachine {
  private static final System.Logger LOG = System.getLogger(ReplicaStateMachine.class.getName());
  private static final long SNAPSHOT_TIMEOUT_SECONDS = 60;
  private static final long NUDGE_TIMEOUT_MILLIS = 60_000;

  /**
   * Ratis cleans up old snapshots on its updater thread after each call to {@link #takeSnapshot},
   * while a snapshot may be being put in place on the writer thread: between the file's move and
   * its MD5 file, it would find a snapshot without one (and warn of it). Under this lock the two
   * steps go together and the clean-up waits for them (a rename and a small file, never the
   * write itself).
   */
  private final Object placing = new Object();
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage() {
    @Override
    public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
      synchronized (placing) {
        super.cleanupOldSnapshots(policy);
      }
    }
  };
  /**
   * The latest snapshot here, or null: read from the storage when it may have changed (at start,
   * after taking one, after installing the leader's). The storage remembers only a snapshot it
   * found and lists its directory again on every question while there is none; Ratis asks on every
   * append from the leader, so until the first snapshot (200,000 entries by default) each entry
   * cost every follower a directory listing (JFR: readdir under checkInconsistentAppendEntries).
   */
  private volatile SingleFileSnapshotInfo latest;
  private final InstantSource clock;
  private final IdHashKey idHashKey = IdHashKey.from(new SecureRandom());
  /** The last time stamped as leader: stamps never go back on one leader. */
  private long lastStamp = Long.MIN_VALUE;
  /** The engine loaded at start, before the loop exists. */
  private volatile Engine initial;
  private volatile EventLoop loop;
  /** Entries committed before the loop was attached, in order. */
  private final List<ReplicatedLog.Committed> early = new ArrayList<>();
  /**
   * The engine the loop was built on ({@link #initialEngine}), null before; under this object's
   * lock. Should {@link #initial} differ from it at attach, the leader's snapshot was installed in
   * between, and the loop starts from that instead.
   */
  private Engine handedOut;
  private volatile Runnable onLeaderChange = () -> { };

  private final Engine.Bounds bounds;

  /**
   * Writes snapshot files, one at a time, off Ratis' updater thread (see {@link #takeSnapshot}).
   * Its thread ends when idle: a node may host dozens of groups, each with a writer.
   */
  private final ThreadPoolExecutor writer;
  /** The write under way, or finished and not yet reported to Ratis; null if none. */
  private volatile CompletableFuture<SingleFileSnapshotInfo> writing;
  /** Set while a request for Ratis to call {@link #takeSnapshot} is outstanding (see nudge). */
  private final AtomicBoolean nudged = new AtomicBoolean();
  private final ClientId nudgeClient = ClientId.randomId();
  private final AtomicLong nudges = new AtomicLong();
  private volatile Runnable beforeWrite = () -> { };

  ReplicaStateMachine(InstantSource clock, Engine.Bounds bounds) {
    this.clock = clock;
    this.bounds = bounds;
    this.writer = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "admission-cluster-snapshot");
      t.setDaemon(true);
      return t;
    });
    writer.allowCoreThreadTimeOut(true);
  }

  /** The engine as restored from the latest snapshot (or empty), for the loop to start with. */
  synchronized Engine initialEngine() {
    handedOut = initial;
    return initial;
  }

  /**
   * From now on committed entries go to {@code loop}; those that came earlier go first, after the
   * leader's snapshot if one was installed since the loop's engine was taken.
   */
  synchronized void attach(EventLoop loop) {
    if (handedOut != null && initial != handedOut) {
      loop.replaceEngine(initial, latest == null ? 0 : latest.getIndex(), () -> { });
    }
    early.forEach(loop::committed);
    early.clear();
    this.loop = loop;
  }

  void onLeaderChange(Runnable listener) {
    this.onLeaderChange = listener;
  }

  private void hand(ReplicatedLog.Committed entry) {
    EventLoop l = loop;
    if (l == null) {
      synchronized (this) {
        if (loop == null) {
          early.add(entry);
          return;
        }
        l = loop;
      }
    }
    l.committed(entry);
  }

  // ---- Start and catching up --------------------------------------------------------------

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage)
      throws IOException {
    super.initialize(server, groupId, raftStorage);
    getLifeCycle().startAndTransition(() -> {
      storage.init(raftStorage);
      latest = storage.loadLatestSnapshot();
      initial = load(latest);
    });
  }

  /** Ratis pauses the state machine before it installs a snapshot from the leader. */
  @Override
  public void pause() {
    getLifeCycle().transition(LifeCycle.State.PAUSING);
    getLifeCycle().transition(LifeCycle.State.PAUSED);
  }

  @Override
  public void reinitialize() throws IOException {
    // Ratis installed a snapshot from the leader: this replica was too far behind its log.
    EventLoop l = loop;
    if (l != null) {
      // Entries handed over before the pause are applied (to the old state) first.
      CompletableFuture<Object> drained = new CompletableFuture<>();
      l.readNow((engine, now) -> Boolean.TRUE, Reply.into(drained));
      await(drained, "applying the entries before the leader's snapshot");
    }
    SingleFileSnapshotInfo installed = storage.loadLatestSnapshot();
    latest = installed;
    Engine engine = load(installed);
    long index = installed == null ? 0 : installed.getIndex();
    List<ReplicatedLog.Committed> covered = List.of();
    synchronized (this) {
      if (loop == null) {
        // Still starting. The entries handed over so far came before the snapshot, which covers
        // them: applied on top of it they would count twice. And once Main has built the loop on
        // the engine loaded at start, the loop must start from this one instead, or it would miss
        // every entry the snapshot covers (a replica that disagreed with the others for good).
        covered = List.copyOf(early);
        early.clear();
        initial = engine;
      } else {
        l = loop;
      }
    }
    covered.forEach(entry -> entry.done().accept(null)); // applied: the snapshot holds them
    if (l != null) {
      CompletableFuture<Void> replaced = new CompletableFuture<>();
      l.replaceEngine(engine, index, () -> replaced.complete(null));
      await(replaced, "replacing the engine with the leader's snapshot");
    }
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  /** The engine {@code latest} holds (the latest snapshot here), or an empty one if null. */
  private Engine load(SingleFileSnapshotInfo latest) throws IOException {
    if (latest == null) {
      Engine empty = new Engine(idHashKey);
      empty.bound(bounds);
      return empty;
    }
    Path file = latest.getFile().getPath();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      Engine engine = ReplicatedEntries.readSnapshot(in, idHashKey);
      setLastAppliedTermIndex(latest.getTermIndex());
      LOG.log(Level.INFO, "restored the engine from " + file + " (entry " + latest.getIndex() + ")");
      engine.bound(bounds); // from the first entry on: replicas refuse alike
      return engine;
    }
  }

  @Override
  public SingleFileSnapshotInfo getLatestSnapshot() {
    return latest;
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  // ---- Ordering and applying --------------------------------------------------------------

  /** On the leader only, as it orders a proposal: stamps the entry with the leader's time. */
  @Override
  public TransactionContext startTransaction(RaftClientRequest request) {
    long now;
    synchronized (this) {
      now = Math.max(lastStamp, clock.millis());
      lastStamp = now;
    }
    ByteString proposal = request.getMessage().getContent();
    ByteString stamped = proposal.concat(UnsafeByteOperations.unsafeWrap(ReplicatedEntries.stampOf(now)));
    return TransactionContext.newBuilder()
        .setStateMachine(this)
        .setClientRequest(request)
        .setLogData(stamped)
        .build();
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    RaftProtos.LogEntryProto entry = trx.getLogEntry();
    long term = entry.getTerm();
    long index = entry.getIndex();
    ReplicatedEntries.Entry decoded;
    try {
      decoded = ReplicatedEntries.decode(entry.getStateMachineLogEntry().getLogData().toByteArray());
    } catch (IOException e) {
      LOG.log(Level.ERROR, "log entry " + index + " cannot be applied: " + e.getMessage(), e);
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<Message> applied = new CompletableFuture<>();
    hand(new ReplicatedLog.Committed(decoded.origin(), decoded.proposal(), decoded.stampedAt(),
        decoded.commands(), decoded.actors(), failure -> {
          if (failure == null) {
            applied(term, index);
            applied.complete(Message.EMPTY);
          } else {
            applied.completeExceptionally(failure);
          }
        }));
    return applied;
  }

  /** Ratis' own entries: applied in turn with the others, so the applied index only goes forward. */
  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    hand(new ReplicatedLog.Committed("", 0, Long.MIN_VALUE, List.of(), List.of(), failure -> {
      if (failure == null) {
        applied(term, index);
      }
    }));
  }

  /**
   * Moves the applied index forward (on the loop thread). An entry handed over before a snapshot
   * from the leader replaced the state is behind that snapshot's index: it leaves the index as is.
   */
  private void applied(long term, long index) {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || index > last.getIndex()) {
      updateLastAppliedTermIndex(term, index);
    }
  }

  /**
   * A read index reached: Ratis calls this once every entry up to it is applied (their futures
   * complete only when the loop has applied them), so the read that waited may go on.
   */
  @Override
  public CompletableFuture<Message> query(Message request) {
    return CompletableFuture.completedFuture(Message.EMPTY);
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    onLeaderChange.run();
  }

  // ---- Snapshots --------------------------------------------------------------------------

  private record Captured(Snapshots.Taken state, TermIndex at) {}

  /**
   * Ratis calls this on its updater thread, the one that hands committed entries over, whenever
   * enough entries were applied since the last snapshot it recorded. Writing the file there held
   * back every commit of the group until the write ended: measured, three nodes under 256 callers
   * after some 400,000 entries wrote a 360 MB snapshot and no write in the cluster completed for
   * more than 4 s. So only the capture runs here (on the loop thread, at the last entry applied:
   * it copies the engine's bytes); the file is written, synced and checksummed on a thread of its
   * own, as the single-node journal does, and Ratis learns of the snapshot at a later call.
   *
   * <p>Returns the index of a write that has finished since the last call (Ratis then records the
   * snapshot and purges its log up to it), or {@link RaftLog#INVALID_LOG_INDEX} while one is under
   * way or after starting one (Ratis then records and purges nothing, and asks again after the
   * next entries it applies). A write that failed is thrown here, once: Ratis logs it and asks
   * again later, and the log still holds everything.
   */
  @Override
  public long takeSnapshot() throws IOException {
    CompletableFuture<SingleFileSnapshotInfo> w = writing;
    if (w != null) {
      if (!w.isDone()) {
        return RaftLog.INVALID_LOG_INDEX;
      }
      writing = null;
      try {
        return record(w.join());
      } catch (CompletionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof IOException io ? io : new IOException("writing the snapshot failed", cause);
      }
    }
    if (nudged.getAndSet(false)) {
      // Most likely the call a finished write asked for (see nudge), and the write was already
      // recorded at an earlier call: nothing is due, and a new capture would only copy the engine
      // again. Were it Ratis' own call after all, it comes again with the next entries applied.
      return RaftLog.INVALID_LOG_INDEX;
    }
    EventLoop l = loop;
    if (l == null) {
      return RaftLog.INVALID_LOG_INDEX;
    }
    CompletableFuture<Captured> capture = new CompletableFuture<>();
    l.readNow((engine, now) -> new Captured(Snapshots.take(engine), getLastAppliedTermIndex()),
        Reply.into(capture));
    Captured captured = await(capture, "capturing the engine for a snapshot");
    if (captured.at() == null) {
      return RaftLog.INVALID_LOG_INDEX;
    }
    CompletableFuture<SingleFileSnapshotInfo> written = new CompletableFuture<>();
    try {
      writer.execute(() -> write(captured, written));
    } catch (RejectedExecutionException e) { // closing: Ratis asks once more as it stops
      return RaftLog.INVALID_LOG_INDEX;
    }
    writing = written;
    return RaftLog.INVALID_LOG_INDEX;
  }

  /**
   * Makes {@code written} this replica's latest snapshot, as Ratis is about to record it; on
   * Ratis' updater thread, like {@link #reinitialize}. A snapshot from the leader installed while
   * this one was being written is newer: this one is then dropped, since neither {@code latest}
   * nor Ratis' snapshot index may go back (Ratis stops the server if told of an older one).
   */
  private long record(SingleFileSnapshotInfo written) {
    SingleFileSnapshotInfo was = latest;
    if (was != null && written.getIndex() <= was.getIndex()) {
      LOG.log(Level.INFO, "the snapshot at entry " + written.getIndex() + " was written after the"
          + " leader's at entry " + was.getIndex() + " was installed: it is not used");
      return RaftLog.INVALID_LOG_INDEX;
    }
    storage.updateLatestSnapshot(written);
    latest = written;
    return written.getIndex();
  }

  /**
   * On the writer thread: writes {@code captured} to a temporary file, syncs it, moves it into
   * place and saves its MD5 (computed as the bytes go out, not by reading hundreds of MB again),
   * then completes {@code done}. The MD5 file comes last: Ratis deletes an MD5 file whose
   * snapshot is missing when it cleans up old snapshots (see {@link #placing}).
   */
  private void write(Captured captured, CompletableFuture<SingleFileSnapshotInfo> done) {
    TermIndex at = captured.at();
    File file = storage.getSnapshotFile(at.getTerm(), at.getIndex());
    Path tmp = file.toPath().resolveSibling(file.getName() + ".tmp");
    long began = System.nanoTime();
    try {
      beforeWrite.run();
      MessageDigest digest = MD5FileUtil.newMD5();
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
          OutputStream out = new BufferedOutputStream(
              new DigestOutputStream(Channels.newOutputStream(ch), digest), 1 << 16)) {
        ReplicatedEntries.writeSnapshot(captured.state(), out);
        out.flush();
        ch.force(true);
      }
      MD5Hash md5 = MD5Hash.newInstance(digest.digest());
      synchronized (placing) {
        Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE);
        MD5FileUtil.saveMD5File(file, md5);
      }
      done.complete(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), at));
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the next write at this entry truncates it
      }
      LOG.log(Level.WARNING, "writing the snapshot at entry " + at.getIndex() + " to " + file
          + " failed; the log still holds what it would have covered", e);
      done.completeExceptionally(e);
      return;
    }
    LOG.log(Level.INFO, () -> String.format(Locale.ROOT, "snapshot at entry %d written: %.1f MB in"
        + " %d ms", at.getIndex(), file.length() / 1e6, (System.nanoTime() - began) / 1_000_000));
    nudge();
  }

  /**
   * Ratis calls {@link #takeSnapshot} again only after it applies more entries: a group that has
   * gone quiet would never record the snapshot just written, nor purge its log. A snapshot
   * request to this server makes its updater call again, now. It names a creation gap of one
   * entry, since Ratis answers it without calling when the latest snapshot it is shown is within
   * the gap of the applied index, and the default gap (1,024 entries) may exceed the snapshot
   * interval; until the call, {@code latest} is still the snapshot before this one. Whatever the
   * answer, the next call also reports the write, so a failure is only logged.
   */
  private void nudge() {
    RaftServer server = getServer().getNow(null);
    if (server == null) {
      return;
    }
    nudged.set(true);
    try {
      server.snapshotManagementAsync(SnapshotManagementRequest.newCreate(nudgeClient, getId(),
              getGroupId(), nudges.incrementAndGet(), NUDGE_TIMEOUT_MILLIS, 1))
          .whenComplete((reply, error) -> {
            nudged.set(false);
            if (error != null || !reply.isSuccess()) {
              LOG.log(Level.DEBUG, "asking Ratis to record the snapshot just written failed",
                  error != null ? error : reply.getException());
            }
          });
    } catch (RuntimeException e) {
      nudged.set(false);
      LOG.log(Level.DEBUG, "asking Ratis to record the snapshot just written failed", e);
    }
  }

  /** For tests: runs on the writer thread before each snapshot file is written. */
  void beforeWritingSnapshot(Runnable hook) {
    this.beforeWrite = hook;
  }

  /**
   * Ratis closes the state machine as its server stops, after asking for a last snapshot: the
   * write under way is given a bounded time to finish (its file is then loaded at the next start),
   * after which it is abandoned; the log still holds what it covers.
   */
  @Override
  public void close() throws IOException {
    writer.shutdown();
    try {
      if (!writer.awaitTermination(SNAPSHOT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        LOG.log(Level.WARNING, "a snapshot was still being written after " + SNAPSHOT_TIMEOUT_SECONDS
            + " s; abandoned (the log holds what it covers)");
        writer.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      writer.shutdownNow();
    }
    super.close();
  }

  private static <T> T await(CompletableFuture<T> future, String what) throws IOException {
    try {
      return future.get(SNAPSHOT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(what + " was interrupted", e);
    } catch (ExecutionException e) {
      throw new IOException(what + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException(what + " took longer than " + SNAPSHOT_TIMEOUT_SECONDS + " s", e);
    }
  }
}
