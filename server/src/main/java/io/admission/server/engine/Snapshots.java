package io.admission.server.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Takes an {@link EngineSnapshot} of an engine and builds an engine from one. Restoring rebuilds
 * every derived structure — pool counters, queues in sequence order, queue positions, hold counts,
 * timers — from the calls, with the same code paths the live engine uses to place them.
 *
 * <p>Capture only reads — taking a snapshot reads state and changes nothing:
 * snapshots are taken at moments that are not in the command log, so one that changed the engine
 * could make a live server and a replay of its log decide differently. It keeps the rolling-window
 * starts that count at the engine's latest time; those that left the window but are still held
 * can never count again (see {@link SlidingWindowLog}), so leaving them out changes no future
 * decision and makes the snapshot of two engines in the same state equal.
 *
 * <p>Capture runs on the engine's thread and costs O(state); restore likewise. A snapshot that is
 * written to disk is {@link #take}n instead: on the engine's thread only a copy of the remembered
 * calls' bytes (a memcpy, no object per call: at 300,000 remembered calls 4 ms against capture's
 * 250), turned into the snapshot's calls one at a time on the thread that writes it; and it is
 * read back piece by piece ({@link Restoring}), so neither holds the state twice as objects.
 */
public final class Snapshots {
  private Snapshots() {}

  public static EngineSnapshot capture(Engine engine) {
    long now = engine.lastNow();
    Map<OrgState, List<EngineSnapshot.CallState>> ended = new HashMap<>();
    engine.endedCalls().forEach(
        e -> ended.computeIfAbsent(e.org(), k -> new ArrayList<>()).add(capture(e)));
    List<EngineSnapshot.Org> orgs = new ArrayList<>();
    for (String orgId : engine.orgIds()) {
      OrgState org = engine.org(orgId);
      orgs.add(capture(org, ended.getOrDefault(org, List.of()), now));
    }
    return new EngineSnapshot(engine.nextSeq(), now, orgs);
  }

  private static EngineSnapshot.Org capture(
      OrgState org, List<EngineSnapshot.CallState> ended, long now) {
    Results.OrgView view = Engine.orgView(org, false);
    List<EngineSnapshot.LimitPart> parts = new ArrayList<>();
    for (Limit limit : Limits.ALL) {
      List<EngineSnapshot.Entry> entries = new ArrayList<>();
      limit.capture(org, now, entries);
      if (!entries.isEmpty()) {
        entries.sort(Comparator.comparing(EngineSnapshot.Entry::key));
        parts.add(new EngineSnapshot.LimitPart(limit.name(), entries));
      }
    }
    List<EngineSnapshot.CallState> calls = new ArrayList<>(org.calls.size() + ended.size());
    for (Call c : org.calls.values()) {
      calls.add(capture(c));
    }
    calls.addAll(ended);
    calls.sort(Comparator.comparingLong(EngineSnapshot.CallState::seq));
    return new EngineSnapshot.Org(
        org.config, view.reservations(), view.loginOverrides(), view.numberOverrides(), parts,
        calls);
  }

  private static EngineSnapshot.CallState capture(Call c) {
    boolean held = c.state == Call.State.HELD;
    return new EngineSnapshot.CallState(
        c.request(), c.seq,
        held ? EngineSnapshot.Phase.HELD : EngineSnapshot.Phase.ACTIVE,
        held ? c.holdReason : null,
        held ? c.holdFigures : null,
        held ? c.readyAt : -1,
        c.heldSince,
        held ? c.waitDeadline() : -1,
        c.slotKind, c.grantedAt, c.ttlMillis, c.expiresAt,
        null, 0, null);
  }

  private static EngineSnapshot.CallState capture(EndedCall e) {
    return new EngineSnapshot.CallState(
        e.request(), e.seq(), EngineSnapshot.Phase.ENDED, null, null, -1, e.heldSince(), -1,
        e.slotKind(), e.grantedAt(), e.ttlMillis(), e.expiresAt(), e.reason(), e.endedAt(),
        e.denial());
  }

