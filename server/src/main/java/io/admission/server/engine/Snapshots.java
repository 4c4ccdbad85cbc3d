package io.admission.server.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 * <p>Capture runs on the engine's thread and costs O(state); restore likewise.
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
   * An engine in exactly the captured state, filing ended calls under {@code idHashKey}; its
   * events start empty.
   */
  public static Engine restore(EngineSnapshot s, IdHashKey idHashKey) {
    Engine engine = new Engine(idHashKey);
    engine.restoreClock(s.nextSeq(), s.lastNow());
    List<EndedCall> ended = new ArrayList<>();
    List<Call> timed = new ArrayList<>();
    for (EngineSnapshot.Org o : s.orgs()) {
      OrgState org = engine.addOrg(o.config());
      for (Results.Reservation r : o.reservations()) {
        org.setReserved(org.pool.pair(r.agentId(), r.callType()), r.slots());
      }
      o.loginOverrides().forEach(l -> org.login(l.loginId()).override = l.limits());
      o.numberOverrides().forEach(n -> org.number(n.number()).override = n.limits());
      restoreParts(org, o.limits());
      List<Call> wordsOnly = new ArrayList<>();
      for (EngineSnapshot.CallState cs : o.calls()) {
        if (cs.phase() == EngineSnapshot.Phase.ENDED) {
          Results.Denial denial = cs.denial() == null || cs.denial().figures() != null
              ? cs.denial()
              : org.restoreFigures(cs.denial(), cs.request(), cs.endedAt());
          ended.add(new EndedCall(
              org, cs.request(), cs.seq(), cs.heldSince(), cs.slotKind(), cs.grantedAt(),
              cs.ttlMillis(), cs.expiresAt(), cs.endReason(), cs.endedAt(), denial));
        } else {
          Call call = restore(org, cs);
          timed.add(call);
          if (call.state == Call.State.HELD && cs.holdFigures() == null) {
            wordsOnly.add(call);
          }
        }
      }
      // A snapshot written before holds kept figures: derive them now that the org is whole.
      wordsOnly.forEach(c -> org.restoreFigures(c, s.lastNow()));
      // Only now are the live calls that keep logins and numbers back: set their forget timers
      // (and drop any that a snapshot of an older server kept with nothing to keep).
      org.forgetIdle(s.lastNow());
    }
    // Timers in deadline order, so that each lands at its lane's tail (see TimerQueue).
    timed.sort(Comparator.<Call>comparingLong(Snapshots::deadline).thenComparingLong(c -> c.seq));
    timed.forEach(c -> c.org.restoreTimer(c));
    ended.sort(Comparator.comparingLong(EndedCall::endedAt).thenComparingLong(EndedCall::seq));
    ended.forEach(engine::remember);
    return engine;
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
