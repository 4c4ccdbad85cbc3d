package io.admission.server.engine;

import java.util.List;
import java.util.OptionalLong;

/**
 * What the engine answers, as values. Every result type is sealed so that the gRPC adapter handles
 * each case; a {@link Rejection} is one case of each.
 *
 * <p>All times are epoch milliseconds, as stamped by the loop.
 */
public final class Results {
  private Results() {}

  /** Granted, held, denied, or rejected. */
  public sealed interface AcquireResult permits Granted, Held, Denied, Rejection {}

  /** What Release did, or a rejection. */
  public sealed interface ReleaseResult permits Released, Rejection {}

  /** What Renew did, or a rejection. */
  public sealed interface RenewResult permits Renewed, Rejection {}

  /** The outcome of an admin change, or a rejection. */
  public sealed interface AdminResult permits OrgView, ReservationChanged, AgentRemoved,
      LoginLimitsChanged, NumberLimitsChanged, OrgPage, OrgUpdated, OrgDeleted, ConfigApplied,
      Rejection {}

  /** A call's current state for WaitForSlot, or a rejection. */
  public sealed interface WatchResult permits Held, Granted, Ended, Rejection {}

  /** An org's status, or a rejection. */
  public sealed interface StatusResult permits StatusView.Org, Rejection {}

  /** A granted call's lease. */
  public record Lease(
      String orgId,
      String callId,
      String agentId,
      CallType callType,
      String loginId,
      String fromNumber,
      SlotKind slotKind,
      long grantedAt,
      long expiresAt,
      long ttlMillis) {}

  /**
   * Why a call waits and until when.
   *
   * @param position 1-based place among all held calls of the org, oldest first
   * @param readyAt when the blocking limit lets the call through, if known
   * @param waitDeadline when the call's max_wait passes, if it has one
   */
  public record Hold(
      HoldReason reason,
      String message,
      int position,
      OptionalLong readyAt,
      long heldSince,
      OptionalLong waitDeadline) {}

  /** Why a call may not start, and when to retry. */
  public record Denial(DenialReason reason, String message, long retryAt) {}

  /**
   * The call may start.
   *
   * @param retry true when the call_id was already known (an idempotent retry)
   */
  public record Granted(Lease lease, boolean retry) implements AcquireResult, WatchResult {}

  /** The call waits in the org's queue. */
  public record Held(Hold hold, boolean retry) implements AcquireResult, WatchResult {}

  /** The call may not start now; it is not queued. */
  public record Denied(Denial denial) implements AcquireResult {}

  /**
   * A call that has ended, as WaitForSlot reports it: its terminal event.
   *
   * @param lease the lease it had, when it ended after a grant
   * @param denial the denial, when a daily cap denied it
   */
  public record Ended(
      EndReason reason, long heldSince, long endedAt, Lease lease, Denial denial, String message)
      implements WatchResult {}

  /** What a Release did. */
  public record Released(Effect effect) implements ReleaseResult {
    /** Released a lease, cancelled a held call, or nothing to do. */
    public enum Effect {
      RELEASED,
      CANCELLED,
      NOT_ACTIVE
    }
  }

  /** The renewed leases, in request order, and the ids that were not renewed. */
  public record Renewed(List<Lease> leases, List<String> unknownCallIds, List<String> heldCallIds)
      implements RenewResult {}

  /** An org with everything configured for it. */
  public record OrgView(
      OrgConfig config,
      List<Reservation> reservations,
      List<LoginOverride> loginOverrides,
      List<NumberOverride> numberOverrides,
      boolean created)
      implements AdminResult {}

  /** The settings of an org before and after an UpdateOrg, as stored. */
  public record OrgUpdated(OrgConfig before, OrgConfig after) implements AdminResult {}

  /**
   * What DeleteOrg did.
   *
   * @param existed false when there was no such org: nothing was done, and that is not an error
   */
  public record OrgDeleted(String orgId, boolean existed) implements AdminResult {}

  /** A page of orgs in id order. */
  public record OrgPage(List<OrgConfig> orgs, String nextPageToken) implements AdminResult {}

  /** A reservation as stored, and what is left shared. */
  public record ReservationChanged(Reservation reservation, int reservedTotal, int sharedCapacity)
      implements AdminResult {}

  /** What removing an agent returned to the shared pool. */
  public record AgentRemoved(int freedSlots, int sharedCapacity) implements AdminResult {}

  /** A login's stored override and the limits now in force. */
  public record LoginLimitsChanged(LoginLimits stored, LoginLimits.Effective effective)
      implements AdminResult {}

  /** A number's stored override and the caps now in force. */
  public record NumberLimitsChanged(NumberLimits stored, NumberLimits.Effective effective)
      implements AdminResult {}

  /** What a config file ({@code ApplyConfig}) left each of its orgs with, in the file's order. */
  public record ConfigApplied(List<OrgView> orgs) implements AdminResult {
    public ConfigApplied {
      orgs = List.copyOf(orgs);
    }
  }

  /** Slots reserved for one agent and call type. */
  public record Reservation(String agentId, CallType callType, int slots) {}

  /** A login's own limits. */
  public record LoginOverride(String loginId, LoginLimits limits) {}

  /** A number's own caps. */
  public record NumberOverride(String number, NumberLimits limits) {}
}