  /**
   * The engine's state taken for a snapshot that is written on another thread: the orgs with
   * their live calls as values (a bounded number: the live calls are bounded), and the remembered
   * calls as a copy of their bytes ({@link #take}). Its reading allocates one call at a time.
   *
   * @param orgs each org, with its live calls only, in {@link EngineSnapshot} order
   */
  public record Taken(long nextSeq, long lastNow, List<EngineSnapshot.Org> orgs, Remembered remembered) {
    public Taken {
      orgs = List.copyOf(orgs);
    }
  }

  /** The remembered calls of a {@link Taken}: copied bytes, read on any one thread. */
  public static final class Remembered {
    private final EndedCalls.Copy copy;

    private Remembered(EndedCalls.Copy copy) {
      this.copy = copy;
    }

    /** Each remembered call of an org in the engine, in the order they ended. */
    public void forEach(Consumer<EngineSnapshot.CallState> action) {
      copy.forEach(e -> action.accept(capture(e)));
    }
  }

  /**
   * The engine's state for a snapshot, taken on the engine's thread at the cost of copying the
   * remembered calls' bytes: no object per remembered call. It changes nothing, as {@link
   * #capture} does not; what {@link #capture} would give is {@link #expand}ed from it.
   */
  public static Taken take(Engine engine) {
    long now = engine.lastNow();
    List<EngineSnapshot.Org> orgs = new ArrayList<>();
    for (String orgId : engine.orgIds()) {
      orgs.add(capture(engine.org(orgId), List.of(), now));
    }
    List<OrgState> bySerial = engine.orgsBySerial();
    String[] orgIds = new String[bySerial.size()];
    for (int serial = 0; serial < orgIds.length; serial++) {
      String orgId = bySerial.get(serial).config.orgId();
      // Only an org still in the engine: a deleted one's calls stay until they age out, unread.
      orgIds[serial] = engine.org(orgId) == bySerial.get(serial) ? orgId : null;
    }
    return new Taken(engine.nextSeq(), now, orgs,
        new Remembered(engine.endedCalls().copy(orgIds)));
  }

  /** The same state as one value, every call an object: {@link #capture}'s value, for tests. */
  public static EngineSnapshot expand(Taken taken) {
    Map<String, List<EngineSnapshot.CallState>> ended = new HashMap<>();
    taken.remembered().forEach(
        c -> ended.computeIfAbsent(c.request().orgId(), k -> new ArrayList<>()).add(c));
    List<EngineSnapshot.Org> orgs = new ArrayList<>();
    for (EngineSnapshot.Org o : taken.orgs()) {
      List<EngineSnapshot.CallState> calls = new ArrayList<>(o.calls());
      calls.addAll(ended.getOrDefault(o.config().orgId(), List.of()));
      calls.sort(Comparator.comparingLong(EngineSnapshot.CallState::seq));
      orgs.add(new EngineSnapshot.Org(o.config(), o.reservations(), o.loginOverrides(),
          o.numberOverrides(), o.limits(), calls));
    }
    return new EngineSnapshot(taken.nextSeq(), taken.lastNow(), orgs);
  }

  /**
   * An engine in exactly the captured state, filing ended calls under {@code idHashKey}; its
   * events start empty. Ended calls are remembered in the order they ended.
   */
  public static Engine restore(EngineSnapshot s, IdHashKey idHashKey) {
    Restoring restoring = new Restoring(s.nextSeq(), s.lastNow(), idHashKey);
    List<EngineSnapshot.CallState> ended = new ArrayList<>();
    for (EngineSnapshot.Org o : s.orgs()) {
      List<EngineSnapshot.CallState> live = new ArrayList<>(o.calls().size());
      for (EngineSnapshot.CallState c : o.calls()) {
        (c.phase() == EngineSnapshot.Phase.ENDED ? ended : live).add(c);
      }
      restoring.org(new EngineSnapshot.Org(o.config(), o.reservations(), o.loginOverrides(),
          o.numberOverrides(), o.limits(), live));
    }
    ended.sort(Comparator.comparingLong(EngineSnapshot.CallState::endedAt)
        .thenComparingLong(EngineSnapshot.CallState::seq));
    ended.forEach(restoring::call);
    return restoring.finish();
  }

