package io.admission.server.engine;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Everything one org enforces: its pool and reservations, its logins and numbers, its daily count,
 * its calls and its queues. Orgs share nothing, so they can later be sharded by org.
 *
 * <p>Owned by the engine's single thread. Every method takes {@code now}; nothing reads a clock.
 */
final class OrgState {
  /** A local day of the org's time zone, as epoch-millisecond bounds. */
  record Day(LocalDate date, long epochDay, long startsAt, long endsAt) {}

  private final Engine engine;
  /** Its number among the engine's orgs, in creation order; names it in ended-call records. */
  final int serial;
  OrgConfig config;
  final Pool pool;
  final Map<String, Login> logins = new HashMap<>();
  final Map<String, CallerNumber> numbers = new HashMap<>();
  /** Live calls (held or active) by call_id; ended ones are in the engine's {@link EndedCalls}. */
  final Map<String, Call> calls = new HashMap<>();
  /** All held calls, for their 1-based queue position and the oldest one's wait. */
  final RankTree held = new RankTree();
  final int[] heldByReason = new int[HoldReason.values().length];

  /** The figures of the latest hold: calls held for the same reason share one copy. */
  private Results.Figures lastHoldFigures;
  private Day day;
  /** Each limit's own state in this org (see {@link OrgSlot}). */
  final Object[] slots = Limits.freshSlots();

  OrgState(Engine engine, OrgConfig config, int serial) {
    this.engine = engine;
    this.serial = serial;
    this.config = config;
    this.pool = new Pool(config.concurrencyLimit());
  }

  // ---- Days -------------------------------------------------------------------------------

  /** The local day containing {@code now}; recomputed only when a midnight passes. */
  Day day(long now) {
    if (day == null || now >= day.endsAt() || now < day.startsAt()) {
      LocalDate date = Instant.ofEpochMilli(now).atZone(config.timeZone()).toLocalDate();
      long start = date.atStartOfDay(config.timeZone()).toInstant().toEpochMilli();
      long end = date.plusDays(1).atStartOfDay(config.timeZone()).toInstant().toEpochMilli();
      day = new Day(date, date.toEpochDay(), start, end);
    }
    return day;
  }

  void reconfigure(OrgConfig newConfig) {
    this.config = newConfig;
    this.pool.limit = newConfig.concurrencyLimit();
    this.day = null; // the time zone may have changed
  }

  // ---- Lookups ----------------------------------------------------------------------------

  Login login(String loginId) {
    return loginId.isEmpty() ? null : logins.computeIfAbsent(loginId, Login::new);
  }

  CallerNumber number(String number) {
    return number.isEmpty() ? null : numbers.computeIfAbsent(number, CallerNumber::new);
  }

  // ---- Forgetting idle logins and numbers -------------------------------------------------

  /**
   * A live call names {@code w}: it is kept while the call lives. Its forget timer goes, so that
   * only a login or number that nothing but counts keep has one — what a snapshot restore
   * derives (see {@link #forgetIdle}).
   */
  private void pin(ConcurrencyWindow w) {
    if (w != null && w.live++ == 0) {
      w.forgetTimer = engine.timers.cancel(w.forgetTimer);
    }
  }

  private void unpin(ConcurrencyWindow w, long now) {
    if (w != null) {
      w.live--;
      forgetWhenIdle(w, now);
    }
  }

  /**
   * Logins and numbers come and go with the calls that name them: one with no live call, no
   * limits of its own and nothing that still counts (a start in its window, a number's count of
   * the day) is dropped, so that memory follows the logins in use, not every login ever seen. One
   * that only counts keep has a forget timer at {@link ConcurrencyWindow#countsUntil}; this sets,
   * moves or cancels it, or forgets it now. Whether it is kept depends only on its own state, so
   * an engine restored from a snapshot (which keeps exactly the logins and numbers with something
   * to keep) holds the same ones with the same timers. Called whenever what keeps it may change:
   * its last live call ended, its limits or the org's changed. O(1) plus a timer operation.
   */
  void forgetWhenIdle(ConcurrencyWindow w, long now) {
    if (w.live > 0 || w.configured()) {
      w.forgetTimer = engine.timers.cancel(w.forgetTimer);
      return;
    }
    long until = w.countsUntil(this);
    if (until <= now) {
      w.forgetTimer = engine.timers.cancel(w.forgetTimer);
      w.windowTimer = engine.timers.cancel(w.windowTimer); // no waiter left for it to wake
      w.removeFrom(this);
    } else if (w.forgetTimer == null || w.forgetTimer.at != until) {
      engine.timers.cancel(w.forgetTimer);
      w.forgetTimer = engine.timers.schedule(until, TimerQueue.Kind.FORGET, this, w.timerName(), w);
    }
  }

