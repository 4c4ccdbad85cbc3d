package io.admission.server.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Takes an {@link EngineSnapshot} of an engine and builds an engine from one. Restoring rebuilds
 * every derived structure — pool counters, queues in sequence order, queue positions, hold counts,
 * timers — from the calls, with the same code paths the live engine uses to place them.
 *
 * <p>Capture runs on the engine's thread and costs O(state); restore likewise.
 */
public final class Snapshots {
  private Snapshots() {}

  public static EngineSnapshot capture(Engine engine) {
    long now = engine.lastNow();
    List<EngineSnapshot.Org> orgs = new ArrayList<>();
    for (String orgId : engine.orgIds()) {
      orgs.add(capture(engine.org(orgId), now));
    }
    return new EngineSnapshot(engine.nextSeq(), now, orgs);
  }

  private static EngineSnapshot.Org capture(OrgState org, long now) {
    Results.OrgView view = Engine.orgView(org, false);
    List<EngineSnapshot.LoginWindow> windows = new ArrayList<>();
    for (Login login : org.logins.values()) {
      login.lastWindow(org, now); // drop starts that left the window: they no longer count
      long wakeAt = login.windowTimer == null ? -1 : login.windowTimer.at;
      if (!login.starts.isEmpty() || wakeAt >= 0) {
        windows.add(new EngineSnapshot.LoginWindow(login.id, boxed(login.starts.toArray()), wakeAt));
      }
    }
    windows.sort(Comparator.comparing(EngineSnapshot.LoginWindow::loginId));
    List<EngineSnapshot.NumberCounts> numbers = new ArrayList<>();
    for (CallerNumber n : org.numbers.values()) {
      n.hour.count(now, NumberLimits.HOUR_MILLIS);
      long wakeAt = n.windowTimer == null ? -1 : n.windowTimer.at;
      if (!n.hour.isEmpty() || n.today != 0 || wakeAt >= 0) {
        numbers.add(new EngineSnapshot.NumberCounts(
            n.number, boxed(n.hour.toArray()), n.day, n.today, wakeAt));
      }
    }
    numbers.sort(Comparator.comparing(EngineSnapshot.NumberCounts::number));
    List<EngineSnapshot.CallState> calls = new ArrayList<>(org.calls.size());
    for (Call c : org.calls.values()) {
      calls.add(capture(c));
    }
    calls.sort(Comparator.comparingLong(EngineSnapshot.CallState::seq));
    return new EngineSnapshot.Org(
        org.config, view.reservations(), view.loginOverrides(), view.numberOverrides(), windows,
        numbers, org.dailyDay, org.dailyUsed, calls);
  }

  private static EngineSnapshot.CallState capture(Call c) {
    Commands.Acquire request = c.request();
    EngineSnapshot.Phase phase = switch (c.state) {
      case HELD -> EngineSnapshot.Phase.HELD;
      case ACTIVE -> EngineSnapshot.Phase.ACTIVE;
      case ENDED -> EngineSnapshot.Phase.ENDED;
    };
    boolean held = c.state == Call.State.HELD;
    return new EngineSnapshot.CallState(
        request, c.seq, phase,
        held ? c.holdReason : null,
        held ? c.holdMessage : null,
        held ? c.readyAt : -1,
        c.heldSince,
        held ? c.waitDeadline() : -1,
        c.slotKind, c.grantedAt, c.ttlMillis, c.expiresAt,
        c.endReason, c.endedAt, c.denial);
  }

  /** An engine in exactly the captured state; its events start empty. */
  public static Engine restore(EngineSnapshot s) {
    Engine engine = new Engine();
    engine.restoreClock(s.nextSeq(), s.lastNow());
    List<Call> ended = new ArrayList<>();
    List<Call> timed = new ArrayList<>();
    for (EngineSnapshot.Org o : s.orgs()) {
      OrgState org = engine.addOrg(o.config());
      for (Results.Reservation r : o.reservations()) {
        org.setReserved(org.pool.pair(r.agentId(), r.callType()), r.slots());
      }
      o.loginOverrides().forEach(l -> org.login(l.loginId()).override = l.limits());
      o.numberOverrides().forEach(n -> org.number(n.number()).override = n.limits());
      for (EngineSnapshot.LoginWindow w : o.loginWindows()) {
        Login login = org.login(w.loginId());
        w.starts().forEach(login.starts::add);
        org.restoreWake(login, w.wakeAt());
      }
      for (EngineSnapshot.NumberCounts n : o.numberCounts()) {
        CallerNumber number = org.number(n.number());
        n.starts().forEach(number.hour::add);
        number.day = n.day();
        number.today = n.today();
        org.restoreWake(number, n.wakeAt());
      }
      org.dailyDay = o.dailyDay();
      org.dailyUsed = o.dailyUsed();
      for (EngineSnapshot.CallState cs : o.calls()) {
        Call call = restore(org, cs);
        if (call.state == Call.State.ENDED) {
          ended.add(call);
        } else {
          timed.add(call);
        }
      }
    }
    // Timers in deadline order, so that each lands at its lane's tail (see TimerQueue).
    timed.sort(Comparator.<Call>comparingLong(Snapshots::deadline).thenComparingLong(c -> c.seq));
    timed.forEach(c -> c.org.restoreTimer(c));
    ended.sort(Comparator.<Call>comparingLong(c -> c.endedAt).thenComparingLong(c -> c.seq));
    ended.forEach(engine::remember);
    return engine;
  }

  private static Call restore(OrgState org, EngineSnapshot.CallState cs) {
    Commands.Acquire r = cs.request();
    Call call = cs.phase() == EngineSnapshot.Phase.ENDED
        ? new Call(org, r, cs.seq(), org.login(r.loginId()), org.number(r.fromNumber()))
        : new Call(org, r, cs.seq(), org.pool.pair(r.agentId(), r.callType()),
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
        org.restoreHeld(call, cs.holdReason(), cs.holdMessage(), cs.readyAt());
        if (call.waitDeadline() != cs.waitDeadline()) {
          throw new IllegalArgumentException("snapshot: held call " + call.callId + " has wait deadline "
              + cs.waitDeadline() + ", but held since " + call.heldSince + " with max_wait "
              + call.maxWaitMillis + " ms it is " + call.waitDeadline());
        }
      }
      case ENDED -> {
        call.state = Call.State.ENDED;
        call.endReason = cs.endReason();
        call.endedAt = cs.endedAt();
        call.denial = cs.denial();
      }
    }
    return call;
  }

  private static long deadline(Call call) {
    return call.state == Call.State.ACTIVE ? call.expiresAt : call.waitDeadline();
  }

  private static List<Long> boxed(long[] values) {
    List<Long> out = new ArrayList<>(values.length);
    for (long v : values) {
      out.add(v);
    }
    return out;
  }
}
