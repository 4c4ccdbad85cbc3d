package io.admission.server.engine;

/**
 * The org's calling hours: a call of a restricted type (outbound only, by default) outside the
 * org's local-time windows is denied until the next opening. Counts nothing and keeps nothing:
 * everything it needs is in the org's settings.
 */
final class CallingHoursLimit implements Limit {
  static final CallingHoursLimit INSTANCE = new CallingHoursLimit();

  private CallingHoursLimit() {}

  @Override
  public Verdict check(OrgState org, Call call, long now) {
    CallingHours hours = org.config.callingHours();
    if (!hours.restricts(call.type) || hours.open(now, org.config.timeZone())) {
      return Verdict.PASS;
    }
    return new Verdict.Deny(
        DenialReason.CALLING_HOURS,
        hours.changesAt(now, org.config.timeZone()),
        Results.Figures.callingHours(
            org.config.orgId(), org.config.timeZone().getId(), call.type, now, hours));
  }
}