  /** Its forget timer fired; it may have been kept meanwhile by something else. */
  void forgetTimerFired(ConcurrencyWindow w, long now) {
    w.forgetTimer = null;
    forgetWhenIdle(w, now);
  }

  /**
   * Every login and number, after a change of the org's settings (the window or the time zone may
   * have moved when their counts end) or a snapshot restore. O(logins + numbers of the org), on
   * those commands only; the order does not matter, since each is decided on its own.
   */
  void forgetIdle(long now) {
    for (ConcurrencyWindow w : new ArrayList<>(logins.values())) {
      forgetWhenIdle(w, now);
    }
    for (ConcurrencyWindow w : new ArrayList<>(numbers.values())) {
      forgetWhenIdle(w, now);
    }
  }

  // ---- Deciding ---------------------------------------------------------------------------

  /** The first check that does not pass, in {@link Limits#ORDER}, or PASS. */
  Verdict evaluate(Call call, long now) {
    for (Limit limit : Limits.ALL) {
      Verdict v = limit.check(this, call, now);
      if (v != Verdict.PASS) {
        return v;
      }
    }
    return Verdict.PASS;
  }

  /**
   * Why an Acquire of a new call is refused with the org at its bound of {@code max} held calls:
   * when the call would be held, or null when it would be granted or denied as ever. Changes
   * nothing: the call is checked as it would arrive — on the org's own login and number, or fresh
   * ones for those the org does not keep (what a new one would be) — without being placed.
   */
  Rejection refuseHold(Commands.Acquire c, long seq, int max, long now) {
    Login login = c.loginId().isEmpty() ? null
        : logins.getOrDefault(c.loginId(), new Login(c.loginId()));
    CallerNumber number = c.fromNumber().isEmpty() ? null
        : numbers.getOrDefault(c.fromNumber(), new CallerNumber(c.fromNumber()));
    Pool.Pair pair = pool.pair(c.agentId(), c.callType());
    Verdict v = evaluate(new Call(this, c, seq, pair, login, number), now);
    pool.forgetIfIdle(pair.agent);
    if (!(v instanceof Verdict.Hold)) {
      return null;
    }
    return new Rejection(Rejection.Kind.RESOURCE_EXHAUSTED, Engine.Bounds.MAX_HELD_PER_ORG,
        new Rejection.HeldBound(config.orgId(), c.callId(), held.size(), max));
  }

  /** Decides a new call: grant, hold or deny. */
  Verdict decide(Call call, long now) {
    calls.put(call.callId, call);
    call.pair.live++;
    pin(call.login);
    pin(call.number);
    Verdict v = evaluate(call, now);
    if (v instanceof Verdict.Hold h) {
      hold(call, h, now);
    } else if (v instanceof Verdict.Deny d) {
      deny(call, d, now);
    } else {
      grant(call, now);
    }
    return v;
  }

  /**
   * Re-checks a held call from the first rule, as when it reaches the front of what blocked it:
   * dispatch, hold again (possibly on another blocker, at its original place), or deny.
   */
  private void reconsider(Call call, long now) {
    HoldReason before = call.holdReason;
    long readyBefore = call.readyAt;
    unqueue(call);
    Verdict v = evaluate(call, now);
    if (v instanceof Verdict.Hold h) {
      hold(call, h, now);
      if (h.reason() != before || h.readyAt() != readyBefore) {
        engine.emit(new Event.HoldChanged(call.request(), holdView(call, now)));
      }
    } else if (v instanceof Verdict.Deny d) {
      leaveHeld(call);
      EndedCall ended = deny(call, d, now);
      engine.emit(new Event.WaitEnded(ended.request(), ended.view()));
    } else {
      leaveHeld(call);
      grant(call, now);
      engine.emit(new Event.Dispatched(call.request(), call.lease(), call.heldSince));
    }
  }