  /**
   * An engine built from a snapshot read piece by piece, so that no more of the snapshot than one
   * piece is ever in memory: first {@link #org} for each org, in snapshot order, then {@link
   * #call} for each call of an org given before — live calls in sequence order, remembered ones
   * in the order they ended — then {@link #finish}. Whatever the order of the pieces, the engine
   * is the one {@link #restore} builds from the same state.
   */
  public static final class Restoring {
    private final Engine engine;
    private final long lastNow;
    private final Map<String, OrgState> orgs = new HashMap<>(); // looked up only
    private final List<OrgState> inOrder = new ArrayList<>();
    /** Held calls of a snapshot written before holds kept figures, by org. */
    private final Map<OrgState, List<Call>> wordsOnly = new HashMap<>();
    private final List<Call> timed = new ArrayList<>();
    private boolean finished;

    public Restoring(long nextSeq, long lastNow, IdHashKey idHashKey) {
      engine = new Engine(idHashKey);
      engine.restoreClock(nextSeq, lastNow);
      this.lastNow = lastNow;
    }

    /** An org's settings, reservations, overrides and limits' parts, and any calls it holds. */
    public void org(EngineSnapshot.Org o) {
      String orgId = o.config().orgId();
      if (finished || orgs.containsKey(orgId)) {
        throw new IllegalArgumentException("snapshot: org " + orgId
            + (finished ? " comes after the end" : " comes twice"));
      }
      OrgState org = engine.addOrg(o.config());
      orgs.put(orgId, org);
      inOrder.add(org);
      for (Results.Reservation r : o.reservations()) {
        org.setReserved(org.pool.pair(r.agentId(), r.callType()), r.slots());
      }
      o.loginOverrides().forEach(l -> org.login(l.loginId()).override = l.limits());
      o.numberOverrides().forEach(n -> org.number(n.number()).override = n.limits());
      restoreParts(org, o.limits());
      o.calls().forEach(this::call);
    }

    /** One call of an org given before. */
    public void call(EngineSnapshot.CallState cs) {
      String orgId = cs.request().orgId();
      OrgState org = orgs.get(orgId);
      if (org == null || finished) {
        throw new IllegalArgumentException("snapshot: call " + cs.request().callId() + " of org "
            + orgId + (finished ? " comes after the end" : ", an org the snapshot has not given"));
      }
      if (cs.phase() == EngineSnapshot.Phase.ENDED) {
        Results.Denial denial = cs.denial() == null || cs.denial().figures() != null
            ? cs.denial()
            : org.restoreFigures(cs.denial(), cs.request(), cs.endedAt());
        engine.remember(new EndedCall(
            org, cs.request(), cs.seq(), cs.heldSince(), cs.slotKind(), cs.grantedAt(),
            cs.ttlMillis(), cs.expiresAt(), cs.endReason(), cs.endedAt(), denial));
      } else {
        Call call = restore(org, cs);
        timed.add(call);
        if (call.state == Call.State.HELD && cs.holdFigures() == null) {
          wordsOnly.computeIfAbsent(org, k -> new ArrayList<>()).add(call);
        }
      }
    }

    /** The engine, with every derived structure rebuilt; the Restoring is then spent. */
    public Engine finish() {
      if (finished) {
        throw new IllegalStateException("already finished");
      }
      finished = true;
      for (OrgState org : inOrder) {
        // A snapshot written before holds kept figures: derive them now that the org is whole.
        wordsOnly.getOrDefault(org, List.of()).forEach(c -> org.restoreFigures(c, lastNow));
        // Only now are the live calls that keep logins and numbers back: set their forget timers
        // (and drop any that a snapshot of an older server kept with nothing to keep).
        org.forgetIdle(lastNow);
      }
      // Timers in deadline order, so that each lands at its lane's tail (see TimerQueue).
      timed.sort(Comparator.<Call>comparingLong(Snapshots::deadline).thenComparingLong(c -> c.seq));
      timed.forEach(c -> c.org.restoreTimer(c));
      return engine;
    }
  }

