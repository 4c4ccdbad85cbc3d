package io.admission.server.engine;

/** The rules, one class each; {@link Check#ORDER} composes them. */
final class Checks {
  private Checks() {}

  /** Per-login document: "Each login can run up to 2 calls at once." */
  static final class LoginConcurrency implements Check {
    @Override
    public Verdict check(OrgState org, Call call, long now) {
      Login login = call.login;
      if (login == null) {
        return Verdict.PASS;
      }
      LoginLimits.Effective limits = login.limits(org);
      if (!login.concurrencyFull(limits)) {
        return Verdict.PASS;
      }
      return new Verdict.Hold(
          HoldReason.LOGIN_CONCURRENCY,
          login,
          -1,
          Results.Figures.concurrency(login.id, login.active, limits.maxConcurrent()));
    }
  }

  /** Per-login document: "... and 250 calls an hour", an exact rolling window. */
  static final class LoginRate implements Check {
    @Override
    public Verdict check(OrgState org, Call call, long now) {
      Login login = call.login;
      if (login == null) {
        return Verdict.PASS;
      }
      LoginLimits.Effective limits = login.limits(org);
      if (!login.rateFull(limits, now)) {
        return Verdict.PASS;
      }
      long readyAt = login.starts.roomAt(limits.maxPerWindow(), limits.windowMillis());
      return new Verdict.Hold(
          HoldReason.LOGIN_RATE,
          login,
          readyAt,
          Results.Figures.window(login.id, limits.maxPerWindow(), limits.windowMillis(), now));
    }
  }

  /** Per-number concurrent calls: held. */
  static final class NumberConcurrency implements Check {
    @Override
    public Verdict check(OrgState org, Call call, long now) {
      CallerNumber number = call.number;
      if (number == null) {
        return Verdict.PASS;
      }
      NumberLimits.Effective limits = number.limits(org);
      if (!number.concurrencyFull(limits)) {
        return Verdict.PASS;
      }
      return new Verdict.Hold(
          HoldReason.NUMBER_CONCURRENCY,
          number,
          -1,
          Results.Figures.concurrency(number.number, number.active, limits.maxConcurrent()));
    }
  }

  /** Per-number calls per rolling hour: held. */
  static final class NumberRate implements Check {
    @Override
    public Verdict check(OrgState org, Call call, long now) {
      CallerNumber number = call.number;
      if (number == null) {
        return Verdict.PASS;
      }
      NumberLimits.Effective limits = number.limits(org);
      if (!number.rateFull(limits, now)) {
        return Verdict.PASS;
      }
      long readyAt = number.hour.roomAt(limits.maxPerHour(), NumberLimits.HOUR_MILLIS);
      return new Verdict.Hold(
          HoldReason.NUMBER_RATE,
          number,
          readyAt,
          Results.Figures.window(
              number.number, limits.maxPerHour(), NumberLimits.HOUR_MILLIS, now));
    }
  }

  /**
   * Org-concurrency document: the agent's own reservation for this call type first, else the
   * shared pool; reserved slots of other agents are never used, even idle.
   */
  static final class OrgPool implements Check {
    @Override
    public Verdict check(OrgState org, Call call, long now) {
      Pool pool = org.pool;
      if (pool.fits(call.pair)) {
        return Verdict.PASS;
      }
      Pool.Pair pair = call.pair;
      return new Verdict.Hold(
          HoldReason.ORG_POOL_FULL,
          pool,
          -1,
          Results.Figures.pool(org.config.orgId(), pool.sharedCapacity(), pool.limit,
              pair.agent.id, pair.type, pair.reserved));
    }
  }

  /** Per-login document: the org's daily warm-up cap, reset at local midnight: denied. */
  static final class DailyCap implements Check {
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
  }

  /** Per-number calls per local day: denied. */
  static final class NumberDailyCap implements Check {
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
          Results.Figures.daily(number.number, max, org.config.timeZone().getId(), 0, max));
    }
  }
}
