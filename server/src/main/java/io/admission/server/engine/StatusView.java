package io.admission.server.engine;

import java.util.List;

/** An org's live status, as the Concurrency page and the Compliance Monitor show it. */
public final class StatusView {
  private StatusView() {}

  /** How close a login is to its limits. */
  public enum Level {
    OK,
    NEAR,
    AT_LIMIT
  }

  /**
   * The whole org. {@code heldByReason} is indexed by {@link HoldReason#ordinal()}; {@code
   * oldestHeldSince} is -1 when nothing is held.
   */
  public record Org(
      String orgId,
      int limit,
      int inUse,
      int sharedCapacity,
      int sharedInUse,
      int queued,
      List<Agent> agents,
      List<LoginLine> logins,
      Daily daily,
      List<NumberLine> numbers,
      long asOf,
      int[] heldByReason,
      long oldestHeldSince,
      CallingHoursNow callingHours)
      implements Results.StatusResult {}

  /**
   * The org's calling hours now, or null when it has none.
   *
   * @param changesAt when they next open or close; Long.MAX_VALUE for never
   */
  public record CallingHoursNow(
      boolean open, long changesAt, java.util.Set<CallType> restrictedTypes) {}

  /** One agent: reservations and use per call type, and totals. */
  public record Agent(
      String agentId, List<AgentType> types, int usingReserved, int usingShared, int reservedTotal) {}

  /** One agent and call type. */
  public record AgentType(
      CallType type, int reserved, int active, int usingReserved, int usingShared) {}

  /** One login's Compliance Monitor line. */
  public record LoginLine(
      String loginId,
      int active,
      int maxConcurrent,
      int lastWindow,
      int maxPerWindow,
      long windowMillis,
      Level level,
      int queued) {}

  /** The daily cap today; {@code cap} 0 means no cap. */
  public record Daily(int used, int cap, long resetsAt, int rampDay) {}

  /** One number's usage and caps; 0 caps mean none. */
  public record NumberLine(
      String number,
      int active,
      int maxConcurrent,
      int lastHour,
      int maxPerHour,
      int today,
      int maxPerDay,
      int queued) {}

  /** OK, NEAR at 80 % or more of either limit, AT_LIMIT at either; a limit of 0 is off. */
  static Level level(int active, int maxConcurrent, int lastWindow, int maxPerWindow) {
    if ((maxConcurrent > 0 && active >= maxConcurrent)
        || (maxPerWindow > 0 && lastWindow >= maxPerWindow)) {
      return Level.AT_LIMIT;
    }
    if ((maxConcurrent > 0 && active * 5 >= maxConcurrent * 4)
        || (maxPerWindow > 0 && lastWindow * 5 >= maxPerWindow * 4)) {
      return Level.NEAR;
    }
    return Level.OK;
  }
}
