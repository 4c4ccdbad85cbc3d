package io.admission.server.engine;

/**
 * A call that has ended, as the engine remembers it for {@link Engine#REMEMBER_ENDED_MILLIS}:
 * enough to answer a retried Acquire, a WaitForSlot opened on it, and a snapshot. It lives as
 * bytes in {@link EndedCalls}; this record is what goes in and comes back out.
 *
 * @param heldSince when it started waiting, or -1 if it was never held
 * @param slotKind the kind of slot it held, or null if it was never granted (then the lease
 *     fields are 0)
 * @param denial why it was denied, when {@code reason} is DENIED; else null
 */
record EndedCall(
    OrgState org,
    Commands.Acquire request,
    long seq,
    long heldSince,
    SlotKind slotKind,
    long grantedAt,
    long ttlMillis,
    long expiresAt,
    EndReason reason,
    long endedAt,
    Results.Denial denial) {

  /** The call as it ends, {@code reason} at {@code now}. */
  static EndedCall of(Call call, EndReason reason, long now) {
    return new EndedCall(
        call.org, call.request(), call.seq, call.heldSince, call.slotKind, call.grantedAt,
        call.ttlMillis, call.expiresAt, reason, now, call.denial);
  }

  /** Whether a retried Acquire asks for exactly this call (same org and call_id by lookup). */
  boolean sameRequest(Commands.Acquire r) {
    return request.equals(r);
  }

  /** Its terminal event, as WaitForSlot reports it. */
  Results.Ended view() {
    return new Results.Ended(
        reason, heldSince, endedAt, lease(), denial, request.callId(), request.maxWaitMillis());
  }

  /** The lease it had, or null if it was never granted. */
  Results.Lease lease() {
    if (slotKind == null) {
      return null;
    }
    Commands.Acquire r = request;
    return new Results.Lease(
        r.orgId(), r.callId(), r.agentId(), r.callType(), r.loginId(), r.fromNumber(), slotKind,
        grantedAt, expiresAt, ttlMillis);
  }
}
