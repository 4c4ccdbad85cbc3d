package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Event;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.engine.StatusView;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What one turn does, and what it keeps between turns: the {@link Engine}, the open streams
 * ({@link Watchers}, {@link OrgWatchers}), the turns waiting for the log ({@link Outgoing}) and the
 * {@link Observers}. A turn stamps one time on a batch of tasks, lets the engine read ahead for
 * their commands ({@link Engine#readAhead}), fires the timers that time passed, and for each
 * command in order appends it to the log and applies it (a command the engine refuses changed
 * nothing and is taken back). It then commits the turn to the log without waiting and sends what
 * earlier turns made once the log says they are durable.
 *
 * <p>Only commands that passed the adapter's validation get here, and applying one never throws
 * for those; if it does, that is a bug: the loop halts (nothing more is applied, health turns
 * NOT_SERVING), logs the record's place in the log and the command, and answers the turn's
 * requests UNAVAILABLE. The record stays in the log, so a restart stops at it with the same words
 * instead of silently serving a state that differs from what was answered. A failing read is
 * answered with the error and the loop lives on.
 *
 * <p>Owned by the loop's thread, except {@link #observe} and {@link #onHalt}.
 */
final class Turns {
  private static final System.Logger LOG = System.getLogger(Turns.class.getName());

  /** Work for one turn: apply now, and add to {@code out} what to send once it is durable. */
  interface Task {
    void run(Turns turns, long now, Outgoing.Turn out);

    /** The command this task applies, if it applies one: the engine reads ahead for it. */
    default Commands.Command<?> command() {
      return null;
    }

    /** Who asked for it, for the audit log: empty for the server's own work. */
    default String actor() {
      return "";
    }
  }

  /**
   * A task that applies {@code command} on behalf of {@code actor}; {@code then} runs after it,
   * given the result.
   */
  record Applying<R>(
      Commands.Command<R> command, String actor, Reply<? super R> reply, Consumer<R> then)
      implements Task {
    @Override
    public void run(Turns turns, long now, Outgoing.Turn out) {
      R result = turns.apply(command, actor, reply, now, out);
      if (then != null) {
        then.accept(result);
      }
    }
  }

  private final Engine engine;
  private final CommandLog log;
  private final Applier applier;
  private final Watchers watchers = new Watchers();
  private final OrgWatchers orgWatchers = new OrgWatchers();
  private final Observers observers = new Observers();
  private final Outgoing outgoing = new Outgoing();
  private final List<Commands.Command<?>> batchCommands = new ArrayList<>();
  /**
   * Set when the command log failed or a logged command threw: from then on nothing more is
   * applied (fail-stop), and every command is answered UNAVAILABLE with this.
   */
  private volatile IOException halted;
  private volatile Runnable onHalt;

  Turns(Engine engine, CommandLog log, Applier applier) {
    this.engine = engine;
    this.log = log;
    this.applier = applier;
  }

  /**
   * Runs one turn over {@code batch} at {@code now}. A task that throws is logged and the turn
   * goes on without it, so the others are still answered.
   */
  void run(List<? extends Task> batch, long now) {
    long started = System.nanoTime();
    Outgoing.Turn out = new Outgoing.Turn();
    if (now >= engine.nextDeadline() && halted == null) {
      new Commands.Tick().applyTo(engine, now);
      collectEvents(now, "", out);
    }
    readAhead(batch);
    for (Task task : batch) {
      try {
        task.run(this, now, out);
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "a task of the turn failed; the turn goes on without it", e);
      }
      collectEvents(now, task.actor(), out);
    }
    orgWatchers.publish(engine, now, out::send);
    try {
      out.position(log.commit());
      if (halted == null) {
        log.checkpoint(engine, now);
      }
    } catch (IOException e) {
      // The engine has applied commands that may never reach the disk: answering them, or
      // applying more on top, could promise what a restart forgets. Stop here; a restart recovers.
      halt(e);
      out.lose(e);
    }
    outgoing.add(out);
    outgoing.sendDurable(log, this::halt);
    observers.turn(batch.size(), System.nanoTime() - started);
  }

  /** When the loop must run a turn even if nothing arrives: a timer or a WatchOrg status due. */
  long nextDeadline() {
    return Math.min(engine.nextDeadline(), orgWatchers.nextPublish());
  }

  /**
   * Logs and applies one command; its answer waits in {@code out}. Null if it was not applied.
   * The command is in the log before the engine sees it, so that a command that throws is there
   * for a restart to name; one the engine refuses changed nothing and is taken back.
   */
  <R> R apply(Commands.Command<R> command, String actor, Reply<? super R> reply, long now,
      Outgoing.Turn out) {
    IOException stopped = halted;
    if (stopped != null) {
      IOException refused = new IOException("the server stopped applying commands earlier ("
          + stopped.getMessage() + "); nothing is applied until it is restarted", stopped);
      out.send(() -> reply.failed(refused));
      out.onLost(e -> reply.failed(refused));
      return null;
    }
    out.onLost(reply::failed);
    long entry;
    try {
      entry = log.append(command, now);
    } catch (IOException | RuntimeException e) {
      IOException failed = e instanceof IOException io ? io
          : new IOException("the command could not be logged: " + e, e);
      halt(failed);
      out.lose(failed);
      return null;
    }
    R result;
    try {
      result = applier.apply(command, engine, now);
    } catch (RuntimeException | Error e) {
      String what = Applier.failure(entry, log.where(entry), command, e);
      LOG.log(Level.ERROR, what, e);
      IOException halt = new IOException(what, e);
      halt(halt);
      out.lose(halt);
      return null;
    }
    if (result instanceof Rejection) {
      log.retract(entry);
    }
    orgWatchers.touched(command.orgId());
    out.send(() -> { // one closure per command: this is the hot path
      observers.applied(command, result, now, actor);
      reply.ok(result);
    });
    return result;
  }

  /** A read, answered in order with the commands around it. */
  <R> void read(EventLoop.Query<R> query, Reply<? super R> reply, long now, Outgoing.Turn out) {
    R result;
    try {
      result = query.run(engine, now);
    } catch (Throwable t) {
      LOG.log(Level.ERROR, "query failed", t);
      out.send(() -> reply.failed(t));
      return;
    }
    out.onLost(reply::failed);
    out.send(() -> reply.ok(result));
  }

  /** Opens a watch on a call: the first event is its current state; held calls stay watched. */
  void watch(String orgId, String callId, Watcher watcher, long now, Outgoing.Turn out) {
    Results.WatchResult state = engine.watch(orgId, callId, now);
    if (state instanceof Results.Held) {
      watchers.add(orgId, callId, watcher);
    }
    out.onLost(e -> {
      watchers.remove(orgId, callId, watcher);
      watcher.abort("the command log failed; reopen WaitForSlot after the server restarts");
    });
    out.send(() -> watcher.first(state));
  }

  /** Watches a call that an Acquire of this turn left held (a Session's held calls). */
  void watchHeld(String orgId, String callId, Watcher watcher) {
    watchers.add(orgId, callId, watcher);
  }

  void unwatch(String orgId, String callId, Watcher watcher) {
    watchers.remove(orgId, callId, watcher);
  }

  /** Opens a WatchOrg stream: the org's status now, then on every change, coalesced. */
  void watchOrg(String orgId, OrgWatcher watcher, long now, Outgoing.Turn out) {
    Results.StatusResult status = engine.status(orgId, now);
    if (status instanceof StatusView.Org) {
      orgWatchers.add(orgId, watcher, now);
    }
    out.onLost(e -> {
      orgWatchers.remove(orgId, watcher);
      watcher.abort("the command log failed; reopen WatchOrg after the server restarts");
    });
    out.send(() -> watcher.status(status));
  }

  void unwatchOrg(String orgId, OrgWatcher watcher) {
    orgWatchers.remove(orgId, watcher);
  }

  /** Lets the engine read ahead for the batch's commands (see {@link Engine#readAhead}). */
  private void readAhead(List<? extends Task> batch) {
    for (Task task : batch) {
      Commands.Command<?> command = task.command();
      if (command != null) {
        batchCommands.add(command);
      }
    }
    try {
      engine.readAhead(batchCommands);
    } finally {
      batchCommands.clear();
    }
  }

  /**
   * Events go to the streams registered when they happened, after the turn is durable. Observers
   * learn whose request caused them ({@code actor}; empty for what time did).
   */
  private void collectEvents(long now, String actor, Outgoing.Turn out) {
    for (Event event : engine.drainEvents()) {
      orgWatchers.touched(event.orgId());
      out.send(() -> observers.event(event, now, actor));
      for (Watcher w : watchers.recipients(event)) {
        out.send(() -> w.event(event));
      }
    }
  }

  private void halt(IOException e) {
    if (halted == null) {
      halted = e;
      LOG.log(Level.ERROR, "the loop halted: " + e.getMessage() + "; health is NOT_SERVING and"
          + " every command is refused until the server is restarted", e);
      Runnable listener = onHalt;
      if (listener != null) {
        listener.run();
      }
    }
  }

  /** See {@link EventLoop#onLogFailure}. */
  void onHalt(Runnable listener) {
    this.onHalt = listener;
  }

  void observe(LoopObserver observer) {
    observers.add(observer);
  }

  int watchedCalls() {
    return watchers.size();
  }

  int watchedOrgs() {
    return orgWatchers.size();
  }

  /** Ends every open stream (the server is shutting down). */
  void endStreams() {
    for (Watcher w : watchers.removeAll()) {
      w.abort("server shutting down; reopen WaitForSlot to continue watching");
    }
    for (OrgWatcher w : orgWatchers.removeAll()) {
      w.abort("server shutting down; reopen WatchOrg to continue watching");
    }
  }
}