  /**
   * Dispatch after capacity freed: among the oldest waiters of the blockers that now have room,
   * re-check the oldest, until none of them has room or waiters. Cost is O(log n) per call that
   * is dispatched, denied or moved — never a scan of a queue.
   *
   * <p>Terminates: a re-checked call is granted or denied (it leaves every queue), or held again
   * by a check that failed, whose blocker therefore has no room.
   */
  void settle(List<Blocker> freed, long now) {
    while (true) {
      Call next = null;
      for (Blocker b : freed) {
        Call oldest = b.waiters().oldest();
        if (oldest != null && (next == null || oldest.seq < next.seq) && b.hasRoom(this, now)) {
          next = oldest;
        }
      }
      if (next == null) {
        break;
      }
      reconsider(next, now);
    }
    refreshFronts(freed, now);
  }

  /**
   * A login or number that changed but still has no room may now block its oldest waiter for
   * another reason or until another moment: a call ended while its window is still full, the
   * window rolled by one start and the next waiter needs the next one to leave, or the window was
   * reconfigured. Only a re-check of that waiter sets the timer that will dispatch it; without it
   * the call would wait with a stale hold and no timer until some unrelated change. Re-checking
   * never grants or denies here (the blocker has no room, so a holding check fails first); it
   * emits HoldChanged only when the reason or readyAt changed. Blockers are taken in the order of
   * their oldest waiter so that events never depend on hash order. Cost: O(log n) per blocker,
   * plus O(log n) per waiter moved to another blocker's queue.
   */
  private void refreshFronts(List<Blocker> freed, long now) {
    List<Blocker> fronts = new ArrayList<>();
    for (Blocker b : freed) {
      if (b.timed() && !b.waiters().isEmpty()) {
        fronts.add(b);
      }
    }
    fronts.sort(Comparator.comparingLong(b -> b.waiters().oldest().seq));
    for (Blocker b : fronts) {
      Call oldest;
      while ((oldest = b.waiters().oldest()) != null) {
        reconsider(oldest, now);
        if (oldest.queue == b.waiters()) {
          break; // still waits here, now with a current hold and timer
        }
      }
    }
  }

  /** Every blocker that has waiters; for reconfigurations that may free room anywhere. */
  List<Blocker> blockersWithWaiters() {
    List<Blocker> all = new ArrayList<>();
    for (Limit limit : Limits.ALL) {
      limit.blockersWithWaiters(this, all);
    }
    return all;
  }

  // ---- Granting ---------------------------------------------------------------------------

  /** Only now, with every check passed, does the call count toward anything. */
  private void grant(Call call, long now) {
    for (Limit limit : Limits.ALL) {
      limit.count(this, call, now);
    }
    call.state = Call.State.ACTIVE;
    call.grantedAt = now;
    call.ttlMillis = call.requestedTtlMillis > 0 ? call.requestedTtlMillis : config.leaseTtlMillis();
    call.expiresAt = now + call.ttlMillis;
    engine.timers.schedule(call, TimerQueue.Kind.LEASE_EXPIRY, call.ttlMillis);
  }

  /** Extends a lease to {@code now + ttl}. */
  void renew(Call call, long ttlMillis, long now) {
    if (ttlMillis > 0) {
      call.ttlMillis = ttlMillis;
    }
    engine.timers.cancel(call); // first: its lane is ordered by the deadline about to change
    call.expiresAt = now + call.ttlMillis;
    engine.timers.schedule(call, TimerQueue.Kind.LEASE_EXPIRY, call.ttlMillis);
  }

  // ---- Holding ----------------------------------------------------------------------------

  private void hold(Call call, Verdict.Hold h, long now) {
    if (call.state != Call.State.HELD) {
      startHolding(call, now, true);
    }
    enqueue(call, h.reason(), h.figures(), h.readyAt(), h.blocker());
    if (h.readyAt() >= 0) {
      h.blocker().wakeAt(this, engine.timers, h.readyAt());
    }
  }

  /** The call starts waiting; its max_wait timer is set now, or later by a snapshot restore. */
  private void startHolding(Call call, long heldSince, boolean setTimer) {
    call.state = Call.State.HELD;
    call.heldSince = heldSince;
    held.insert(call);
    if (setTimer && call.maxWaitMillis > 0) {
      engine.timers.schedule(call, TimerQueue.Kind.WAIT_DEADLINE, call.maxWaitMillis);
    }
  }

