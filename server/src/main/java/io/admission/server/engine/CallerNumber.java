package io.admission.server.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

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
  EngineSnapshot.Entry capture(OrgState org, long now) {
    long[] counted = countedStarts(org, now);
    return counted.length == 0 && today == 0 && wakeAt() < 0
        ? null : entry(id, wakeAt(), day, today, Snapshots.boxed(counted));
  }

  /**
   * Its window timer, the local day and its count, then its starts in the rolling hour, oldest
   * first; also for older snapshots.
   */
  static EngineSnapshot.Entry entry(
      String id, long wakeAt, long day, int today, List<Long> starts) {
    List<Long> values = new ArrayList<>(3 + starts.size());
    values.add(wakeAt);
    values.add(day);
    values.add((long) today);
    values.addAll(starts);
    return new EngineSnapshot.Entry(id, values);
  }

  @Override
  void restore(List<Long> values) {
    day = values.get(1);
    today = Math.toIntExact(values.get(2));
    values.subList(3, values.size()).forEach(starts::add);
  }

  /** The numbers with something to show: calls, starts or a count today, or caps of their own. */
  static StatusView.Numbers status(OrgState org, long now) {
    List<StatusView.NumberLine> out = new ArrayList<>();
    long epochDay = org.day(now).epochDay();
    for (CallerNumber n : org.numbers.values()) {
      NumberLimits.Effective limits = n.limits(org);
      int lastHour = n.starts.countAt(now, NumberLimits.HOUR_MILLIS);
      int today = n.todayCount(epochDay);
      if (n.active == 0 && lastHour == 0 && today == 0 && n.override.isEmpty() && n.waiters.isEmpty()) {
        continue;
      }
      out.add(new StatusView.NumberLine(
          n.id, n.active, limits.maxConcurrent(), lastHour, limits.maxPerHour(), today,
          limits.maxPerDay(), n.waiters.size()));
    }
    out.sort(Comparator.comparing(StatusView.NumberLine::number));
    return new StatusView.Numbers(out);
  }
}
