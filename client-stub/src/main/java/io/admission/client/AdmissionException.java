package io.admission.client;

/**
 * A call that did not get a slot, as the server decided it: denied, its wait expired, or it was
 * cancelled. These are outcomes, not transport failures; a gRPC failure arrives as a
 * {@link io.grpc.StatusRuntimeException} instead.
 */
public abstract sealed class AdmissionException extends RuntimeException
    permits AdmissionDeniedException, AdmissionWaitExpiredException, AdmissionCancelledException {

  AdmissionException(String message) {
    super(message);
  }
}
