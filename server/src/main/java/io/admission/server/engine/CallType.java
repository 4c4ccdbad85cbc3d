package io.admission.server.engine;

/** The four kinds of call; all share one org pool, reservations are per (agent, call type). */
public enum CallType {
  WEBCALL,
  CHAT,
  OUTBOUND,
  INBOUND;

  static final CallType[] ALL = values();
}
