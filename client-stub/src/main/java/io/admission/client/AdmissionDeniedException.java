package io.admission.client;

import io.admission.v1.Denial;

/** The call was denied (a daily cap was reached); retry at {@code denial().getRetryAt()}. */
public final class AdmissionDeniedException extends AdmissionException {
  private final Denial denial;

  public AdmissionDeniedException(Denial denial) {
    super("denied: " + denial.getMessage());
    this.denial = denial;
  }

  /** The server's denial: reason, message and when to retry. */
  public Denial denial() {
    return denial;
  }
}