  private void enqueue(
      Call call, HoldReason reason, Results.Figures figures, long readyAt, Blocker blocker) {
    if (figures.equals(lastHoldFigures)) {
      figures = lastHoldFigures;
    } else {
      lastHoldFigures = figures;
    }
    call.holdReason = reason;
    call.holdFigures = figures;
    call.readyAt = readyAt;
    heldByReason[reason.ordinal()]++;
    call.queue = (WaitQueue) blocker.waiters(); // a hold names a login, number or the pool
    call.queue.offer(call);
    Limits.holding(reason).queuedAlso(this, call);
  }

  /**
   * Changes one reservation (the caller has checked the total against the limit). A pair queues
   * the pool's waiters only while it has reserved slots that could serve them, so a first
   * reservation gathers its pair's calls from the pool's queue — O(pool queue), on this admin
   * command only — and a removed one drops its queue.
   */
  void setReserved(Pool.Pair pair, int slots) {
    boolean had = pair.reserved > 0;
    pool.setReserved(pair, slots);
    if (!had && slots > 0) {
      pool.waiters.forEach(c -> {
        if (c.pair == pair) {
          pair.waiters.offer(c);
        }
      });
    } else if (had && slots == 0) {
      pair.waiters.clear();
    }
  }

  /**
   * Snapshot restore: a held call back in its queue at its sequence (its timer comes later).
   * {@code figures} null (a snapshot written before holds kept them) is filled in by {@link
   * #restoreFigures} once every call of the org is back.
   */
  void restoreHeld(Call call, HoldReason reason, Results.Figures figures, long readyAt) {
    pin(call.login);
    pin(call.number);
    startHolding(call, call.heldSince, false);
    Blocker blocker = Limits.holding(reason).blocksOn(this, call);
    if (figures == null) {
      call.holdReason = reason;
      call.readyAt = readyAt;
      heldByReason[reason.ordinal()]++;
      call.queue = (WaitQueue) blocker.waiters();
      call.queue.offer(call);
      Limits.holding(reason).queuedAlso(this, call);
      return;
    }
    enqueue(call, reason, figures, readyAt, blocker);
  }

  /**
   * Snapshot restore, for a held call whose snapshot kept only the words of its hold: the figures
   * of the check that holds it, as they are now that every call of the org is back. Reads only.
   */
  void restoreFigures(Call call, long now) {
    // A held call's check fails while it waits; should it pass, the limit stands with no count.
    call.holdFigures =
        Limits.holding(call.holdReason).check(this, call, now) instanceof Verdict.Hold h
            ? h.figures()
            : Results.Figures.concurrency(
                Limits.holding(call.holdReason).blocksOn(this, call) instanceof ConcurrencyWindow w
                    ? w.id : config.orgId(), 0, 0);
  }

  /**
   * Snapshot restore, for a denial whose snapshot kept only its words: its figures from the
   * org's settings for the day it was denied.
   */
  Results.Denial restoreFigures(Results.Denial d, Commands.Acquire request, long deniedAt) {
    String fromNumber = request.fromNumber();
    OrgState.Day day = day(deniedAt);
    Results.Figures f = switch (d.reason()) {
      case DAILY_CAP -> Results.Figures.daily(config.orgId(),
          config.dailyCap().map(c -> c.capOn(day.date())).orElse(0), config.timeZone().getId(),
          config.dailyCap().map(c -> c.rampDay(day.date())).orElse(0),
          config.dailyCap().map(DailyCap::cap).orElse(0));
      case NUMBER_DAILY_CAP -> {
        // Looked up, not added: a number kept only by an ended call's record would never go.
        CallerNumber number = numbers.getOrDefault(fromNumber, new CallerNumber(fromNumber));
        int max = number.limits(this).maxPerDay();
        yield Results.Figures.daily(fromNumber, max, config.timeZone().getId(), 0, max);
      }
      case CALLING_HOURS -> Results.Figures.callingHours(config.orgId(),
          config.timeZone().getId(), request.callType(), deniedAt, config.callingHours());
      // A reason that came after snapshots kept figures never comes here without them.
      default -> throw new IllegalArgumentException(
          "snapshot: a " + d.reason() + " denial without its figures");
    };
    return new Results.Denial(d.reason(), f, d.retryAt());
  }

