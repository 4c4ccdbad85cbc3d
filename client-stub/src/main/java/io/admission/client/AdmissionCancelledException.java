package io.admission.client;

import io.admission.v1.WaitCancelled;

/**
 * The held call was released before it was dispatched, by this client's
 * {@link AdmissionClient#release} or by anyone else releasing the same call.
 */
public final class AdmissionCancelledException extends AdmissionException {
  private final WaitCancelled cancellation;

  public AdmissionCancelledException(WaitCancelled cancellation) {
    super("cancelled: " + cancellation.getMessage());
    this.cancellation = cancellation;
  }

  /** The server's event, or one made by this client when it released the call itself. */
  public WaitCancelled cancellation() {
    return cancellation;
  }
}
