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
   * The whole org: what it holds, and each of its limits' own part. {@code heldByReason} is
   * indexed by {@link HoldReason#ordinal()}; {@code oldestHeldSince} is -1 when nothing is held.
   *
   * @param parts its limits' parts, in {@link Limits#ORDER}; a limit with nothing to show has none
   */
  public record Org(
      String orgId,
      int queued,
      long asOf,
      int[] heldByReason,
      long oldestHeldSince,
      List<Part> parts)
      implements Results.StatusResult {
    public Org {
      parts = List.copyOf(parts);
    }

    /** The part of type {@code type}, or null when no limit of the org shows one. */
    public <T extends Part> T part(Class<T> type) {
      for (Part p : parts) {
        if (type.isInstance(p)) {
          return type.cast(p);
        }
      }
      return null;
    }

    // The parts every org has, by name, for the many readers of each.

    public Pool pool() {
      return part(Pool.class);
    }

    public int limit() {
      return pool().limit();
    }

    public int inUse() {
      return pool().inUse();
    }

    public int sharedCapacity() {
      return pool().sharedCapacity();
    }

    public int sharedInUse() {
      return pool().sharedInUse();
    }

    public List<Agent> agents() {
      return pool().agents();
    }

    public List<LoginLine> logins() {
      return part(Logins.class).lines();
    }

    public Daily daily() {
      return part(Daily.class);
    }

    public List<NumberLine> numbers() {
      return part(Numbers.class).lines();
    }
  }

  /** One limit's part of the org's status: a value of the limit's own type. */
  public interface Part {}

  /** The org's pool: its limit, how much of it is in use, and its agents. */
  public record Pool(int limit, int inUse, int sharedCapacity, int sharedInUse, List<Agent> agents)
      implements Part {}

  /** The logins with something to show, by id. */
  public record Logins(List<LoginLine> lines) implements Part {}

  /** The numbers with something to show, by number. */
  public record Numbers(List<NumberLine> lines) implements Part {}

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
  public record Daily(int used, int cap, long resetsAt, int rampDay) implements Part {}

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
