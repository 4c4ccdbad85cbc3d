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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
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
 * applies them ({@link EventLoop#committed}); snapshots are the engine's own, taken on the loop
 * thread at the last entry applied.
 *
 * <p>Ratis' entries that are not the state machine's (its configuration and term markers) also
 * pass through the loop, so that the index it reports as applied only ever moves forward and
 * always matches the engine's state.
 */
final class ReplicaStateMachine extends BaseStateMachine {
  private static final System.Logger LOG = System.getLogger(ReplicaStateMachine.class.getName());
  private static final long SNAPSHOT_TIMEOUT_SECONDS = 60;

  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  /**
   * The latest snapshot here, or null: read from the storage when it may have changed (at start,
   * after taking one, after installing the leader's). The storage remembers only a snapshot it
   * found and lists its directory again on every question while there is none; Ratis asks on every
   * append from the leader, so until the first snapshot (100,000 entries by default) each entry
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

  ReplicaStateMachine(InstantSource clock, Engine.Bounds bounds) {
    this.clock = clock;
    this.bounds = bounds;
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
   * Called by Ratis once every entry handed to the loop so far is applied: captures the engine on
   * the loop thread (reading it changes nothing), then writes it here, off the loop.
   */
  @Override
  public long takeSnapshot() throws IOException {
    EventLoop l = loop;
    if (l == null) {
      return RaftLog.INVALID_LOG_INDEX;
    }
    CompletableFuture<Captured> capture = new CompletableFuture<>();
    l.readNow((engine, now) -> new Captured(Snapshots.take(engine), getLastAppliedTermIndex()),
        Reply.into(capture));
    Captured captured = await(capture, "capturing the engine for a snapshot");
    TermIndex at = captured.at();
    if (at == null) {
      return RaftLog.INVALID_LOG_INDEX;
    }
    File file = storage.getSnapshotFile(at.getTerm(), at.getIndex());
    Path tmp = file.toPath().resolveSibling(file.getName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
      ReplicatedEntries.writeSnapshot(captured.state(), out);
      out.flush();
      ch.force(true);
    }
    Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE);
    var md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    SingleFileSnapshotInfo taken = new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), at);
    storage.updateLatestSnapshot(taken);
    latest = taken;
    return at.getIndex();
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
