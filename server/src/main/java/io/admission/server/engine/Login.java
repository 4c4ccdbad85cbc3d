package io.admission.server.engine;

/**
 * One login (seat): its running calls, the exact log of its counted starts, its own limits (if
 * any) and the calls held by its limits. Ten agents sharing a login share this one budget.
 */
final class Login implements Blocker {
  final String id;
  /** Its own limits; {@link LoginLimits#INHERIT} when it has none. */
  LoginLimits override = LoginLimits.INHERIT;
  int active;
  final SlidingWindowLog starts = new SlidingWindowLog();
  final WaitQueue waiters = new WaitQueue();
  /** Set while a held call waits for this login's window to roll forward. */
  TimerQueue.Timer windowTimer;

  Login(String id) {
    this.id = id;
  }

  LoginLimits.Effective limits(OrgState org) {
    return override.over(org.config.loginDefaults()).effective();
  }

  /** Calls started within the window ending at {@code now}; changes nothing. */
  int lastWindow(OrgState org, long now) {
    return starts.countAt(now, limits(org).windowMillis());
  }

  /** The starts that count at {@code now}, oldest first; changes nothing (for snapshots). */
  long[] countedStarts(OrgState org, long now) {
    return starts.startsAt(now, limits(org).windowMillis());
  }

  /**
   * Forgets the starts that have left the window in force at {@code now}. Called before this
   * login's window may change, so that a window made longer counts only the starts still inside
   * the old one (see {@link SlidingWindowLog}), and before a start is added, so that the log holds
   * only the window even when the rate limit is off and no decision counts it.
   */
  void forgetLeftStarts(OrgState org, long now) {
    starts.count(now, limits(org).windowMillis());
  }

  /** A granted call counts toward the window from {@code now}. */
  void countStart(OrgState org, long now) {
    forgetLeftStarts(org, now);
    starts.add(now);
  }

  boolean concurrencyFull(LoginLimits.Effective limits) {
    return limits.maxConcurrent() > 0 && active >= limits.maxConcurrent();
  }

  boolean rateFull(LoginLimits.Effective limits, long now) {
    return limits.maxPerWindow() > 0
        && starts.count(now, limits.windowMillis()) >= limits.maxPerWindow();
  }


  @Override
  public WaitQueue waiters() {
    return waiters;
  }

  @Override
  public boolean hasRoom(OrgState org, long now) {
    LoginLimits.Effective limits = limits(org);
    return !concurrencyFull(limits) && !rateFull(limits, now);
  }
}
