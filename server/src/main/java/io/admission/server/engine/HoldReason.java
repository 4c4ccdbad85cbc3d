package io.admission.server.engine;

/** What a held call waits for: the first check of the ordered list that did not pass. */
public enum HoldReason {
  LOGIN_CONCURRENCY,
  LOGIN_RATE,
  NUMBER_CONCURRENCY,
  NUMBER_RATE,
  ORG_POOL_FULL
}
