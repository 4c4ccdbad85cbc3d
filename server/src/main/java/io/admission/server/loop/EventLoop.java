package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Results;
import java.lang.System.Logger.Level;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one writer: one thread owns the {@link Engine}, the open streams and the {@link CommandLog}.
 * Other threads only {@link #submit}, {@link #read} or {@link #watch}; the work happens in turns
 * ({@link Turns}) on that thread. It is the one transport thread that also reads and writes every
 * connection ({@link #startOn}): a request read from a socket is applied and answered on the
 * thread that read it, with no hand-off and no wake-up between threads, and a turn's batch is what
 * one read of the sockets brought.
 *
 * <p>Each turn's answers, stream events and what observers see leave only once the log says the
 * turn is durable ({@link Outgoing}); meanwhile the loop goes on with the next turn. Timers (lease
 * expiry, max_wait, windows rolling) fire in the turn whose time passes them; the loop sets one
 * wake-up for the next deadline.
 */
public final class EventLoop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());
  /** A turn's bound, in {@link Turns.Task#weight}: 1,024 requests, or fewer committed entries. */
  private static final int MAX_BATCH = 1024;
  /** Wake up at least this often even without deadlines, so a stuck clock cannot hide timers. */
  private static final long MAX_SLEEP_MILLIS = 1000;

  /** A read of the engine that changes nothing; runs in the loop like a command. */
  public interface Query<R> {
    R run(Engine engine, long now);
  }

  /** Queued by the log when a turn became durable: the turn that runs it sends what waited. */
  private static final Turns.Task WAKE = (turns, now, out) -> {};

  private final Turns turns;
  /** The cluster's log on a replica (reads wait for its read index), or null. */
  private final ReplicatedLog replicated;
  private final java.util.concurrent.atomic.AtomicInteger readsWaiting =
      new java.util.concurrent.atomic.AtomicInteger();
  private final int inboxCapacity;
  private final InstantSource clock;
  private final Inbox<Turns.Task> inbox;
  private final List<Turns.Task> batch = new ArrayList<>(MAX_BATCH);
  private long lastNow = Long.MIN_VALUE;
  private volatile boolean running;
  /** The transport thread the loop runs on, once started. */
  private ScheduledExecutorService host;
  /** The wake-up set for the next deadline, and when it fires (epoch millis). */
  private ScheduledFuture<?> timer;
  private long timerAt = Long.MAX_VALUE;

  public EventLoop(Engine engine, CommandLog log, InstantSource clock, int inboxCapacity) {
    this(engine, log, clock, inboxCapacity, Applier.ENGINE);
  }

  /** The same, applying commands through {@code applier} (tests inject faults there). */
  public EventLoop(
      Engine engine, CommandLog log, InstantSource clock, int inboxCapacity, Applier applier) {
    this(new Turns(engine, log, applier), null, clock, inboxCapacity);
    log.onProgress(() -> inbox.force(WAKE));
  }

  /**
   * A loop on a replica of a cluster: its callers' commands go through {@code log}, and the
   * replica's state machine hands back what the log commits ({@link #committed}).
   */
  public EventLoop(Engine engine, ReplicatedLog log, InstantSource clock, int inboxCapacity) {
    this(engine, log, clock, inboxCapacity, Applier.ENGINE);
  }

  /** The same, applying commands through {@code applier} (tests slow it down or inject faults). */
  public EventLoop(
      Engine engine, ReplicatedLog log, InstantSource clock, int inboxCapacity, Applier applier) {
    this(new Turns(engine, log, applier), log, clock, inboxCapacity);
  }

  private EventLoop(Turns turns, ReplicatedLog replicated, InstantSource clock, int inboxCapacity) {
    this.turns = turns;
    this.replicated = replicated;
    this.inboxCapacity = inboxCapacity;
    this.clock = clock;
    this.inbox = new Inbox<>(inboxCapacity, Turns.Task::weight);
    turns.force(inbox::force);
  }

  // ---- Offered from any thread ------------------------------------------------------------

  /**
   * Queues a state-changing command. Returns false when the loop is saturated (the caller answers
   * RESOURCE_EXHAUSTED); {@code reply} is then never called.
   */
  public <R> boolean submit(Commands.Command<R> command, Reply<? super R> reply) {
    return submit(command, "", reply);
  }

  /**
   * The same, on behalf of {@code actor} (who the audit log names for the change and for what it
   * causes). The actor is not part of the command: the log and the engine never see it.
   */
  public <R> boolean submit(Commands.Command<R> command, String actor, Reply<? super R> reply) {
    return offer(new Turns.Applying<>(command, actor, reply, null));
  }

  /**
   * Queues an Acquire like {@link #submit}; if it leaves the call held, {@code watcher} watches
   * the call from inside the same task, so no event can fall between the answer and the watch
   * (a Session's held calls). A watcher already watching the call is not added twice.
   */
  public boolean submitWatching(
      Commands.Acquire command, Reply<? super Results.AcquireResult> reply, Watcher watcher) {
    return submitWatching(command, "", reply, watcher);
  }

  /** The same, on behalf of {@code actor} (see {@link #submit(Commands.Command, String, Reply)}). */
  public boolean submitWatching(Commands.Acquire command, String actor,
      Reply<? super Results.AcquireResult> reply, Watcher watcher) {
    return offer(new Turns.Applying<>(command, actor, reply, result -> {
      if (result instanceof Results.Held) {
        turns.watchHeld(command.orgId(), command.callId(), watcher);
      }
    }));
  }

  /**
   * Queues a read; answered in order with the commands around it. On a replica of a cluster it
   * first waits for the log's read index, so it sees every write answered before it on any node.
   */
  public <R> boolean read(Query<R> query, Reply<? super R> reply) {
    return offerRead((t, now, out) -> t.read(query, reply, now, out), reply::failed);
  }

  /** Opens a watch on a call: the first event is its current state; held calls stay watched. */
  public boolean watch(String orgId, String callId, Watcher watcher) {
    return offerRead((t, now, out) -> t.watch(orgId, callId, watcher, now, out),
        e -> watcher.abort(e.getMessage()));
  }

  /**
   * A read, on a replica after the read index: a client that wrote on one node and reads on
   * another (its channel moved, or spreads its calls) never sees the state from before its write.
   */
  private boolean offerRead(Turns.Task task, java.util.function.Consumer<java.io.IOException> failed) {
    if (replicated == null) {
      return offer(task);
    }
    // Reads waiting for the barrier count against the inbox's bound like queued tasks; past it
    // the read is forced in, as it was admitted when it arrived.
    if (readsWaiting.incrementAndGet() > inboxCapacity) {
      readsWaiting.decrementAndGet();
      return false;
    }
    replicated.afterCommitted(() -> {
      readsWaiting.decrementAndGet();
      inbox.force(task);
    }, e -> {
      readsWaiting.decrementAndGet();
      failed.accept(e);
    });
    return true;
  }

  /** Closes a watch whose stream went away (client cancelled or disconnected). */
  public void unwatch(String orgId, String callId, Watcher watcher) {
    // Must not be lost, or the registry would keep a dead stream until the call's terminal
    // event; so it skips the inbox's bound (there is at most one per stream ever opened).
    inbox.force((t, now, out) -> t.unwatch(orgId, callId, watcher));
  }

  /** Opens a WatchOrg stream: the org's status now, then on every change, coalesced. */
  public boolean watchOrg(String orgId, OrgWatcher watcher) {
    return offerRead((t, now, out) -> t.watchOrg(orgId, watcher, now, out),
        e -> watcher.abort(e.getMessage()));
  }

  /** Closes a WatchOrg stream that went away. */
  public void unwatchOrg(String orgId, OrgWatcher watcher) {
    inbox.force((t, now, out) -> t.unwatchOrg(orgId, watcher));
  }

  // ---- From a replica's state machine ------------------------------------------------------

  /**
   * Applies an entry the cluster's log committed, after those handed over before it (never
   * refused: the log has it already). Its {@code done} runs on the loop thread once applied.
   */
  public void committed(ReplicatedLog.Committed entry) {
    inbox.force(new Turns.ApplyCommitted(entry));
  }

  /**
   * Replaces the replica's state with a snapshot's (it fell behind the log the leader keeps);
   * open streams end and waiting callers are told to retry. Runs after what is already queued.
   */
  public void replaceEngine(Engine engine, long index, Runnable done) {
    inbox.force((t, now, out) -> {
      t.replaceEngine(engine, index, out);
      done.run();
    });
  }

  /**
   * Runs {@code query} on the loop thread after everything already queued, even when the inbox
   * is full (a snapshot must not be refused).
   */
  public <R> void readNow(Query<R> query, Reply<? super R> reply) {
    inbox.force((t, now, out) -> t.read(query, reply, now, out));
  }

  /** Ends every open stream with {@code why} (this node lost the cluster's majority). */
  public void closeStreams(String why) {
    inbox.force((t, now, out) -> t.endStreams(why));
  }

  /**
   * Ends every open WaitForSlot and WatchOrg stream soon, saying the server is shutting down, while
   * the loop still runs: a stopping server waits for its calls in flight, and these streams never
   * end on their own, so their clients would hear nothing until that wait ran out.
   */
  public synchronized void endStreamsForShutdown() {
    if (running) { // once closed, its streams are ended and its transport may be gone
      inbox.force((t, now, out) -> t.endStreams());
    }
  }

  /** Runs a turn soon, e.g. because this node became the leader and may owe a tick. */
  public void wake() {
    inbox.force(WAKE);
  }

  /** Adds an observer for metrics or audit; called on the loop's thread from then on. */
  public void observe(LoopObserver observer) {
    turns.observe(observer);
  }

  /**
   * Called once, on the loop's thread, when the loop halts: the command log failed, or a logged
   * command threw (Main turns health off).
   */
  public void onLogFailure(Runnable listener) {
    turns.onHalt(listener);
  }

  boolean offer(Turns.Task task) {
    return inbox.offer(task);
  }

  // ---- On the transport thread ------------------------------------------------------------

  /**
   * Runs the loop as tasks on {@code transport}, which must run its tasks one at a time on one
   * thread (a Netty event loop): a turn is queued there when a request arrives while the loop is
   * idle, and a timer wakes it at the next deadline.
   *
   * <p>The transport thread never waits for the disk: the journal syncs on its own thread, and a
   * turn's answers leave in a later turn, once the log says it is durable. Measured on 2 cores at
   * 256 callers in memory, a loop thread of its own beside the transport's gave 9–33 % fewer
   * Acquire+Release pairs per second than this (three alternating runs of the load benchmark on
   * 2026-11-23, when commit 00fe225 moved the loop here; the own-thread mode has since gone).
   */
  public synchronized void startOn(ScheduledExecutorService transport) {
    if (host != null) {
      return;
    }
    running = true;
    host = transport;
    inbox.consumer(() -> transport.execute(this::hostedRun));
    transport.execute(this::hostedRun); // the inbox starts busy: this first run ends its spell
  }

  /**
   * One turn as a task on the host, then the next deadline's timer; if more is queued, another
   * task rather than a loop here, so the thread reads its sockets between turns.
   */
  private void hostedRun() {
    if (!running) {
      return;
    }
    try {
      turn();
      scheduleTimer();
    } catch (Throwable t) {
      LOG.log(Level.ERROR, "loop turn failed; continuing", t);
    }
    if (inbox.idleUnlessQueued()) {
      host.execute(this::hostedRun);
    }
  }

  /**
   * Keeps one timer set no later than the next deadline (at most {@link #MAX_SLEEP_MILLIS} away),
   * replacing it only when the deadline moves earlier, so a busy loop does not reschedule each
   * turn. A timer that fires with nothing due runs an empty turn and sets the next one.
   */
  private void scheduleTimer() {
    long wall = clock.millis();
    long at = Math.min(turns.nextDeadline(), wall + MAX_SLEEP_MILLIS);
    if (timer != null && timerAt <= at) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    timerAt = at;
    timer = host.schedule(this::onTimer, Math.max(0, at - wall), TimeUnit.MILLISECONDS);
  }

  private void onTimer() {
    timer = null;
    timerAt = Long.MAX_VALUE;
    if (inbox.claim()) {
      hostedRun();
    } // else a run is already queued, and it sets the next timer
  }

  /**
   * Runs one turn with what is queued now, without waiting; for tests that step the loop by hand
   * with a manual clock (never on a loop that was started).
   */
  public void step() {
    turn();
  }

  private void turn() {
    inbox.drainTo(batch, MAX_BATCH);
    try {
      turns.run(batch, now());
    } finally {
      batch.clear(); // whatever happened, no task runs twice
    }
  }

  /** The clock, never going back: a turn's time is never before an earlier turn's. */
  private long now() {
    lastNow = Math.max(lastNow, clock.millis());
    return lastNow;
  }

  /** Open watches, for tests and metrics. */
  public int watchedCalls() {
    return turns.watchedCalls();
  }

  /** Orgs with open WatchOrg streams, for tests. */
  public int watchedOrgs() {
    return turns.watchedOrgs();
  }

  /** Stops the loop after its current turn and ends every open stream. */
  @Override
  public void close() {
    ScheduledExecutorService h;
    synchronized (this) {
      running = false;
      h = host;
    }
    if (h != null) {
      // The streams belong to the host's thread: end them there, after any turn under way.
      try {
        h.submit(this::endStreams).get(5, TimeUnit.SECONDS);
        return;
      } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
        LOG.log(Level.WARNING, "the transport thread did not end the streams; ending them here", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    endStreams();
  }

  private void endStreams() {
    if (timer != null) {
      timer.cancel(false);
    }
    turns.endStreams();
  }
}