  /**
   * Each limit's part back to it, in {@link Limits#ORDER}; a limit the snapshot kept nothing of
   * gets none. A part no limit of this server names is refused rather than dropped: the counts
   * in it would be lost without a word.
   */
  private static void restoreParts(OrgState org, List<EngineSnapshot.LimitPart> parts) {
    Map<String, List<EngineSnapshot.Entry>> byName = new HashMap<>(); // looked up only
    for (EngineSnapshot.LimitPart p : parts) {
      if (byName.put(p.limit(), p.entries()) != null) {
        throw new IllegalArgumentException("snapshot: org " + org.config.orgId()
            + " has two parts for limit " + p.limit());
      }
    }
    for (Limit limit : Limits.ALL) {
      List<EngineSnapshot.Entry> entries = byName.remove(limit.name());
      limit.restore(org, entries == null ? List.of() : entries);
    }
    if (!byName.isEmpty()) {
      throw new IllegalArgumentException("snapshot: org " + org.config.orgId() + " has parts for "
          + new java.util.TreeSet<>(byName.keySet()) + ", limits this server does not have");
    }
  }

  /**
   * The parts of an org of a snapshot written when a login's window, a number's counts and the
   * org's daily count were fixed fields of the org (see {@link
   * EngineSnapshot.Org#withFixedFields}): each as its limit now writes it.
   */
  static List<EngineSnapshot.LimitPart> fromFixedFields(
      List<EngineSnapshot.LoginWindow> loginWindows,
      List<EngineSnapshot.NumberCounts> numberCounts,
      long dailyDay,
      int dailyUsed) {
    List<EngineSnapshot.LimitPart> parts = new ArrayList<>();
    if (!loginWindows.isEmpty()) {
      parts.add(part(ConcurrencyWindowLimit.LOGINS, loginWindows.stream()
          .map(w -> Login.entry(w.loginId(), w.wakeAt(), w.starts())).toList()));
    }
    if (!numberCounts.isEmpty()) {
      parts.add(part(ConcurrencyWindowLimit.NUMBERS, numberCounts.stream()
          .map(n -> CallerNumber.entry(n.number(), n.wakeAt(), n.day(), n.today(), n.starts()))
          .toList()));
    }
    if (dailyUsed != 0) { // without a count, the day it was of changes nothing
      parts.add(part(DailyCapLimit.INSTANCE, List.of(DailyCapLimit.entry(dailyDay, dailyUsed))));
    }
    return parts;
  }

  private static EngineSnapshot.LimitPart part(Limit limit, List<EngineSnapshot.Entry> entries) {
    entries = new ArrayList<>(entries);
    entries.sort(Comparator.comparing(EngineSnapshot.Entry::key));
    return new EngineSnapshot.LimitPart(limit.name(), entries);
  }

  private static Call restore(OrgState org, EngineSnapshot.CallState cs) {
    Commands.Acquire r = cs.request();
    Call call = new Call(org, r, cs.seq(), org.pool.pair(r.agentId(), r.callType()),
        org.login(r.loginId()), org.number(r.fromNumber()));
    org.calls.put(call.callId, call);
    call.heldSince = cs.heldSince();
    call.slotKind = cs.slotKind();
    call.grantedAt = cs.grantedAt();
    call.ttlMillis = cs.ttlMillis();
    call.expiresAt = cs.expiresAt();
    switch (cs.phase()) {
      case ACTIVE -> {
        call.pair.live++;
        org.restoreActive(call);
      }
      case HELD -> {
        call.pair.live++;
        org.restoreHeld(call, cs.holdReason(), cs.holdFigures(), cs.readyAt());
        if (call.waitDeadline() != cs.waitDeadline()) {
          throw new IllegalArgumentException("snapshot: held call " + call.callId + " has wait deadline "
              + cs.waitDeadline() + ", but held since " + call.heldSince + " with max_wait "
              + call.maxWaitMillis + " ms it is " + call.waitDeadline());
        }
      }
      case ENDED -> throw new IllegalStateException("ended calls are restored as EndedCall");
    }
    return call;
  }

  private static long deadline(Call call) {
    return call.state == Call.State.ACTIVE ? call.expiresAt : call.waitDeadline();
  }

  static List<Long> boxed(long[] values) {
    List<Long> out = new ArrayList<>(values.length);
    for (long v : values) {
      out.add(v);
    }
    return out;
  }
}
