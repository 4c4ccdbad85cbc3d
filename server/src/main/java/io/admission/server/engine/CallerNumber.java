package io.admission.server.engine;

/**
 * One caller-ID number: running calls, the exact log of starts in the rolling hour, the count of
 * the current local day, its own caps (if any) and the calls held by them.
 */
final class CallerNumber implements Blocker {
  final String number;
  NumberLimits override = NumberLimits.INHERIT;
  int active;
  final SlidingWindowLog hour = new SlidingWindowLog();
  /** The local day (epoch day in the org's zone) that {@link #today} counts. */
  long day = Long.MIN_VALUE;
  int today;
  final WaitQueue waiters = new WaitQueue();
  TimerQueue.Timer windowTimer;

  CallerNumber(String number) {
    this.number = number;
  }

  NumberLimits.Effective limits(OrgState org) {
    return override.over(org.config.numberDefaults()).effective();
  }

  int todayCount(long epochDay) {
    return day == epochDay ? today : 0;
  }

  /** The starts in the rolling hour at {@code now}, oldest first; changes nothing. */
  long[] countedStarts(long now) {
    return hour.startsAt(now, NumberLimits.HOUR_MILLIS);
  }

  /**
   * A granted call counts from {@code now}. Starts that left the hour are forgotten first, so the
   * log holds only the hour even when no hourly cap is set and no decision counts it; the hour
   * never changes length, so when they are dropped makes no difference.
   */
  void countStart(long now, long epochDay) {
    hour.count(now, NumberLimits.HOUR_MILLIS);
    hour.add(now);
    if (day != epochDay) {
      day = epochDay;
      today = 0;
    }
    today++;
  }

  boolean concurrencyFull(NumberLimits.Effective limits) {
    return limits.maxConcurrent() > 0 && active >= limits.maxConcurrent();
  }

  boolean rateFull(NumberLimits.Effective limits, long now) {
    return limits.maxPerHour() > 0
        && hour.count(now, NumberLimits.HOUR_MILLIS) >= limits.maxPerHour();
  }


  @Override
  public WaitQueue waiters() {
    return waiters;
  }

  @Override
  public boolean hasRoom(OrgState org, long now) {
    NumberLimits.Effective limits = limits(org);
    return !concurrencyFull(limits) && !rateFull(limits, now);
  }
}
