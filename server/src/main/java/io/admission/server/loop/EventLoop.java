package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Event;
import io.admission.server.engine.Results;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.InstantSource;
import io.admission.server.engine.Rejection;
import java.util.ArrayDeque;
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
 * read ahead for their commands ({@link Engine#readAhead}), and for each command in order appends
 * it to the log and applies it (a command the engine refuses changed nothing and is taken back
 * from the log). It then commits the turn to the log without waiting: the log makes it durable on
 * its own thread while the loop goes on with the next turn. A turn's answers, stream events and
 * what observers (audit, metrics) see wait in order until the log says the turn is durable; only
 * then do they leave. Timers (lease expiry, max_wait, windows rolling) fire in the turn whose time
 * passes them; the loop sleeps no longer than until the next deadline.
 *
 * <p>Only commands that passed the adapter's validation reach the loop, and applying one never
 * throws for those; if it does, that is a bug: the loop halts (nothing more is applied, {@link
 * #onLogFailure} turns health off), logs the record's place in the log and the command, and
 * answers the turn's requests UNAVAILABLE. The record stays in the log, so a restart stops at it
 * with the same words instead of silently serving a state that differs from what was answered.
 * A failing read is answered with the error and the loop lives on.
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

    /** Who asked for it, for the audit log: empty for the server's own work. */
    default String actor() {
      return "";
    }
  }

  /** A task that applies {@code command}; {@code then} runs after it, given the result. */
  private record Applying<R>(
      EventLoop loop, Commands.Command<R> command, String actor, Reply<? super R> reply,
      Consumer<R> then)
      implements Task {
    @Override
    public void run(long now, Outgoing out) {
      R result = loop.apply(command, actor, reply, now, out);
      if (then != null) {
        then.accept(result);
      }
    }
  }

  /**
   * What a turn sends once the log holds it durably: answers, events and what observers see — or,
   * if the log failed or the turn applied a command that threw, an error to every request of the
   * turn (commands, reads and new watches alike), so none waits forever.
   */
  private static final class Outgoing {
    final List<Runnable> onDurable = new ArrayList<>();
    final List<Consumer<IOException>> onLost = new ArrayList<>();
    /** The log's entry count after this turn: it is durable once the log's reaches it. */
    long position;
    /** Set when a command of this turn threw: the turn is answered with this instead. */
    IOException lost;
  }

  /** Queued by the log when a turn became durable: the turn that runs it sends what waited. */
  private static final Task WAKE = (now, out) -> {};

  private final Engine engine;
  private final CommandLog log;
  private final InstantSource clock;
  private final Inbox<Task> inbox;
  private final Watchers watchers = new Watchers();
  private final OrgWatchers orgWatchers = new OrgWatchers();
  private final List<LoopObserver> observers = new CopyOnWriteArrayList<>();
  private final List<Task> batch = new ArrayList<>(MAX_BATCH);
  private final List<Commands.Command<?>> batchCommands = new ArrayList<>(MAX_BATCH);
  /** Turns whose answers wait for the log, oldest first. */
  private final ArrayDeque<Outgoing> awaiting = new ArrayDeque<>();
  private final Applier applier;
  private long lastNow = Long.MIN_VALUE;
  /**
   * Set when the command log failed or a logged command threw: from then on nothing more is
   * applied (fail-stop), and every command is answered UNAVAILABLE with this.
   */
  private volatile IOException logFailure;
  private volatile boolean running;
  private Thread thread;
  /** The transport thread the loop runs on, or null when it has its own thread. */
  private ScheduledExecutorService host;
  /** On a host: the wake-up set for the next deadline, and when it fires (epoch millis). */
  private ScheduledFuture<?> timer;
  private long timerAt = Long.MAX_VALUE;

  public EventLoop(Engine engine, CommandLog log, InstantSource clock, int inboxCapacity) {
    this(engine, log, clock, inboxCapacity, Applier.ENGINE);
  }

  /** The same, applying commands through {@code applier} (tests inject faults there). */
  public EventLoop(
      Engine engine, CommandLog log, InstantSource clock, int inboxCapacity, Applier applier) {
    this.engine = engine;
    this.log = log;
    this.clock = clock;
    this.inbox = new Inbox<>(inboxCapacity);
    this.applier = applier;
    log.onProgress(() -> inbox.force(WAKE));
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
    return inbox.offer(new Applying<>(this, command, actor, reply, null));
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
    return inbox.offer(new Applying<>(this, command, actor, reply, result -> {
      if (result instanceof Results.Held) {
        watchers.add(command.orgId(), command.callId(), watcher);
      }
    }));
  }

  /**
   * Logs and applies one command; its answer waits in {@code out}. Null if it was not applied.
   * The command is in the log before the engine sees it, so that a command that throws is there
   * for a restart to name; one the engine refuses changed nothing and is taken back.
   */
  private <R> R apply(
      Commands.Command<R> command, String actor, Reply<? super R> reply, long now, Outgoing out) {
    IOException stopped = logFailure;
    if (stopped != null) {
      IOException refused = new IOException("the server stopped applying commands earlier ("
          + stopped.getMessage() + "); nothing is applied until it is restarted", stopped);
      out.onDurable.add(() -> reply.failed(refused));
      out.onLost.add(e -> reply.failed(refused));
      return null;
    }
    out.onLost.add(reply::failed);
    long entry;
    try {
      entry = log.append(command, now);
    } catch (IOException | RuntimeException e) {
      IOException failed = e instanceof IOException io ? io
          : new IOException("the command could not be logged: " + e, e);
      failLog(failed);
      out.lost = failed;
      return null;
    }
    R result;
    try {
      result = applier.apply(command, engine, now);
    } catch (RuntimeException | Error e) {
      String what = Applier.failure(entry, log.where(entry), command, e);
      LOG.log(Level.ERROR, what, e);
      IOException halt = new IOException(what, e);
      failLog(halt);
      out.lost = halt;
      return null;
    }
    if (result instanceof Rejection) {
      log.retract(entry);
    }
    orgWatchers.touched(command.orgId());
    out.onDurable.add(() -> { // one task per command: this is the hot path
      notify(o -> o.applied(command, result, now, actor));
      reply.ok(result);
    });
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
    if (now >= engine.nextDeadline() && logFailure == null) {
      new Commands.Tick().applyTo(engine, now);
      collectEvents(out, "");
    }
    readAhead();
    for (Task task : batch) {
      task.run(now, out);
      collectEvents(out, task.actor());
    }
    batch.clear();
    orgWatchers.publish(engine, now, out.onDurable);
    try {
      out.position = log.commit();
      if (logFailure == null) {
        log.checkpoint(engine, now);
      }
    } catch (IOException e) {
      // The engine has applied commands that may never reach the disk: answering them, or
      // applying more on top, could promise what a restart forgets. Stop here; a restart recovers.
      failLog(e);
      out.lost = e;
    }
    awaiting.addLast(out);
    sendDurable();
    long nanos = System.nanoTime() - started;
    notify(o -> o.turn(tasks, nanos));
  }

  /**
   * Sends, oldest first, what every turn the log now holds durably produced; a turn whose
   * commands the log lost, or one that applied a command that threw, is answered with the error.
   */
  private void sendDurable() {
    long durable = log.durable();
    for (Outgoing o = awaiting.peekFirst(); o != null; o = awaiting.peekFirst()) {
      IOException lost = o.lost;
      if (o.position > durable && lost == null) {
        lost = log.failure();
        if (lost == null) {
          return; // not yet durable: it and every later turn wait
        }
        failLog(lost);
      }
      awaiting.pollFirst();
      if (lost == null) {
        for (Runnable send : o.onDurable) {
          try {
            send.run();
          } catch (Throwable t) {
            LOG.log(Level.WARNING, "sending an answer failed", t);
          }
        }
      } else {
        for (var fail : o.onLost) {
          try {
            fail.accept(lost);
          } catch (Throwable t) {
            LOG.log(Level.WARNING, "sending a failure failed", t);
          }
        }
      }
    }
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

  /**
   * Events go to the streams registered when they happened, after the turn is durable. Observers
   * learn whose request caused them ({@code actor}; empty for what time did).
   */
  private void collectEvents(Outgoing out, String actor) {
    for (Event event : engine.drainEvents()) {
      orgWatchers.touched(event.orgId());
      long at = lastNow;
      out.onDurable.add(() -> notify(o -> o.event(event, at, actor)));
      for (Watcher w : watchers.recipients(event)) {
        out.onDurable.add(() -> w.event(event));
      }
    }
  }

  private void failLog(IOException e) {
    if (logFailure == null) {
      logFailure = e;
      LOG.log(Level.ERROR, "the loop halted: " + e.getMessage() + "; health is NOT_SERVING and"
          + " every command is refused until the server is restarted", e);
      Runnable listener = onLogFailure;
      if (listener != null) {
        listener.run();
      }
    }
  }

  private volatile Runnable onLogFailure;

  /**
   * Called once, on the loop thread, when the loop halts: the command log failed, or a logged
   * command threw (Main turns health off).
   */
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
