package io.admission.server.engine;

/** Caps that deny rather than hold: they reset at local midnight, hours away. */
public enum DenialReason {
  DAILY_CAP,
  NUMBER_DAILY_CAP
}
