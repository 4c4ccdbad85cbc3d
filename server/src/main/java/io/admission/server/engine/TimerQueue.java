package io.admission.server.engine;

import java.util.TreeSet;

/**
 * Deadlines the engine must act on: lease expiry, max_wait, a rolling window freeing room for a
 * held call. Ordered by (time, creation sequence), so timers due at the same instant fire in the
 * order they were set — deterministically.
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
    final long seq;
    final Kind kind;
    final OrgState org;
    /** A {@link Call}, {@link Login} or {@link CallerNumber}, by kind. */
    final Object target;

    private Timer(long at, long seq, Kind kind, OrgState org, Object target) {
      this.at = at;
      this.seq = seq;
      this.kind = kind;
      this.org = org;
      this.target = target;
    }

    @Override
    public int compareTo(Timer o) {
      int byTime = Long.compare(at, o.at);
      return byTime != 0 ? byTime : Long.compare(seq, o.seq);
    }
  }

  private final TreeSet<Timer> timers = new TreeSet<>();
  private long nextSeq;

  Timer schedule(long at, Kind kind, OrgState org, Object target) {
    Timer t = new Timer(at, nextSeq++, kind, org, target);
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
}
