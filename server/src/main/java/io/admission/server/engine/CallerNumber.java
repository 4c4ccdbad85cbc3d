package io.admission.server.engine;

/**
 * One caller-ID number: its running calls and starts in the rolling hour ({@link
 * ConcurrencyWindow}), the count of the current local day ({@link NumberDailyCapLimit}) and its
 * own caps, if any.
 */
final class CallerNumber extends ConcurrencyWindow {
  NumberLimits override = NumberLimits.INHERIT;
  /** The local day (epoch day in the org's zone) that {@link #today} counts. */
  long day = Long.MIN_VALUE;
  int today;

  CallerNumber(String number) {
    super(number);
  }

  NumberLimits.Effective limits(OrgState org) {
    return override.over(org.config.numberDefaults()).effective();
  }

  @Override
  Bounds bounds(OrgState org) {
    NumberLimits n = override.over(org.config.numberDefaults());
    return new Bounds(
        n.maxConcurrent().orElse(0), n.maxPerHour().orElse(0), NumberLimits.HOUR_MILLIS);
  }

  int todayCount(long epochDay) {
    return day == epochDay ? today : 0;
  }

  void countDay(long epochDay) {
    if (day != epochDay) {
      day = epochDay;
      today = 0;
    }
    today++;
  }

  @Override
  String timerName() {
    return "number " + id;
  }

  /** The day's count rides with the window: both belong to the number. */
  @Override
  void capture(OrgState org, long now, Snapshots.Parts out) {
    long[] counted = countedStarts(org, now);
    if (counted.length > 0 || today != 0 || wakeAt() >= 0) {
      out.numberCounts.add(new EngineSnapshot.NumberCounts(
          id, Snapshots.boxed(counted), day, today, wakeAt()));
    }
  }
}
