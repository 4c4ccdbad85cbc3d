package io.admission.server.engine;

/**
 * One call the org has seen, from its Acquire until {@link Engine#REMEMBER_ENDED_MILLIS} after it
 * ended. Owned by the engine's thread; mutated only by {@link OrgState}.
 */
final class Call {
  enum State {
    HELD,
    ACTIVE,
    ENDED
  }

  /** The Acquire that created the call: who it is, as events and snapshots report it. */
  final Commands.Acquire request;
  final String orgId;
  final String callId;
  final String agentId;
  final CallType type;
  final String loginId;
  final String fromNumber;
  /** The lease TTL the Acquire asked for; 0 means the org's default at grant time. */
  final long requestedTtlMillis;
  /** How long the call may wait if held; 0 means as long as it takes. */
  final long maxWaitMillis;
  /** Arrival order within the engine: FIFO ties are broken by it and it never changes. */
  final long seq;

  final Pool.Pair pair;
  final Login login; // null when the call named no login
  final CallerNumber number; // null when the call named no number

  State state;

  // While HELD
  HoldReason holdReason;
  String holdMessage;
  long readyAt = -1; // -1: waits for a call to end, not for a known moment
  WaitQueue queue;
  long heldSince = -1; // -1: never held
  TimerQueue.Timer waitTimer;

  // Once granted
  SlotKind slotKind;
  long grantedAt;
  long ttlMillis;
  long expiresAt;
  TimerQueue.Timer leaseTimer;

  // Once ENDED
  EndReason endReason;
  long endedAt;
  Results.Denial denial;

  Call(Commands.Acquire request, long seq, Pool.Pair pair, Login login, CallerNumber number) {
    this.request = request;
    this.orgId = request.orgId();
    this.callId = request.callId();
    this.agentId = request.agentId();
    this.type = request.callType();
    this.loginId = request.loginId();
    this.fromNumber = request.fromNumber();
    this.requestedTtlMillis = request.leaseTtlMillis();
    this.maxWaitMillis = request.maxWaitMillis();
    this.seq = seq;
    this.pair = pair;
    this.login = login;
    this.number = number;
  }

  /** Whether a retried Acquire asks for exactly this call. */
  boolean sameRequest(Commands.Acquire r) {
    return agentId.equals(r.agentId())
        && type == r.callType()
        && loginId.equals(r.loginId())
        && fromNumber.equals(r.fromNumber())
        && requestedTtlMillis == r.leaseTtlMillis()
        && maxWaitMillis == r.maxWaitMillis();
  }

  Results.Lease lease() {
    return new Results.Lease(
        orgId, callId, agentId, type, loginId, fromNumber, slotKind, grantedAt, expiresAt,
        ttlMillis);
  }

  /** The request as a sentence, for ALREADY_EXISTS: what this call_id already stands for. */
  String describe() {
    return "agent_id=\"" + agentId + "\" call_type=" + type + " login_id=\"" + loginId
        + "\" from_number=\"" + fromNumber + "\" lease_ttl=" + requestedTtlMillis
        + "ms max_wait=" + maxWaitMillis + "ms";
  }
}