  /** Snapshot restore: a login's or number's window timer, exactly as it was. */
  void restoreWake(Blocker blocker, long at) {
    if (at >= 0) {
      blocker.wakeAt(this, engine.timers, at);
    }
  }

  /** Snapshot restore: a running call counted again everywhere it counts as running. */
  void restoreActive(Call call) {
    call.state = Call.State.ACTIVE;
    pin(call.login);
    pin(call.number);
    for (Limit limit : Limits.ALL) {
      limit.restoreRunning(this, call);
    }
  }

  /**
   * Snapshot restore: the call's lease expiry or max_wait timer. Called for all calls after they
   * are placed, in deadline order, so that each timer lands at its lane's tail.
   */
  void restoreTimer(Call call) {
    if (call.state == Call.State.ACTIVE) {
      engine.timers.schedule(call, TimerQueue.Kind.LEASE_EXPIRY, call.ttlMillis);
    } else if (call.state == Call.State.HELD && call.waitDeadline() >= 0) {
      engine.timers.schedule(call, TimerQueue.Kind.WAIT_DEADLINE, call.maxWaitMillis);
    }
  }

  /** Takes a held call out of its queues; it stays HELD until re-placed or ended. */
  private void unqueue(Call call) {
    call.queue.remove(call);
    Limits.holding(call.holdReason).unqueuedAlso(this, call);
    heldByReason[call.holdReason.ordinal()]--;
    call.queue = null;
  }

  /** The held call stops waiting for good (dispatched or ended). */
  private void leaveHeld(Call call) {
    held.remove(call);
    engine.timers.cancel(call); // its max_wait, unless that fired at this very instant
  }

  /**
   * When the oldest held call was first held, or -1. Calls are held only on arrival, so the
   * smallest sequence among held calls is the longest wait.
   */
  long oldestHeldSince() {
    return held.isEmpty() ? -1 : held.first().heldSince;
  }

  Results.Hold holdView(Call call, long now) {
    return new Results.Hold(
        call.holdReason,
        call.holdFigures,
        held.rank(call.seq),
        call.readyAt >= 0 ? OptionalLong.of(call.readyAt) : OptionalLong.empty(),
        call.heldSince,
        call.waitDeadline() >= 0 ? OptionalLong.of(call.waitDeadline()) : OptionalLong.empty());
  }

  // ---- Ending -----------------------------------------------------------------------------

  private EndedCall deny(Call call, Verdict.Deny d, long now) {
    call.denial = new Results.Denial(d.reason(), d.figures(), d.retryAt());
    return end(call, EndReason.DENIED, now);
  }

  /** Release of a granted call, or its lease expiring: the slot frees and waiters may go. */
  void endActive(Call call, EndReason reason, long now) {
    settle(finishActive(call, reason, now), now);
  }

  /**
   * Ends a granted call without dispatching yet; returns what it freed. Timers due at one instant
   * all finish first and are settled together, so the oldest waiter any of them freed goes first.
   */
  List<Blocker> finishActive(Call call, EndReason reason, long now) {
    List<Blocker> freed = new ArrayList<>(4);
    for (Limit limit : Limits.ALL) {
      limit.free(this, call, freed);
    }
    engine.timers.cancel(call);
    EndedCall ended = end(call, reason, now);
    engine.emit(new Event.LeaseEnded(ended.request(), ended.lease(), reason, now));
    return freed;
  }

  /** A held call leaves without starting: cancelled by Release, or its max_wait passed. */
  void endHeld(Call call, EndReason reason, long now) {
    unqueue(call);
    leaveHeld(call);
    EndedCall ended = end(call, reason, now);
    engine.emit(new Event.WaitEnded(ended.request(), ended.view()));
  }

  /** The call leaves the org's live calls and is remembered, as bytes, for 10 minutes. */
  private EndedCall end(Call call, EndReason reason, long now) {
    call.state = Call.State.ENDED;
    call.pair.live--;
    pool.forgetIfIdle(call.pair.agent);
    call.pair = null;
    calls.remove(call.callId);
    EndedCall ended = EndedCall.of(call, reason, now);
    engine.remember(ended);
    unpin(call.login, now);
    unpin(call.number, now);
    return ended;
  }
}
