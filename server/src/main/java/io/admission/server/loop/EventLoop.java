package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Event;
import io.admission.server.engine.Results;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The one writer: a single thread owns the {@link Engine}, the {@link Watchers} and the {@link
 * CommandLog}. gRPC threads only {@link #submit}, {@link #read} or {@link #watch}; everything else
 * happens here. That thread is either the loop's own ("admission-loop", {@link #start}) or the
 * one transport thread that also reads and writes every connection ({@link #startOn}): then a
 * request read from a socket is applied and answered on the thread that read it, with no hand-off
 * and no wake-up between threads, and a turn's batch is what one read of the sockets brought.
 *
 * <p>Each turn takes a batch of waiting tasks, stamps one time on all of them, lets the engine
 * read ahead for their commands ({@link Engine#readAhead}), applies them in order, appends the
 * commands to the log, syncs the log once (group commit), and only then sends the answers and the
 * stream events the batch produced. Timers (lease expiry, max_wait, windows rolling) fire in the
 * turn whose time passes them; the loop sleeps no longer than until the next deadline.
 *
 * <p>A task that throws is answered with the error and the loop lives on.
 */
public final class EventLoop implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EventLoop.class.getName());
  private static final int MAX_BATCH = 1024;
  /** WatchOrg streams get an org's status at most this often (10 per second). */
  public static final long WATCH_INTERVAL_MILLIS = 100;
  /** Sleep at most this long even without deadlines, so a stuck clock cannot hide timers. */
  private static final long MAX_SLEEP_MILLIS = 1000;

  /** A read of the engine that changes nothing; runs in the loop like a command. */
  public interface Query<R> {
    R run(Engine engine, long now);
  }

  /** Work for one turn: apply now, and add what to send once the turn is durable. */
  private interface Task {
    void run(long now, Outgoing out);

    /** The command this task applies, if it applies one: the engine reads ahead for it. */
    default Commands.Command<?> command() {
      return null;
    }
  }

  /** A task that applies {@code command}; {@code then} runs after it, given the result. */
  private record Applying<R>(
      EventLoop loop, Commands.Command<R> command, Reply<? super R> reply, Consumer<R> then)
      implements Task {
    @Override
    public void run(long now, Outgoing out) {
      R result = loop.apply(command, reply, now, out);
      if (then != null) {
        then.accept(result);
      }
    }
  }

  /**
   * What a turn sends after its sync: answers and events — or, if the sync failed, an error to
   * every request of the turn (commands, reads and new watches alike), so none waits forever.
   */
  private static final class Outgoing {
    final List<Runnable> onDurable = new ArrayList<>();
    final List<Consumer<IOException>> onLost = new ArrayList<>();
  }

  private final Engine engine;
  private final CommandLog log;
  private final InstantSource clock;
  private final Inbox<Task> inbox;
  private final Watchers watchers = new Watchers();
  private final OrgWatchers orgWatchers = new OrgWatchers();
  private final List<LoopObserver> observers = new CopyOnWriteArrayList<>();
  private final List<Task> batch = new ArrayList<>(MAX_BATCH);
  private final List<Commands.Command<?>> batchCommands = new ArrayList<>(MAX_BATCH);
  private long lastNow = Long.MIN_VALUE;
  /** Set when the command log failed: from then on nothing more is applied (fail-stop). */
  private volatile IOException logFailure;
  private volatile boolean running;
  private Thread thread;
  /** The transport thread the loop runs on, or null when it has its own thread. */
  private ScheduledExecutorService host;
  /** On a host: the wake-up set for the next deadline, and when it fires (epoch millis). */
  private ScheduledFuture<?> timer;
  private long timerAt = Long.MAX_VALUE;

  public EventLoop(Engine engine, CommandLog log, InstantSource clock, int inboxCapacity) {
    this.engine = engine;
    this.log = log;
    this.clock = clock;
    this.inbox = new Inbox<>(inboxCapacity);
  }

  // ---- Offered from any thread ------------------------------------------------------------

  /**
   * Queues a state-changing command. Returns false when the loop is saturated (the caller answers
   * RESOURCE_EXHAUSTED); {@code reply} is then never called.
   */
  public <R> boolean submit(Commands.Command<R> command, Reply<? super R> reply) {
    return inbox.offer(new Applying<>(this, command, reply, null));
  }

  /**
   * Queues an Acquire like {@link #submit}; if it leaves the call held, {@code watcher} watches
   * the call from inside the same task, so no event can fall between the answer and the watch
   * (a Session's held calls). A watcher already watching the call is not added twice.
   */
  public boolean submitWatching(
      Commands.Acquire command, Reply<? super Results.AcquireResult> reply, Watcher watcher) {
    return inbox.offer(new Applying<>(this, command, reply, result -> {
      if (result instanceof Results.Held) {
        watchers.add(command.orgId(), command.callId(), watcher);
      }
    }));
  }

  /** Logs and applies one command; its answer waits in {@code out}. Null if it failed. */
  private <R> R apply(Commands.Command<R> command, Reply<? super R> reply, long now, Outgoing out) {
    R result;
    try {
      if (logFailure != null) {
        throw new IOException("the command log failed earlier (" + logFailure.getMessage()
            + "); nothing is applied until the server restarts", logFailure);
      }
      log.append(command, now);
      result = command.applyTo(engine, now);
    } catch (IOException e) {
      failLog(e);
      out.onDurable.add(() -> reply.failed(e));
      return null;
    } catch (Throwable t) {
      LOG.log(Level.ERROR, "command failed: " + command, t);
      out.onDurable.add(() -> reply.failed(t));
      return null;
    }
    orgWatchers.touched(command.orgId());
    notify(o -> o.applied(command, result, now));
    out.onLost.add(reply::failed);
    out.onDurable.add(() -> reply.ok(result));
    return result;
  }

  /** Observers see everything; one that throws is logged and never affects an answer. */
  private void notify(Consumer<LoopObserver> call) {
    for (LoopObserver o : observers) {
      try {
        call.accept(o);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "observer " + o + " failed; ignoring", e);
      }
    }
  }

  /** Queues a read; answered in order with the commands around it. */
  public <R> boolean read(Query<R> query, Reply<? super R> reply) {
    return inbox.offer((now, out) -> {
      R result;
      try {
        result = query.run(engine, now);
      } catch (Throwable t) {
        LOG.log(Level.ERROR, "query failed", t);
        out.onDurable.add(() -> reply.failed(t));
        return;
      }
      out.onLost.add(reply::failed);
      out.onDurable.add(() -> reply.ok(result));
    });
  }

  /** Opens a watch on a call: the first event is its current state; held calls stay watched. */
  public boolean watch(String orgId, String callId, Watcher watcher) {
    return inbox.offer((now, out) -> {
      Results.WatchResult state = engine.watch(orgId, callId, now);
      if (state instanceof Results.Held) {
        watchers.add(orgId, callId, watcher);
      }
      out.onLost.add(e -> {
        watchers.remove(orgId, callId, watcher);
        watcher.abort("the command log failed; reopen WaitForSlot after the server restarts");
      });
      out.onDurable.add(() -> watcher.first(state));
    });
  }

  /** Opens a WatchOrg stream: the org's status now, then on every change, coalesced. */
  public boolean watchOrg(String orgId, OrgWatcher watcher) {
    return inbox.offer((now, out) -> {
      Results.StatusResult status = engine.status(orgId, now);
      if (status instanceof io.admission.server.engine.StatusView.Org) {
        orgWatchers.add(orgId, watcher, now);
      }
      out.onLost.add(e -> {
        orgWatchers.remove(orgId, watcher);
        watcher.abort("the command log failed; reopen WatchOrg after the server restarts");
      });
      out.onDurable.add(() -> watcher.status(status));
    });
  }

  /** Closes a WatchOrg stream that went away. */
  public void unwatchOrg(String orgId, OrgWatcher watcher) {
    inbox.force((now, out) -> orgWatchers.remove(orgId, watcher));
  }

  /** Adds an observer for metrics or audit; called on the loop thread from then on. */
  public void observe(LoopObserver observer) {
    observers.add(observer);
  }

  /** Closes a watch whose stream went away (client cancelled or disconnected). */
  public void unwatch(String orgId, String callId, Watcher watcher) {
    // Must not be lost, or the registry would keep a dead stream until the call's terminal
    // event; so it skips the inbox's bound (there is at most one per stream ever opened).
    inbox.force((now, out) -> watchers.remove(orgId, callId, watcher));
  }

  // ---- The loop thread --------------------------------------------------------------------

  /** Runs the loop on a thread of its own ("admission-loop"). */
  public synchronized void start() {
    if (thread != null || host != null) {
      return;
    }
    running = true;
    thread = new Thread(this::run, "admission-loop");
    inbox.consumer(thread);
    thread.start();
  }

  private void run() {
    while (running) {
      try {
        long deadline = Math.min(engine.nextDeadline(), orgWatchers.nextPublish());
        long wait = Math.min(MAX_SLEEP_MILLIS, Math.max(0, deadline - now()));
        inbox.await(wait);
        turn();
      } catch (InterruptedException e) {
        break;
      } catch (Throwable t) {
        LOG.log(Level.ERROR, "loop turn failed; continuing", t);
      }
    }
  }

  /**
   * Runs the loop as tasks on {@code transport}, which must run its tasks one at a time on one
   * thread (a Netty event loop): a turn is queued there when a request arrives while the loop is
   * idle, and a timer wakes it at the next deadline.
   *
   * <p>The thread then also waits for the command log's sync, so with a journal no connection is
   * read during an fsync. Requests meanwhile wait in the sockets and make the next turn's batch,
   * as they would wait in the inbox; measured on 2 cores at 256 callers this beat a loop thread of
   * its own with the journal too (+11–17 % Acquire+Release pairs/s, 14 % less CPU per pair,
   * the same p99), and by more in memory (docs/BENCHMARKS.md).
   */
  public synchronized void startOn(ScheduledExecutorService transport) {
    if (thread != null || host != null) {
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
    long at = Math.min(Math.min(engine.nextDeadline(), orgWatchers.nextPublish()),
        wall + MAX_SLEEP_MILLIS);
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
   * with a manual clock (do not call while the thread runs).
   */
  public void step() {
    turn();
  }

  private void turn() {
    long started = System.nanoTime();
    inbox.drainTo(batch, MAX_BATCH - batch.size());
    int tasks = batch.size();
    long now = now();
    Outgoing out = new Outgoing();
    if (now >= engine.nextDeadline()) {
      new Commands.Tick().applyTo(engine, now);
      collectEvents(out);
    }
    readAhead();
    for (Task task : batch) {
      task.run(now, out);
      collectEvents(out);
    }
    batch.clear();
    try {
      log.sync();
      if (logFailure == null) {
        log.checkpoint(engine, now);
      }
    } catch (IOException e) {
      // The engine has applied commands that may not be on disk: answering them, or applying
      // more on top, could promise what a restart forgets. Stop here; a restart recovers.
      failLog(e);
      for (var lost : out.onLost) {
        try {
          lost.accept(e);
        } catch (Throwable t) {
          LOG.log(Level.WARNING, "sending a failure failed", t);
        }
      }
      return;
    }
    for (Runnable send : out.onDurable) {
      try {
        send.run();
      } catch (Throwable t) {
        LOG.log(Level.WARNING, "sending an answer failed", t);
      }
    }
    orgWatchers.publish(engine, now);
    long nanos = System.nanoTime() - started;
    notify(o -> o.turn(tasks, nanos));
  }

  /** Lets the engine read ahead for the batch's commands (see {@link Engine#readAhead}). */
  private void readAhead() {
    for (Task task : batch) {
      Commands.Command<?> command = task.command();
      if (command != null) {
        batchCommands.add(command);
      }
    }
    engine.readAhead(batchCommands);
    batchCommands.clear();
  }

  /** Events go to the streams registered when they happened, after the turn is durable. */
  private void collectEvents(Outgoing out) {
    for (Event event : engine.drainEvents()) {
      orgWatchers.touched(event.orgId());
      notify(o -> o.event(event, lastNow));
      for (Watcher w : watchers.recipients(event)) {
        out.onDurable.add(() -> w.event(event));
      }
    }
  }

  private void failLog(IOException e) {
    if (logFailure == null) {
      logFailure = e;
      LOG.log(Level.ERROR, "command log failed; refusing further commands until restart", e);
      Runnable listener = onLogFailure;
      if (listener != null) {
        listener.run();
      }
    }
  }

  private volatile Runnable onLogFailure;

  /** Called once, on the loop thread, when the command log fails (Main turns health off). */
  public void onLogFailure(Runnable listener) {
    this.onLogFailure = listener;
  }

  private long now() {
    lastNow = Math.max(lastNow, clock.millis());
    return lastNow;
  }

  /** Open watches, for tests and metrics. */
  public int watchedCalls() {
    return watchers.size();
  }

  /** Orgs with open WatchOrg streams, for tests. */
  public int watchedOrgs() {
    return orgWatchers.size();
  }

  /** Stops the loop after its current turn and ends every open stream. */
  @Override
  public void close() {
    Thread t;
    ScheduledExecutorService h;
    synchronized (this) {
      running = false;
      t = thread;
      h = host;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
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
    for (Watcher w : watchers.removeAll()) {
      w.abort("server shutting down; reopen WaitForSlot to continue watching");
    }
    for (OrgWatcher w : orgWatchers.removeAll()) {
      w.abort("server shutting down; reopen WatchOrg to continue watching");
    }
  }
}
