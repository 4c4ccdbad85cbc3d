package io.admission.server.engine;

/** The org's daily warm-up cap, reset at local midnight: denied. */
final class DailyCapLimit implements Limit {
  static final DailyCapLimit INSTANCE = new DailyCapLimit();

  private DailyCapLimit() {}

  @Override
  public Verdict check(OrgState org, Call call, long now) {
    var cap = org.config.dailyCap();
    if (cap.isEmpty() || !cap.get().counts(call.type)) {
      return Verdict.PASS;
    }
    OrgState.Day day = org.day(now);
    int capToday = cap.get().capOn(day.date());
    if (org.dailyUsed(day) < capToday) {
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
      long today = org.day(now).epochDay();
      if (org.dailyDay != today) {
        org.dailyDay = today;
        org.dailyUsed = 0;
      }
      org.dailyUsed++;
    }
  }

  @Override
  public void capture(OrgState org, long now, Snapshots.Parts out) {
    out.dailyDay = org.dailyDay;
    out.dailyUsed = org.dailyUsed;
  }

  @Override
  public void restore(OrgState org, EngineSnapshot.Org in) {
    org.dailyDay = in.dailyDay();
    org.dailyUsed = in.dailyUsed();
  }
}
