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

  @Override
  boolean configured() {
    return !override.isEmpty();
  }

  @Override
  void removeFrom(OrgState org) {
    org.numbers.remove(id, this);
  }

  /**
   * Its rolling hour, and the count of its day until that day ends in the org's zone (a day still
   * ahead, after the zone moved west, counts again once it comes).
   */
  @Override
  long countsUntil(OrgState org) {
    long until = super.countsUntil(org);
    if (today != 0) {
      java.time.ZoneId zone = org.config.timeZone();
      until = Math.max(until, java.time.LocalDate.ofEpochDay(day).plusDays(1).atStartOfDay(zone)
          .toInstant().toEpochMilli());
    }
    return until;
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
