package io.admission.server.engine;

import java.util.TreeSet;

/**
 * Deadlines the engine must act on: lease expiry, max_wait, a rolling window freeing room for a
 * held call. Ordered by (time, kind, the call's sequence or the login's or number's name): timers
 * due at the same instant fire in an order that depends only on the state, not on when they were
 * set — so an engine restored from a snapshot fires them exactly as the live one would.
 *
 * <p>Cost: schedule, cancel and pollDue are O(log n); a renewed lease moves its one timer.
 */
final class TimerQueue {
  /** What to do when the timer fires. */
  enum Kind {
    LEASE_EXPIRY,
    WAIT_DEADLINE,
    LOGIN_WINDOW,
    NUMBER_WINDOW
  }

  /** One deadline. Identity matters: the owner keeps it to cancel or move it. */
  static final class Timer implements Comparable<Timer> {
    final long at;
    final Kind kind;
    /** The call's sequence for call timers; 0 for window timers. */
    final long seq;
    /** "org\0login" or "org\0number" for window timers; empty for call timers. */
    final String name;
    final OrgState org;
    /** A {@link Call}, {@link Login} or {@link CallerNumber}, by kind. */
    final Object target;

    private Timer(long at, Kind kind, long seq, String name, OrgState org, Object target) {
      this.at = at;
      this.kind = kind;
      this.seq = seq;
      this.name = name;
      this.org = org;
      this.target = target;
    }

    @Override
    public int compareTo(Timer o) {
      int c = Long.compare(at, o.at);
      if (c == 0) {
        c = kind.compareTo(o.kind);
      }
      if (c == 0) {
        c = Long.compare(seq, o.seq);
      }
      return c != 0 ? c : name.compareTo(o.name);
    }
  }

  private final TreeSet<Timer> timers = new TreeSet<>();

  /** A lease-expiry or max_wait timer; a call has at most one of each. */
  Timer schedule(long at, Kind kind, OrgState org, Call call) {
    Timer t = new Timer(at, kind, call.seq, "", org, call);
    timers.add(t);
    return t;
  }

  /** A window timer of a login or number; each has at most one. */
  Timer schedule(long at, Kind kind, OrgState org, String name, Object target) {
    Timer t = new Timer(at, kind, 0, org.config.orgId() + '\0' + name, org, target);
    timers.add(t);
    return t;
  }

  /** Cancels {@code t} if not null; returns null for assignment. */
  Timer cancel(Timer t) {
    if (t != null) {
      timers.remove(t);
    }
    return null;
  }

  /** Removes and returns the earliest timer due at or before {@code now}, or null. */
  Timer pollDue(long now) {
    if (timers.isEmpty() || timers.first().at > now) {
      return null;
    }
    return timers.pollFirst();
  }

  /** The earliest deadline, or {@link Long#MAX_VALUE} when none. */
  long nextDeadline() {
    return timers.isEmpty() ? Long.MAX_VALUE : timers.first().at;
  }

  int size() {
    return timers.size();
  }

  /** Every pending timer as text, in firing order; for tests comparing two engines. */
  java.util.List<String> describe() {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (Timer t : timers) {
      out.add(t.at + " " + t.kind + " " + t.seq + " " + t.name);
    }
    return out;
  }
}
