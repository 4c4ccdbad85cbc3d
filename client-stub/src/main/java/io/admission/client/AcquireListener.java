package io.admission.client;

import io.admission.v1.Hold;
import io.admission.v1.Lease;

/**
 * Observes one call acquired through {@link AdmissionClient}. Both methods run on a gRPC callback
 * thread: they must return quickly and not block. An exception they throw is logged and ignored.
 */
public interface AcquireListener {
  /** Does nothing. */
  AcquireListener NONE = new AcquireListener() {};

  /**
   * The call is held, or its hold changed (reason, queue position, ready time). Called for the
   * Acquire answer and for every {@code held} event that differs from the previous one, so a
   * reopened stream repeating the current state does not repeat the call.
   */
  default void onHeld(Hold hold) {}

  /**
   * The server no longer knows the lease (it expired, or the call was ended elsewhere): a Renew
   * listed it in {@code unknown_call_ids}. The client stopped renewing it; the call should end.
   */
  default void onLeaseLost(Lease lease) {}
}
