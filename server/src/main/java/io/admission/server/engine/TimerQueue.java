package io.admission.server.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Deadlines the engine must act on: lease expiry, max_wait, a rolling window freeing room for a
 * held call. Timers due at the same instant fire in (kind, the call's sequence or the login's or
 * number's name) order — an order that depends only on the state, not on when they were set, so
 * an engine restored from a snapshot fires them exactly as the live one would.
 *
 * <p>Call timers are the hot path — every grant sets one, every release cancels one — and they
 * are always {@code now + duration}, with {@code now} never going back. So calls with the same
 * duration (lease TTL or max_wait) expire in the order they were scheduled: each duration has a
 * FIFO lane, a doubly linked list threaded through the {@link Call}s themselves (no node objects),
 * and only the lanes' heads are ordered, in a tree as small as the number of distinct durations
 * in use. Schedule and cancel are O(1) plus O(log lanes) when a lane's head changes; nothing grows
 * with the number of leases. Window timers (one per login or number with a held call, at
 * arbitrary moments) and forget timers (one per login or number that only its counted starts
 * keep) sit in an ordinary ordered set.
 *
 * <p>Why lanes rather than a library's timers: a live lease costs 282.2 heap bytes ({@code bench
 * heap --kind lease}, HeapFootprint), of a budget of 300. Keeping leases in a {@code TreeSet} by
 * deadline, as this class once did with a timer object per lease, adds a 40-byte tree entry per
 * lease (and the timer object), past the budget; a {@code PriorityQueue} cancels in O(n), and
 * every Release cancels. Agrona's {@code DeadlineTimerWheel} schedules and cancels in O(1) too,
 * but it fires by tick in slot order, not in the canonical order a restored engine must repeat,
 * and it needs a map from timer id to call beside it. What the lanes cost a decision shows in
 * AcquireReleaseBenchmark's profiles: {@code TimerQueue.cancel} 5 ns at 1 k leases, 18 ns at 1 M
 * (the neighbours' cache lines, not a search).
 */
final class TimerQueue {
  /** What to do when the timer fires. */
  enum Kind {
    LEASE_EXPIRY,
    WAIT_DEADLINE,
    /** A rolling window lets a held call through: the target is the timed {@link Blocker}. */
    WINDOW,
    /**
     * The last count of an idle login or number stops counting: it is forgotten. The target is
     * the {@link ConcurrencyWindow}. Last in an instant: it changes no decision.
     */
    FORGET
  }

  /** A blocker's window timer. Identity matters: the owner keeps it to cancel it. */
  static final class Timer {
    final long at;
    final Kind kind;
    /** "org\0login alice", "org\0number +1…": the tie-break among window timers of one instant. */
    final String name;
    final OrgState org;
    /** The {@link Blocker} it wakes. */
    final Object target;

    private Timer(long at, Kind kind, String name, OrgState org, Object target) {
      this.at = at;
      this.kind = kind;
      this.name = name;
      this.org = org;
      this.target = target;
    }
  }

  /** A timer that came due: what fires, in the canonical order of its instant. */
  record Due(long at, Kind kind, long seq, String name, OrgState org, Object target) {}

  /** Calls whose timers have one kind and one duration, earliest deadline first. */
  static final class Lane {
    final Kind kind;
    final long duration;
    Call head;
    Call tail;

    Lane(Kind kind, long duration) {
      this.kind = kind;
      this.duration = duration;
    }
  }

  private static final Comparator<Timer> WINDOW_ORDER =
      Comparator.<Timer>comparingLong(t -> t.at).thenComparing(t -> t.kind).thenComparing(t -> t.name);
  /** Consistent only while a lane is in {@link #lanesByHead}: its head never changes there. */
  private static final Comparator<Lane> LANE_ORDER =
      Comparator.<Lane>comparingLong(l -> l.head.timerAt())
          .thenComparing(l -> l.kind)
          .thenComparingLong(l -> l.duration);
  private static final Comparator<Due> CANONICAL =
      Comparator.comparingLong(Due::at)
          .thenComparing(Due::kind)
          .thenComparingLong(Due::seq)
          .thenComparing(Due::name);

  private final Map<Long, Lane> leaseLanes = new HashMap<>();
  private final Map<Long, Lane> waitLanes = new HashMap<>();
  /** Lanes that hold calls, by their head's deadline. */
  private final TreeSet<Lane> lanesByHead = new TreeSet<>(LANE_ORDER);
  private final TreeSet<Timer> windows = new TreeSet<>(WINDOW_ORDER);
  /** The lane used last: most calls of a server share one TTL, so this spares a boxed lookup. */
  private Lane recent;
  private int callTimers;

  /**
   * Sets the call's one timer, due at {@link Call#timerAt}: its lease expiry while active (kind
   * LEASE_EXPIRY, duration its TTL), its max_wait deadline while held (WAIT_DEADLINE, max_wait).
   * The call must have no timer, and its deadline must not change until the timer is cancelled or
   * fires — the lanes are ordered by it.
   */
  void schedule(Call call, Kind kind, long duration) {
    if (call.timerLane != null) {
      throw new IllegalStateException("call " + call.callId + " already has a timer");
    }
    if ((kind == Kind.LEASE_EXPIRY) != (call.state == Call.State.ACTIVE)) {
      throw new IllegalStateException(kind + " timer for a " + call.state + " call " + call.callId);
    }
    long at = call.timerAt();
    Lane lane = recent != null && recent.kind == kind && recent.duration == duration
        ? recent
        : lanes(kind).computeIfAbsent(duration, d -> new Lane(kind, d));
    recent = lane;
    // The tail is the place unless time stood still while durations were equal; a snapshot
    // restore schedules in deadline order too. Walking back keeps the lane sorted regardless.
    Call before = lane.tail;
    while (before != null && before.timerAt() > at) {
      before = before.timerPrev;
    }
    call.timerLane = lane;
    if (before == null) {
      boolean queued = lane.head != null;
      if (queued) {
        lanesByHead.remove(lane);
      }
      call.timerPrev = null;
      call.timerNext = lane.head;
      if (lane.head != null) {
        lane.head.timerPrev = call;
      } else {
        lane.tail = call;
      }
      lane.head = call;
      lanesByHead.add(lane);
    } else {
      call.timerPrev = before;
      call.timerNext = before.timerNext;
      if (before.timerNext != null) {
        before.timerNext.timerPrev = call;
      } else {
        lane.tail = call;
      }
      before.timerNext = call;
    }
    callTimers++;
  }

  /** Cancels the call's timer, if it has one. */
  void cancel(Call call) {
    Lane lane = call.timerLane;
    if (lane == null) {
      return;
    }
    boolean wasHead = lane.head == call;
    if (wasHead) {
      lanesByHead.remove(lane);
    }
    unlink(lane, call);
    if (lane.head == null) {
      drop(lane);
    } else if (wasHead) {
      lanesByHead.add(lane);
    }
  }

  private Map<Long, Lane> lanes(Kind kind) {
    return kind == Kind.LEASE_EXPIRY ? leaseLanes : waitLanes;
  }

  /** Forgets an empty lane, so that durations no call uses any more cost nothing. */
  private void drop(Lane lane) {
    lanes(lane.kind).remove(lane.duration);
    if (recent == lane) {
      recent = null;
    }
  }

  private void unlink(Lane lane, Call call) {
    if (call.timerPrev != null) {
      call.timerPrev.timerNext = call.timerNext;
    } else {
      lane.head = call.timerNext;
    }
    if (call.timerNext != null) {
      call.timerNext.timerPrev = call.timerPrev;
    } else {
      lane.tail = call.timerPrev;
    }
    call.timerPrev = null;
    call.timerNext = null;
    call.timerLane = null;
    callTimers--;
  }

  /** A window or forget timer of a login or number; each has at most one of each. */
  Timer schedule(long at, Kind kind, OrgState org, String name, Object target) {
    Timer t = new Timer(at, kind, org.config.orgId() + '\0' + name, org, target);
    windows.add(t);
    return t;
  }

  /** Cancels window timer {@code t} if not null; returns null for assignment. */
  Timer cancel(Timer t) {
    if (t != null) {
      windows.remove(t);
    }
    return null;
  }

  /**
   * Removes every timer due at the earliest instant, if that instant is at or before {@code now},
   * and returns them in canonical order; empty when none is due.
   */
  List<Due> pollDue(long now) {
    long at = nextDeadline();
    if (at > now) {
      return List.of();
    }
    List<Due> due = new ArrayList<>();
    while (!lanesByHead.isEmpty() && lanesByHead.first().head.timerAt() == at) {
      Lane lane = lanesByHead.pollFirst();
      while (lane.head != null && lane.head.timerAt() == at) {
        Call call = lane.head;
        unlink(lane, call);
        due.add(new Due(at, lane.kind, call.seq, "", call.org, call));
      }
      if (lane.head != null) {
        lanesByHead.add(lane);
      } else {
        drop(lane);
      }
    }
    while (!windows.isEmpty() && windows.first().at == at) {
      Timer t = windows.pollFirst();
      due.add(new Due(at, t.kind, 0, t.name, t.org, t.target));
    }
    due.sort(CANONICAL);
    return due;
  }

  /** The earliest deadline, or {@link Long#MAX_VALUE} when none. */
  long nextDeadline() {
    long next = lanesByHead.isEmpty() ? Long.MAX_VALUE : lanesByHead.first().head.timerAt();
    return windows.isEmpty() ? next : Math.min(next, windows.first().at);
  }

  int size() {
    return callTimers + windows.size();
  }

  /** Every pending timer as text, in firing order; for tests comparing two engines. */
  List<String> describe() {
    List<Due> all = new ArrayList<>();
    for (Lane lane : lanesByHead) {
      for (Call c = lane.head; c != null; c = c.timerNext) {
        all.add(new Due(c.timerAt(), lane.kind, c.seq, "", c.org, c));
      }
    }
    for (Timer t : windows) {
      all.add(new Due(t.at, t.kind, 0, t.name, t.org, t.target));
    }
    all.sort(CANONICAL);
    List<String> out = new ArrayList<>(all.size());
    for (Due d : all) {
      out.add(d.at() + " " + d.kind() + " " + d.seq() + " " + d.name());
    }
    return out;
  }
}
