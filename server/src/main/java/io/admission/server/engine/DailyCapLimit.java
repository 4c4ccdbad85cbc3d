package io.admission.server.engine;

import java.util.List;

/** The org's daily warm-up cap, reset at local midnight: denied. */
final class DailyCapLimit implements Limit {
  static final DailyCapLimit INSTANCE = new DailyCapLimit();

  /** The org's outbound calls started on one local day. */
  private static final class Count {
    /** The local day (epoch day in the org's zone) that {@link #used} counts. */
    long day = Long.MIN_VALUE;
    int used;

    int usedOn(OrgState.Day d) {
      return day == d.epochDay() ? used : 0;
    }
  }

  private static final OrgSlot<Count> COUNT = OrgSlot.of(Count::new);

  private DailyCapLimit() {}

  @Override
  public String name() {
    return "daily_cap";
  }

  @Override
  public Verdict check(OrgState org, Call call, long now) {
    var cap = org.config.dailyCap();
    if (cap.isEmpty() || !cap.get().counts(call.type)) {
      return Verdict.PASS;
    }
    OrgState.Day day = org.day(now);
    int capToday = cap.get().capOn(day.date());
    if (COUNT.in(org).usedOn(day) < capToday) {
      return Verdict.PASS;
    }
    return new Verdict.Deny(
        DenialReason.DAILY_CAP,
        day.endsAt(),
        Results.Figures.daily(org.config.orgId(), capToday, org.config.timeZone().getId(),
            cap.get().rampDay(day.date()), cap.get().cap()));
  }

  /** Without a configured cap, outbound calls are still counted so the monitor shows them. */
  @Override
  public void count(OrgState org, Call call, long now) {
    boolean counts = org.config.dailyCap()
        .map(c -> c.counts(call.type))
        .orElse(DailyCap.DEFAULT_COUNTED.contains(call.type));
    if (counts) {
      Count count = COUNT.in(org);
      long today = org.day(now).epochDay();
      if (count.day != today) {
        count.day = today;
        count.used = 0;
      }
      count.used++;
    }
  }

  /** The org's entry (key empty): the day counted, and its count; none before the first. */
  @Override
  public void capture(OrgState org, long now, List<EngineSnapshot.Entry> out) {
    Count count = COUNT.in(org);
    if (count.day != Long.MIN_VALUE) {
      out.add(entry(count.day, count.used));
    }
  }

  @Override
  public void restore(OrgState org, List<EngineSnapshot.Entry> in) {
    for (EngineSnapshot.Entry e : in) {
      Count count = COUNT.in(org);
      count.day = e.values().get(0);
      count.used = Math.toIntExact(e.values().get(1));
    }
  }

  /** Its entry for {@code used} calls on local day {@code day}; also for older snapshots. */
  static EngineSnapshot.Entry entry(long day, int used) {
    return new EngineSnapshot.Entry("", List.of(day, (long) used));
  }

  /** Today's count, cap and ramp day, and when the day ends. */
  @Override
  public void status(OrgState org, long now, List<StatusView.Part> out) {
    OrgState.Day day = org.day(now);
    var cap = org.config.dailyCap();
    out.add(new StatusView.Daily(
        COUNT.in(org).usedOn(day),
        cap.map(c -> c.capOn(day.date())).orElse(0),
        day.endsAt(),
        cap.map(c -> c.rampDay(day.date())).orElse(0)));
  }
}
