package io.admission.server.engine;

/**
 * Something that happened to a call outside the command that asked about it — a dispatch, a
 * changed hold, the end of a wait, the end of a lease. The loop drains these after each command
 * and pushes them to WaitForSlot streams (and, later, metrics and the audit log).
 */
public sealed interface Event {
  /** The call the event is about, as its Acquire named it (org, id, agent, type, login, number). */
  Commands.Acquire call();

  default String orgId() {
    return call().orgId();
  }

  default String callId() {
    return call().callId();
  }

  /** A held call was granted. */
  record Dispatched(Commands.Acquire call, Results.Lease lease, long heldSince) implements Event {}

  /** A held call now waits for something else, or until another moment. */
  record HoldChanged(Commands.Acquire call, Results.Hold hold) implements Event {}

  /** A held call stopped waiting without a grant: denied, max_wait passed, or cancelled. */
  record WaitEnded(Commands.Acquire call, Results.Ended ended) implements Event {}

  /** A granted call ended: released or expired. No stream watches it; for metrics and audit. */
  record LeaseEnded(Commands.Acquire call, Results.Lease lease, EndReason reason, long at)
      implements Event {}
}
