package io.admission.server.engine;

import java.util.List;

/**
 * The org's calling hours: a call of a restricted type (outbound only, by default) outside the
 * org's local-time windows is denied until the next opening. Counts nothing and keeps nothing in
 * a snapshot: everything it needs is in the org's settings. Its status says whether the org is
 * open now and until when.
 */
final class CallingHoursLimit implements Limit {
  static final CallingHoursLimit INSTANCE = new CallingHoursLimit();

  private CallingHoursLimit() {}

  @Override
  public String name() {
    return "calling_hours";
  }

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

  /** Open now or not, and until when; nothing for an org without calling hours. */
  @Override
  public void status(OrgState org, long now, List<StatusView.Part> out) {
    CallingHours h = org.config.callingHours();
    if (!h.isEmpty()) {
      out.add(new CallingHours.Now(
          h.open(now, org.config.timeZone()), h.changesAt(now, org.config.timeZone()),
          h.restrictedTypes()));
    }
  }
}
