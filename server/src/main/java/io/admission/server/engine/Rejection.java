package io.admission.server.engine;

/**
 * A request the engine refused; nothing changed. Not an exception: bad input is expected, and
 * {@code grpc.StatusMapper} turns each kind into one gRPC status. Like a hold or a denial, it is a
 * value — what was wrong, with its numbers — and the edge puts it in words.
 *
 * @param field the request field at fault (for INVALID_ARGUMENT), the bound's flag name (for
 *     RESOURCE_EXHAUSTED), or the field the refusal is about
 */
public record Rejection(Kind kind, String field, Reason reason)
    implements Results.AcquireResult,
        Results.ReleaseResult,
        Results.RenewResult,
        Results.AdminResult,
        Results.WatchResult,
        Results.StatusResult {

  /** The classes of refusal, each one gRPC status code. */
  public enum Kind {
    INVALID_ARGUMENT,
    NOT_FOUND,
    ALREADY_EXISTS,
    FAILED_PRECONDITION,
    /** Over one of the server's bounds ({@link Engine.Bounds}); {@code field} names the bound. */
    RESOURCE_EXHAUSTED
  }

  /** What was wrong, with the figures that say it. */
  public sealed interface Reason {}

  /** The org named does not exist. */
  public record UnknownOrg(String orgId) implements Reason {}

  /** No live call, nor one ended within {@link Engine#REMEMBER_ENDED_MILLIS}, has this id. */
  public record UnknownCall(String orgId, String callId) implements Reason {}

  /** The call_id belongs to a different request ({@code existing}), live or recently ended. */
  public record CallIdUsed(String orgId, String callId, Commands.Acquire existing)
      implements Reason {}

  /** The call_id belongs to a call that has ended: it is never granted twice. */
  public record CallEnded(String callId, EndReason endReason, long endedAt) implements Reason {}

  /** The call would be held, but the org already holds its bound of held calls. */
  public record HeldBound(String orgId, String callId, int held, int max) implements Reason {}

  /**
   * New orgs over the server's bound of orgs; {@code orgId} is the first new one.
   *
   * @param orgs the orgs the server holds now
   */
  public record OrgBound(String orgId, int adding, int orgs, int max) implements Reason {}

  /**
   * An org's concurrency limit below the slots reserved in it.
   *
   * @param byUnlisted whether those are reservations a config file does not list (the others
   *     are its own, checked one by one)
   */
  public record LimitBelowReserved(String orgId, int limit, long reserved, boolean byUnlisted)
      implements Reason {}

  /**
   * A reservation that would make the org's reservations exceed its concurrency limit.
   *
   * @param total what would be reserved in the org with it
   * @param others reserved now (by a SetReservation) or by reservations a config file does not
   *     list
   * @param byThis reserved now by this agent and call type; -1 in a config file, where the
   *     reservations it does not list are the others
   */
  public record ReservedOverLimit(
      String orgId, String agentId, CallType callType, int slots, long total, int limit,
      long others, int byThis)
      implements Reason {}

  /** The org still has calls: it cannot be deleted. */
  public record OrgHasCalls(String orgId, int active, int held) implements Reason {}

  /**
   * A config file lists one thing twice: which entry it meant is not for the engine to guess.
   *
   * @param list the config field listing it: orgs, reservations, login_limits, number_limits
   * @param id the org, agent, login or number
   * @param callType the reservation's call type; null for the others
   * @param first the index of its first entry
   */
  public record Repeated(String list, String id, CallType callType, int first) implements Reason {}

  static Rejection invalid(String field, Reason reason) {
    return new Rejection(Kind.INVALID_ARGUMENT, field, reason);
  }

  static Rejection unknownOrg(String orgId) {
    return new Rejection(Kind.NOT_FOUND, "org_id", new UnknownOrg(orgId));
  }
}
