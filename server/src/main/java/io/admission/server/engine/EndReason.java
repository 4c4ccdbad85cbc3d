package io.admission.server.engine;

/** How a call ended; remembered with the time for {@link Engine#REMEMBER_ENDED_MILLIS}. */
public enum EndReason {
  /** A granted call was released. */
  RELEASED,
  /** A granted call's lease was not renewed in time. */
  EXPIRED,
  /** A held call was released before dispatch. */
  CANCELLED,
  /** The call was denied by a daily cap. */
  DENIED,
  /** A held call's max_wait passed. */
  WAIT_EXPIRED
}
