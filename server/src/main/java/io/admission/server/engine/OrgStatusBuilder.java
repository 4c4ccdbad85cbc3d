package io.admission.server.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Builds an org's {@link StatusView.Org}. A read for dashboards: it walks the org's agents, logins
 * and numbers (never its queue) and sorts them by id so the output is stable.
 */
final class OrgStatusBuilder {
  private OrgStatusBuilder() {}

  static StatusView.Org build(OrgState org, long now) {
    Pool pool = org.pool;
    return new StatusView.Org(
        org.config.orgId(),
        pool.limit,
        pool.inUse,
        pool.sharedCapacity(),
        pool.sharedInUse,
        org.held.size(),
        agents(pool),
        logins(org, now),
        daily(org, now),
        numbers(org, now),
        now,
        org.heldByReason.clone(),
        org.oldestHeldSince(),
        callingHours(org, now));
  }

  private static StatusView.CallingHoursNow callingHours(OrgState org, long now) {
    CallingHours h = org.config.callingHours();
    return h.isEmpty() ? null : new StatusView.CallingHoursNow(
        h.open(now, org.config.timeZone()), h.changesAt(now, org.config.timeZone()),
        h.restrictedTypes());
  }

  private static List<StatusView.Agent> agents(Pool pool) {
    List<StatusView.Agent> out = new ArrayList<>();
    for (Pool.Agent agent : pool.agents.values()) {
      if (agent.id.isEmpty()) {
        continue; // calls that name no agent use the shared pool only
      }
      List<StatusView.AgentType> types = new ArrayList<>();
      int usingReserved = 0;
      int usingShared = 0;
      for (Pool.Pair p : agent.byType) {
        if (p.reserved > 0 || p.active > 0) {
          types.add(new StatusView.AgentType(
              p.type, p.reserved, p.active, p.usingReserved(), p.usingShared()));
          usingReserved += p.usingReserved();
          usingShared += p.usingShared();
        }
      }
      if (!types.isEmpty()) {
        out.add(new StatusView.Agent(agent.id, types, usingReserved, usingShared, agent.reservedTotal()));
      }
    }
    out.sort(Comparator.comparing(StatusView.Agent::agentId));
    return out;
  }

  private static List<StatusView.LoginLine> logins(OrgState org, long now) {
    List<StatusView.LoginLine> out = new ArrayList<>();
    for (Login login : org.logins.values()) {
      LoginLimits.Effective limits = login.limits(org);
      int last = login.starts.countAt(now, limits.windowMillis());
      if (login.active == 0 && last == 0 && login.override.isEmpty() && login.waiters.isEmpty()) {
        continue;
      }
      out.add(new StatusView.LoginLine(
          login.id,
          login.active,
          limits.maxConcurrent(),
          last,
          limits.maxPerWindow(),
          limits.windowMillis(),
          StatusView.level(login.active, limits.maxConcurrent(), last, limits.maxPerWindow()),
          login.waiters.size()));
    }
    out.sort(Comparator.comparing(StatusView.LoginLine::loginId));
    return out;
  }

  private static StatusView.Daily daily(OrgState org, long now) {
    OrgState.Day day = org.day(now);
    var cap = org.config.dailyCap();
    return new StatusView.Daily(
        org.dailyUsed(day),
        cap.map(c -> c.capOn(day.date())).orElse(0),
        day.endsAt(),
        cap.map(c -> c.rampDay(day.date())).orElse(0));
  }

  private static List<StatusView.NumberLine> numbers(OrgState org, long now) {
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
    return out;
  }
}
