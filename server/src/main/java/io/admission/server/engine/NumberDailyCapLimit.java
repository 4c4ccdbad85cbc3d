package io.admission.server.engine;

/**
 * A number's calls per local day: denied. Its count lives on the {@link CallerNumber} and is kept
 * in a snapshot with the number's window (see {@link CallerNumber#capture}), and shown on
 * the number's status line.
 */
final class NumberDailyCapLimit implements Limit {
  static final NumberDailyCapLimit INSTANCE = new NumberDailyCapLimit();

  private NumberDailyCapLimit() {}

  @Override
  public String name() {
    return "number_daily_cap";
  }

  @Override
  public Verdict check(OrgState org, Call call, long now) {
    CallerNumber number = call.number;
    if (number == null) {
      return Verdict.PASS;
    }
    int max = number.limits(org).maxPerDay();
    OrgState.Day day = org.day(now);
    if (max == 0 || number.todayCount(day.epochDay()) < max) {
      return Verdict.PASS;
    }
    return new Verdict.Deny(
        DenialReason.NUMBER_DAILY_CAP,
        day.endsAt(),
        Results.Figures.daily(number.id, max, org.config.timeZone().getId(), 0, max));
  }

  @Override
  public void count(OrgState org, Call call, long now) {
    if (call.number != null) {
      call.number.countDay(org.day(now).epochDay());
    }
  }
}
