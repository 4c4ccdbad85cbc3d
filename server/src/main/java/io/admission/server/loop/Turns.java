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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * <p>On a replica of a cluster ({@link ReplicatedLog}) a turn applies no caller's command: it
 * proposes the turn's commands as one entry, and applies entries as the log commits them, at the
 * leader's time ({@link #applyCommitted}); the replica that proposed an entry answers its callers
 * then. Reads and new watches see the state at the time of the last entry applied, so that every
 * replica that applied the same entries answers them alike.
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

    /** What it counts for against a turn's bound (a request: one). */
    default int weight() {
      return 1;
    }
  }

  /**
   * An entry the cluster's log committed, to apply in its turn. It weighs its commands, and at
   * least {@link #ENTRY_WEIGHT}: a turn runs on the transport thread, which reads no socket until
   * the turn ends, and a replica catching up has hundreds of entries queued at once. With a turn
   * bounded only by its 1,024 tasks, a node just restarted applied up to 1,024 entries (some 20,000
   * commands, its code still cold) in one turn: measured, 2.9–7.2 s in which none of 256 callers'
   * requests completed, from the moment it listened until it caught up — its refusals ("catching
   * up") waited behind the turn, and each caller that came round to it waited with them.
   */
  record ApplyCommitted(ReplicatedLog.Committed entry) implements Task {
    static final int ENTRY_WEIGHT = 32;

    @Override
    public void run(Turns turns, long now, Outgoing.Turn out) {
      turns.applyCommitted(entry, out);
    }

    @Override
    public int weight() {
      return Math.max(ENTRY_WEIGHT, entry.commands().size());
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
      if (turns.replicated != null) {
        turns.proposing.add(this);
        return;
      }
      applyNow(turns, now, out);
    }

    void applyNow(Turns turns, long now, Outgoing.Turn out) {
      R result = turns.apply(command, actor, reply, now, out);
      if (then != null) {
        then.accept(result);
      }
    }
  }

  /** Where a command applied on behalf of another replica's caller answers: nobody here. */
  private static final Reply<Object> ELSEWHERE = new Reply<>() {
    @Override
    public void ok(Object result) {}

    @Override
    public void failed(Throwable error) {}
  };

  private Engine engine;
  private final CommandLog log;
  /** The cluster's log, or null on a server that runs alone on {@link #log}. */
  private final ReplicatedLog replicated;
  /** Queues a task from any thread, past the inbox's bound (set by the loop). */
  private Consumer<Task> force = t -> { };
  /** This turn's commands, to propose as one entry at its end (replicated only). */
  private List<Applying<?>> proposing = new ArrayList<>();
  /**
   * Proposals not yet applied here, by number: their callers wait for the entry. The one record of
   * what this node has in flight, and so of its commit latency ({@link LoopObserver#committed}).
   */
  private final Map<Long, Proposed> proposed = new HashMap<>();

  /** A proposal's tasks, and when it was handed to the log ({@link System#nanoTime}). */
  private record Proposed(List<Applying<?>> tasks, long sentAt) {}
  private long nextProposal = 1;
  /**
   * This node's proposals in the log's pipeline at once; commands that arrive meanwhile wait in
   * {@link #proposing} and leave together as the next entry when one is applied. Every entry costs
   * each replica a fixed price (a Ratis request, an append, an fsync, an apply) whatever it holds,
   * so when the cores are short it is the number of entries that has to give: with each turn
   * proposed at once, 256 callers made entries of about 10 commands. Measured on two cores (three
   * nodes and the load, docs/BENCHMARKS.md): while the JIT compilers still held the cores, 2 in
   * flight gave 1.6-2.3 k pairs/s against 0.9-1.4 k unbounded; once they were done, 3.9 k against
   * 4.3 k, with a lower p99 (83 against 108 ms).
   */
  static final int PROPOSALS_IN_FLIGHT = 2;
  /** At most this many commands in one entry: an entry stays well below Ratis' message sizes. */
  static final int COMMANDS_PER_ENTRY = 4096;
  /** Where the log committed this node's proposals that wait to be applied here, by number. */
  private final Map<Long, Long> placedAt = new HashMap<>();
  /** The log index the last snapshot from the leader covers: entries up to it are never applied here. */
  private long coveredUpTo;
  private static final IOException COVERED = new NotHere("this node caught up from the leader's"
      + " snapshot while the request waited; send it again (a retry by call_id is safe)");
  /** The tick proposal in flight (0: none): one at a time is enough to move time. */
  private long tickProposal;
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
    this(engine, log, null, applier);
  }

  /** A replica's turns: commands go through {@code replicated}; nothing is journaled here. */
  Turns(Engine engine, ReplicatedLog replicated, Applier applier) {
    this(engine, CommandLog.NONE, replicated, applier);
  }

  private Turns(Engine engine, CommandLog log, ReplicatedLog replicated, Applier applier) {
    this.engine = engine;
    this.log = log;
    this.replicated = replicated;
    this.applier = applier;
  }

  void force(Consumer<Task> force) {
    this.force = force;
  }

  /**
   * Runs one turn over {@code batch} at {@code now}. A task that throws an exception is logged
   * and the turn goes on without it, so the others are still answered. An {@link Error} (the
   * heap ran out, say) or an exception outside any task leaves the turn half done — commands
   * applied whose events or answers were never collected — so the loop halts and every request
   * of the turn is answered UNAVAILABLE: none waits forever, and a retry by call_id after the
   * restart finds what was applied.
   */
  void run(List<? extends Task> batch, long now) {
    long started = System.nanoTime();
    Outgoing.Turn out = new Outgoing.Turn();
    try {
      runTasks(batch, now, out);
    } catch (RuntimeException | Error e) {
      failPartWay(e, out);
    }
    outgoing.add(out);
    outgoing.sendDurable(log, this::halt);
    observers.turn(batch.size(), System.nanoTime() - started);
  }

  private void failPartWay(Throwable e, Outgoing.Turn out) {
    IOException failed = new IOException("a turn failed part way (" + e
        + "); nothing more is applied until the server is restarted", e);
    halt(failed);
    out.lose(failed);
  }

  private void runTasks(List<? extends Task> batch, long now, Outgoing.Turn out) {
    long at = now;
    if (replicated != null) {
      at = engine.lastNow(); // time passes only as the log's entries do
    } else {
      if (now >= engine.nextDeadline() && halted == null) {
        new Commands.Tick().applyTo(engine, now);
        collectEvents(now, "", out);
      }
      readAhead(batch);
    }
    for (Task task : batch) {
      try {
        task.run(this, at, out);
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "a task of the turn failed; the turn goes on without it", e);
      } catch (Error e) {
        failPartWay(e, out); // the tasks after it still run, to be refused and answered
      }
      try {
        collectEvents(now, task.actor(), out);
      } catch (RuntimeException | Error e) {
        failPartWay(e, out);
      }
    }
    orgWatchers.publish(engine, now, out::send);
    if (replicated != null) {
      propose(now);
    }
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
  }

  /**
   * When the loop must run a turn even if nothing arrives: a timer or a WatchOrg status due. On a
   * replica, timers are the leader's to fire (by a tick), one tick at a time.
   */
  long nextDeadline() {
    long timers = replicated == null || mayTick() ? engine.nextDeadline() : Long.MAX_VALUE;
    return Math.min(timers, orgWatchers.nextPublish());
  }

  /**
   * Whether this replica may propose a tick when a timer is due: only the leader moves the log's
   * time, one tick at a time, and not once the loop has halted.
   */
  private boolean mayTick() {
    return tickProposal == 0 && halted == null && replicated.leading();
  }

  // ---- On a replica -----------------------------------------------------------------------

  /**
   * At the end of a turn: the turn's commands as one proposal; or, on the leader with nothing to
   * propose and a timer due, an empty one (a tick), so that every replica lets the time pass.
   */
  private void propose(long now) {
    if (halted != null) {
      IOException refused = new NotHere("this node stopped applying commands (its log has why);"
          + " send to another node of the cluster");
      for (Applying<?> a : proposing) {
        a.reply().failed(refused);
      }
      proposing.clear();
      return;
    }
    List<Applying<?>> tasks = proposing;
    if (tasks.isEmpty()) {
      if (!mayTick() || now < engine.nextDeadline()) {
        return;
      }
      tasks = List.of();
    } else if (proposed.size() - (tickProposal != 0 ? 1 : 0) >= PROPOSALS_IN_FLIGHT) {
      return; // they leave with the next entry, once one of ours is applied
    } else if (tasks.size() > COMMANDS_PER_ENTRY) {
      tasks = new ArrayList<>(proposing.subList(0, COMMANDS_PER_ENTRY));
      proposing.subList(0, COMMANDS_PER_ENTRY).clear();
    } else {
      proposing = new ArrayList<>();
    }
    long proposal = nextProposal++;
    if (tasks.isEmpty()) {
      tickProposal = proposal;
    }
    proposed.put(proposal, new Proposed(tasks, System.nanoTime())); // one clock read per entry
    List<Commands.Command<?>> commands = new ArrayList<>(tasks.size());
    List<String> actors = new ArrayList<>(tasks.size());
    for (Applying<?> a : tasks) {
      commands.add(a.command());
      actors.add(a.actor());
    }
    ReplicatedLog.Outcome outcome = new ReplicatedLog.Outcome() {
      @Override
      public void committed(long index) {
        force.accept((t, n, out) -> t.placed(proposal, index, out));
      }

      @Override
      public void refused(IOException why) {
        force.accept((t, n, out) -> t.refused(proposal, why, out));
      }
    };
    try {
      replicated.propose(proposal, commands, actors, outcome);
    } catch (RuntimeException e) {
      // A bug (a command the log cannot encode): its callers still get an answer.
      LOG.log(Level.ERROR, "proposing " + commands + " failed", e);
      outcome.refused(new NotHere("the request could not be handed to the cluster's log; retry"));
    }
  }

  /**
   * A proposal of ours was committed as entry {@code index}. If this replica has not applied it
   * yet and a snapshot that replaced its state covers it, it never will, so its callers cannot
   * learn its result here: they are told to send again, and the retry by call_id finds what it
   * did. Otherwise {@link #replaceEngine} may need to know where it went.
   */
  private void placed(long proposal, long index, Outgoing.Turn out) {
    if (!proposed.containsKey(proposal)) {
      return; // applied here already, or refused
    }
    if (index <= coveredUpTo) {
      refused(proposal, COVERED, out);
    } else {
      placedAt.put(proposal, index);
    }
  }

  /** The log would not take a proposal: its callers learn why (a retry by call_id is safe). */
  private void refused(long proposal, IOException why, Outgoing.Turn out) {
    if (proposal == tickProposal) {
      tickProposal = 0;
    }
    placedAt.remove(proposal);
    Proposed refused = proposed.remove(proposal);
    if (refused != null) {
      for (Applying<?> a : refused.tasks()) {
        out.send(() -> a.reply().failed(why));
      }
    }
  }

  /**
   * Applies an entry the log committed: lets time pass to the leader's stamp (never back), then
   * applies its commands in order; those this replica proposed answer their callers. Whatever
   * happens, the log is told the entry's fate: applied, or the halt (once halted, every entry).
   */
  void applyCommitted(ReplicatedLog.Committed c, Outgoing.Turn out) {
    if (halted == null) {
      try {
        applyEntry(c, out);
      } catch (RuntimeException | Error e) {
        // Part of the entry may be applied: the replica can no longer follow the log. And Ratis
        // waits for every entry's answer as it stops, so this one still gets one (the halt).
        failPartWay(e, out);
      }
    }
    c.done().accept(halted);
  }

  private void applyEntry(ReplicatedLog.Committed c, Outgoing.Turn out) {
    new Commands.Tick().applyTo(engine, c.stampedAt()); // the engine's time never goes back
    long t = engine.lastNow();
    collectEvents(t, "", out);
    Proposed ours = null;
    if (c.origin().equals(replicated.origin())) {
      ours = proposed.remove(c.proposal());
      placedAt.remove(c.proposal());
      if (c.proposal() == tickProposal) {
        tickProposal = 0;
      }
    }
    List<Applying<?>> mine = ours == null ? null : ours.tasks();
    List<Commands.Command<?>> commands = c.commands();
    for (int i = 0; i < commands.size() && halted == null; i++) {
      String actor = c.actors().get(i);
      if (mine != null && i < mine.size()) {
        mine.get(i).applyNow(this, t, out);
      } else {
        apply(commands.get(i), actor, ELSEWHERE, t, out);
      }
      collectEvents(t, actor, out);
    }
    if (ours != null && halted == null) {
      observers.committed(System.nanoTime() - ours.sentAt()); // what the callers waited for
    }
  }

  /**
   * The replica's state was replaced by a snapshot from the leader that covers the log up to
   * {@code index} (this replica had fallen behind the log the leader keeps). Open streams belong to
   * the old state, so they end and their callers reopen them. A waiting proposal whose entry the
   * snapshot covers will never be applied here: its callers are told to send again. The others
   * stay: their entries come after the snapshot, and are applied and answered as usual — or, if
   * the log has not yet said where they went, {@link #placed} decides once it does.
   */
  void replaceEngine(Engine replacement, long index, Outgoing.Turn out) {
    engine = replacement;
    coveredUpTo = Math.max(coveredUpTo, index);
    List<Long> covered = new ArrayList<>();
    placedAt.forEach((proposal, at) -> {
      if (at <= coveredUpTo) {
        covered.add(proposal);
      }
    });
    for (long proposal : covered) {
      refused(proposal, COVERED, out);
    }
    endStreams("this node caught up from the leader's snapshot; reopen the stream");
  }

  /** The engine, for a snapshot taken on the loop thread. */
  Engine engine() {
    return engine;
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

  /** Ends every open stream, telling its client {@code why}. */
  void endStreams(String why) {
    for (Watcher w : watchers.removeAll()) {
      w.abort(why);
    }
    for (OrgWatcher w : orgWatchers.removeAll()) {
      w.abort(why);
    }
  }
}
