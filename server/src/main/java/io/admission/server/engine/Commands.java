package io.admission.server.engine;

import java.util.List;

/**
 * Every state-changing request, as a value. The loop stamps each with the time it was taken and
 * hands the pair to the command log (the journal now, a replicated log later); applying the same
 * commands at the same times rebuilds the same state. Fields are already validated by the adapter.
 */
public final class Commands {
  private Commands() {}

  /** A command the engine can apply. */
  public sealed interface Command
      permits Acquire, Release, Renew, PutOrg, SetReservation, RemoveAgent, SetLoginLimits,
          SetNumberLimits, Tick {}

  /**
   * Asks for a slot. Empty strings mean "not given".
   *
   * @param leaseTtlMillis 0 means the org's default
   * @param maxWaitMillis 0 means wait as long as it takes
   */
  public record Acquire(
      String orgId,
      String callId,
      String agentId,
      CallType callType,
      String loginId,
      String fromNumber,
      long leaseTtlMillis,
      long maxWaitMillis)
      implements Command {}

  /** Ends a call, or cancels a held one. */
  public record Release(String orgId, String callId) implements Command {}

  /** Extends leases; {@code leaseTtlMillis} 0 keeps each lease's own TTL. */
  public record Renew(String orgId, List<String> callIds, long leaseTtlMillis) implements Command {
    public Renew {
      callIds = List.copyOf(callIds);
    }
  }

  /** Creates or replaces an org's settings. */
  public record PutOrg(OrgConfig org) implements Command {}

  /** Sets one agent's reserved slots for one call type. */
  public record SetReservation(String orgId, String agentId, CallType callType, int slots)
      implements Command {}

  /** Sets all of an agent's reservations to 0. */
  public record RemoveAgent(String orgId, String agentId) implements Command {}

  /** Sets a login's own limits; {@link LoginLimits#INHERIT} removes them. */
  public record SetLoginLimits(String orgId, String loginId, LoginLimits limits)
      implements Command {}

  /** Sets a number's own caps; {@link NumberLimits#INHERIT} removes them. */
  public record SetNumberLimits(String orgId, String number, NumberLimits limits)
      implements Command {}

  /** Only lets time pass: fires the timers that are due. */
  public record Tick() implements Command {}
}
