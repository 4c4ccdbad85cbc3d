package io.admission.server.engine;

/**
 * What a login and a caller-ID number share: the calls running on it, the exact log of its
 * counted starts in a rolling window, the calls held by its limits and the one timer that wakes
 * them when the window rolls. {@link ConcurrencyWindowLimit} enforces both from this state; each
 * subclass says only where its limits come from.
 */
abstract class ConcurrencyWindow implements Blocker {
  /** The limits in force; 0 means no limit. */
  record Bounds(int maxConcurrent, int maxPerWindow, long windowMillis) {}

  /** The login id or the number. */
  final String id;
  int active;
  final SlidingWindowLog starts = new SlidingWindowLog();
  final WaitQueue waiters = new WaitQueue();
  /** Set while a held call waits for the window to roll forward. */
  TimerQueue.Timer windowTimer;
  /** Live calls (held or running) that name it: while there is one, it is kept. */
  int live;
  /**
   * Set while only counts keep it (no live call, no limits of its own): fires at {@link
   * #countsUntil}, when it holds nothing any more and is forgotten (see {@link
   * OrgState#forgetWhenIdle}).
   */
  TimerQueue.Timer forgetTimer;

  ConcurrencyWindow(String id) {
    this.id = id;
  }

  /** Its limits in {@code org}: its own, else the org's defaults, else the product's. */
  abstract Bounds bounds(OrgState org);

  /**
   * Its entry in its limit's snapshot part, keyed by its id, or null when it has nothing to keep:
   * its window timer ({@code -1} for none) first, then what the subclass keeps.
   */
  abstract EngineSnapshot.Entry capture(OrgState org, long now);

  /** Puts back what {@link #capture} wrote; its window timer is set by the caller. */
  abstract void restore(java.util.List<Long> values);

  /** "login alice", "number +1555…": names its timer among the org's, in a stable order. */
  abstract String timerName();

  /** Whether it has limits of its own: an operator's setting is kept until given up. */
  abstract boolean configured();

  /** Takes it out of the org's logins or numbers. */
  abstract void removeFrom(OrgState org);

  /**
   * The moment from which nothing it counted counts any more (its newest start leaves the window
   * in force), or {@link Long#MIN_VALUE} when it counts nothing. Reads only.
   */
  long countsUntil(OrgState org) {
    return starts.isEmpty() ? Long.MIN_VALUE : starts.newest() + bounds(org).windowMillis();
  }

  boolean concurrencyFull(Bounds b) {
    return b.maxConcurrent() > 0 && active >= b.maxConcurrent();
  }

  boolean rateFull(Bounds b, long now) {
    return b.maxPerWindow() > 0 && starts.count(now, b.windowMillis()) >= b.maxPerWindow();
  }

  /**
   * A granted call counts toward the window from {@code now}. Starts that left the window are
   * forgotten first, so the log holds only the window even when no rate limit is set and no
   * decision counts it.
   */
  void countStart(OrgState org, long now) {
    starts.count(now, bounds(org).windowMillis());
    starts.add(now);
  }

  /** The starts that count at {@code now}, oldest first; changes nothing (for snapshots). */
  long[] countedStarts(OrgState org, long now) {
    return starts.startsAt(now, bounds(org).windowMillis());
  }

  long wakeAt() {
    return windowTimer == null ? -1 : windowTimer.at;
  }

  @Override
  public WaitQueue waiters() {
    return waiters;
  }

  @Override
  public boolean hasRoom(OrgState org, long now) {
    Bounds b = bounds(org);
    return !concurrencyFull(b) && !rateFull(b, now);
  }

  @Override
  public boolean timed() {
    return true;
  }

  /** One timer at a time, at the earliest moment a held call may pass the window. */
  @Override
  public void wakeAt(OrgState org, TimerQueue timers, long at) {
    if (windowTimer == null || windowTimer.at > at) {
      timers.cancel(windowTimer);
      windowTimer = timers.schedule(at, TimerQueue.Kind.WINDOW, org, timerName(), this);
    }
  }

  @Override
  public void woken() {
    windowTimer = null;
  }
}
