package io.admission.server.engine;

/**
 * One live call of an org, from its Acquire until it ends; then it is remembered as an
 * {@link EndedCall} in {@link EndedCalls} and this object is dropped. Owned by the engine's
 * thread; mutated only by {@link OrgState} and by the structures threaded through it
 * ({@link TimerQueue}, {@link RankTree}, {@link WaitQueue}).
 *
 * <p>Kept small, since a server holds one per live lease and held call: no copy of the Acquire
 * (events rebuild it), the agent, login and number as the org's own objects rather than each
 * request's copy of the strings, and its pending timer and its places in queues threaded through
 * the call itself instead of tree nodes.
 */
final class Call {
  enum State {
    HELD,
    ACTIVE,
    ENDED
  }

  final OrgState org;
  final String callId;
  final String agentId;
  final CallType type;
  /** The lease TTL the Acquire asked for; 0 means the org's default at grant time. */
  final long requestedTtlMillis;
  /** How long the call may wait if held; 0 means as long as it takes. */
  final long maxWaitMillis;
  /** Arrival order within the engine: FIFO ties are broken by it and it never changes. */
  final long seq;

  /** Null once ended: the agent may be forgotten while events still refer to the call. */
  Pool.Pair pair;
  final Login login; // null when the call named no login
  final CallerNumber number; // null when the call named no number

  State state;

  // While HELD
  HoldReason holdReason;
  Results.Figures holdFigures;
  long readyAt = -1; // -1: waits for a call to end, not for a known moment
  WaitQueue queue;
  long heldSince = -1; // -1: never held

  // Once granted
  SlotKind slotKind;
  long grantedAt;
  long ttlMillis;
  long expiresAt;

  // Once denied (it then ends at once)
  Results.Denial denial;

  // While HELD, its place among the org's held calls (RankTree) and in its WaitQueue.
  Call rankLeft;
  Call rankRight;
  int rankSize;
  Call queueLeft;
  Call queueRight;

  // The call's one pending timer, due at timerAt(); see TimerQueue.
  TimerQueue.Lane timerLane;
  Call timerPrev;
  Call timerNext;

  /** A new call of {@code org}, placed on its pool pair, login and number. */
  Call(OrgState org, Commands.Acquire request, long seq, Pool.Pair pair, Login login,
      CallerNumber number) {
    this.org = org;
    this.callId = request.callId();
    this.agentId = pair.agent.id; // the agent's own string: one copy for all its calls
    this.type = request.callType();
    this.requestedTtlMillis = request.leaseTtlMillis();
    this.maxWaitMillis = request.maxWaitMillis();
    this.seq = seq;
    this.pair = pair;
    this.login = login;
    this.number = number;
  }

  String loginId() {
    return login == null ? "" : login.id;
  }

  String fromNumber() {
    return number == null ? "" : number.id;
  }

  /** The Acquire that created the call, as events and snapshots report it. */
  Commands.Acquire request() {
    return new Commands.Acquire(
        org.config.orgId(), callId, agentId, type, loginId(), fromNumber(), requestedTtlMillis,
        maxWaitMillis);
  }

  /** Whether a retried Acquire asks for exactly this call. */
  boolean sameRequest(Commands.Acquire r) {
    return agentId.equals(r.agentId())
        && type == r.callType()
        && loginId().equals(r.loginId())
        && fromNumber().equals(r.fromNumber())
        && requestedTtlMillis == r.leaseTtlMillis()
        && maxWaitMillis == r.maxWaitMillis();
  }

  /** When a held call's max_wait passes, or -1 when it may wait as long as it takes. */
  long waitDeadline() {
    return maxWaitMillis > 0 && heldSince >= 0 ? heldSince + maxWaitMillis : -1;
  }

  /** When its pending timer is due: its lease expiry while active, else its max_wait deadline. */
  long timerAt() {
    return state == State.ACTIVE ? expiresAt : heldSince + maxWaitMillis;
  }

  Results.Lease lease() {
    return new Results.Lease(
        org.config.orgId(), callId, agentId, type, loginId(), fromNumber(), slotKind, grantedAt,
        expiresAt, ttlMillis);
  }
}
