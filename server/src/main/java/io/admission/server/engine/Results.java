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
      Figures figures,
      int position,
      OptionalLong readyAt,
      long heldSince,
      OptionalLong waitDeadline) {}

  /**
   * Why a call may not start, and when to retry.
   *
   * @param figures the numbers behind it; null only between reading a snapshot written before
   *     denials kept them and restoring it (the restore derives them)
   */
  public record Denial(DenialReason reason, Figures figures, long retryAt) {}

  /**
   * The numbers behind a hold or a denial, for the edge to put in words: whose limit stopped the
   * call, how far it is used, the limit, its window. Fields that a reason does not use are 0, ""
   * or null; when the limit clears is the hold's readyAt or the denial's retryAt.
   *
   * @param subject the login, the number or the org whose limit stopped the call
   * @param inUse calls running on it (concurrency)
   * @param limit the limit reached: calls at once, starts per window, shared slots, today's cap
   * @param windowMillis the rolling window of a rate limit
   * @param decidedAt when the engine decided: a clear time on another day is given with its date
   * @param zone the org's time zone (IANA id), for limits that reset at local midnight
   * @param agentId the org pool: the agent whose own reserved slots are full, if it has any
   * @param callType the org pool: the call type of those reserved slots
   * @param reserved the org pool: how many slots that agent reserved for that type (0: none)
   * @param orgLimit the org pool: the org's concurrency limit
   * @param rampDay the daily cap: the warm-up day (1-based), 0 without a ramp
   * @param fullCap the daily cap: the cap once the warm-up is over
   * @param callingHours the calling hours the call came outside of
   */
  public record Figures(
      String subject,
      int inUse,
      int limit,
      long windowMillis,
      long decidedAt,
      String zone,
      String agentId,
      CallType callType,
      int reserved,
      int orgLimit,
      int rampDay,
      int fullCap,
      CallingHours callingHours) {

    /** Settings without calling hours. */
    public Figures(String subject, int inUse, int limit, long windowMillis, long decidedAt,
        String zone, String agentId, CallType callType, int reserved, int orgLimit, int rampDay,
        int fullCap) {
      this(subject, inUse, limit, windowMillis, decidedAt, zone, agentId, callType, reserved,
          orgLimit, rampDay, fullCap, null);
    }

    /** Calling hours: {@code subject}'s calls of {@code type} may start only within them. */
    public static Figures callingHours(
        String orgId, String zone, CallType type, long decidedAt, CallingHours hours) {
      return new Figures(orgId, 0, 0, 0, decidedAt, zone, "", type, 0, 0, 0, 0, hours);
    }

    /** A concurrency limit: {@code inUse} of {@code limit} calls run on {@code subject}. */
    public static Figures concurrency(String subject, int inUse, int limit) {
      return new Figures(subject, inUse, limit, 0, 0, "", "", null, 0, 0, 0, 0);
    }

    /** A rolling window: {@code subject} started {@code limit} calls within the window. */
    public static Figures window(String subject, int limit, long windowMillis, long decidedAt) {
      return new Figures(subject, 0, limit, windowMillis, decidedAt, "", "", null, 0, 0, 0, 0);
    }

    /** The org pool: its {@code shared} shared slots and the agent's own reserved ones are full. */
    public static Figures pool(
        String orgId, int shared, int orgLimit, String agentId, CallType type, int reserved) {
      return new Figures(orgId, 0, shared, 0, 0, "", agentId, type, reserved, orgLimit, 0, 0);
    }

    /** A cap per local day of {@code zone}: {@code subject} started {@code limit} calls today. */
    public static Figures daily(String subject, int limit, String zone, int rampDay, int fullCap) {
      return new Figures(subject, 0, limit, 0, 0, zone, "", null, 0, 0, rampDay, fullCap);
    }
  }

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
   * @param maxWaitMillis the max_wait the call asked for (what passed, when the wait expired)
   */
  public record Ended(
      EndReason reason,
      long heldSince,
      long endedAt,
      Lease lease,
      Denial denial,
      String callId,
      long maxWaitMillis)
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
