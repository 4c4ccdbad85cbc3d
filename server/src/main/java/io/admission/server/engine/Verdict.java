package io.admission.server.engine;

/** What one check says about a call: pass, hold it on a blocker, or deny it. */
sealed interface Verdict {
  Pass PASS = new Pass();

  /** The call satisfies this rule. */
  record Pass() implements Verdict {}

  /**
   * The call waits on {@code blocker}.
   *
   * @param readyAt when the blocker lets it through, or -1 when that waits for a call to end
   */
  record Hold(HoldReason reason, Blocker blocker, long readyAt, Results.Figures figures)
      implements Verdict {}

  /** The call may not start before {@code retryAt}. */
  record Deny(DenialReason reason, long retryAt, Results.Figures figures) implements Verdict {}
}
