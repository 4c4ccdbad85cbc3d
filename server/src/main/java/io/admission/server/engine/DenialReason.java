package io.admission.server.engine;

/** Caps that deny rather than hold: they reset at local midnight, hours away. */
public enum DenialReason {
  DAILY_CAP,
  NUMBER_DAILY_CAP,
  /** Outside the org's calling hours: it may retry when they open again. */
  CALLING_HOURS
}
