package io.admission.server.engine;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The checks of one org of an {@link Commands.ApplyConfig} against the org's current state, made
 * before anything of the config is applied. Pure; reads only. Cost: one hash lookup per listed
 * reservation, login and number.
 */
final class ConfigCheck {
  private ConfigCheck() {}

  /** Why {@code setup} cannot be applied over {@code org} (null if it does not exist yet), or null. */
  static Rejection refusal(Commands.OrgSetup setup, OrgState org, String at) {
    Rejection r = repeat(setup.reservations(), at, "reservations",
        x -> x.agentId() + "\u0000" + x.callType(), Results.Reservation::agentId,
        Results.Reservation::callType);
    if (r == null) {
      r = repeat(setup.loginOverrides(), at, "login_limits", Results.LoginOverride::loginId,
          Results.LoginOverride::loginId, x -> null);
    }
    if (r == null) {
      r = repeat(setup.numberOverrides(), at, "number_limits", Results.NumberOverride::number,
          Results.NumberOverride::number, x -> null);
    }
    return r == null ? overLimit(setup, org, at) : r;
  }

  /** A second entry for the same thing: which one the file meant is not for the engine to guess. */
  private static <T> Rejection repeat(List<T> entries, String at, String list,
      Function<T, String> key, Function<T, String> id, Function<T, CallType> type) {
    Map<String, Integer> seen = new HashMap<>(); // looked up only, never iterated
    for (int j = 0; j < entries.size(); j++) {
      T entry = entries.get(j);
      Integer first = seen.putIfAbsent(key.apply(entry), j);
      if (first != null) {
        return Rejection.invalid(at + "." + list + "[" + j + "]",
            new Rejection.Repeated(list, id.apply(entry), type.apply(entry), first));
      }
    }
    return null;
  }

  /**
   * The sum of reservations over the org's new limit. Reservations the file does not list stay as
   * they are, so they count first; then the listed ones in file order, blaming the first that goes
   * over.
   */
  private static Rejection overLimit(Commands.OrgSetup setup, OrgState org, String at) {
    OrgConfig config = setup.org();
    long kept = org == null ? 0 : org.pool.reservedTotal;
    for (Results.Reservation r : setup.reservations()) {
      kept -= reservedNow(org, r.agentId(), r.callType());
    }
    int limit = config.concurrencyLimit();
    if (kept > limit) {
      return new Rejection(Rejection.Kind.FAILED_PRECONDITION, at + ".org.concurrency_limit",
          new Rejection.LimitBelowReserved(config.orgId(), limit, kept, true));
    }
    long total = kept; // a long: a million slots each, thousands of reservations
    for (int j = 0; j < setup.reservations().size(); j++) {
      Results.Reservation r = setup.reservations().get(j);
      total += r.slots();
      if (total > limit) {
        return new Rejection(Rejection.Kind.FAILED_PRECONDITION, at + ".reservations[" + j + "].slots",
            new Rejection.ReservedOverLimit(config.orgId(), r.agentId(), r.callType(), r.slots(),
                total, limit, kept, -1));
      }
    }
    return null;
  }

  private static int reservedNow(OrgState org, String agentId, CallType type) {
    Pool.Agent agent = org == null ? null : org.pool.agents.get(agentId);
    return agent == null ? 0 : agent.pair(type).reserved;
  }
}
