package io.admission.client;

import io.admission.v1.WaitExpired;

/** The held call's {@code max_wait} passed before a slot freed; it no longer waits. */
public final class AdmissionWaitExpiredException extends AdmissionException {
  private final WaitExpired expiry;

  public AdmissionWaitExpiredException(WaitExpired expiry) {
    super("wait expired: " + expiry.getMessage());
    this.expiry = expiry;
  }

  /** The server's event: when the call was held and when it stopped waiting. */
  public WaitExpired expiry() {
    return expiry;
  }
}
