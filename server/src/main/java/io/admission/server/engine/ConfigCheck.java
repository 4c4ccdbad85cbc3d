package io.admission.server.engine;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
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
    Rejection r = repeat(setup.reservations(), at + ".reservations",
        x -> x.agentId() + "\u0000" + x.callType(),
        x -> "agent " + x.agentId() + "'s " + name(x.callType()) + " reservation");
    if (r == null) {
      r = repeat(setup.loginOverrides(), at + ".login_limits", Results.LoginOverride::loginId,
          x -> "login \"" + x.loginId() + "\"");
    }
    if (r == null) {
      r = repeat(setup.numberOverrides(), at + ".number_limits", Results.NumberOverride::number,
          x -> "number \"" + x.number() + "\"");
    }
    return r == null ? overLimit(setup, org, at) : r;
  }

  /** A second entry for the same thing: which one the file meant is not for the engine to guess. */
  private static <T> Rejection repeat(
      List<T> entries, String at, Function<T, String> key, Function<T, String> what) {
    Map<String, Integer> seen = new HashMap<>(); // looked up only, never iterated
    for (int j = 0; j < entries.size(); j++) {
      Integer first = seen.putIfAbsent(key.apply(entries.get(j)), j);
      if (first != null) {
        return Rejection.invalid(at + "[" + j + "]",
            what.apply(entries.get(j)) + " repeats " + at.substring(at.lastIndexOf('.') + 1)
                + "[" + first + "]");
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
          "concurrency_limit " + limit + " is below the " + kept + " slots reserved for agents in"
              + " org " + config.orgId() + " by reservations this config does not list; lower or"
              + " remove those first");
    }
    long total = kept; // a long: a million slots each, thousands of reservations
    for (int j = 0; j < setup.reservations().size(); j++) {
      Results.Reservation r = setup.reservations().get(j);
      total += r.slots();
      if (total > limit) {
        return new Rejection(Rejection.Kind.FAILED_PRECONDITION, at + ".reservations[" + j + "].slots",
            "reserving " + r.slots() + " " + name(r.callType()) + " slots for agent " + r.agentId()
                + " would make " + total + " reserved in org " + config.orgId()
                + ", over its concurrency limit of " + limit + " (" + kept
                + " of them by reservations this config does not list)");
      }
    }
    return null;
  }

  private static int reservedNow(OrgState org, String agentId, CallType type) {
    Pool.Agent agent = org == null ? null : org.pool.agents.get(agentId);
    return agent == null ? 0 : agent.pair(type).reserved;
  }

  private static String name(CallType type) {
    return type.name().toLowerCase(Locale.ROOT);
  }
}
