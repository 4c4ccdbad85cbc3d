/**
 * Outcomes of an acquire that did not get a slot, as the server decided them. These are outcomes,
 * not transport failures: a gRPC failure arrives as the transport's `ConnectError` instead.
 */

/** A call that did not get a slot: denied, its wait expired, or it was cancelled. */
export class AdmissionError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** The call was denied (a daily cap was reached); retry at `denial.retryAt`. */
export class AdmissionDeniedError extends AdmissionError {
  /** @param {import("../gen/admission/v1/types_pb.js").Denial} denial */
  constructor(denial) {
    super(`denied: ${denial.message}`);
    /** The server's denial: reason, message and when to retry. */
    this.denial = denial;
  }
}

/** The held call's `max_wait` passed before a slot freed; it no longer waits. */
export class AdmissionWaitExpiredError extends AdmissionError {
  /** @param {import("../gen/admission/v1/admission_service_pb.js").WaitExpired} expiry */
  constructor(expiry) {
    super(`wait expired: ${expiry.message}`);
    /** The server's event: when the call was held and when it stopped waiting. */
    this.expiry = expiry;
  }
}

/** The held call was released before it was dispatched, by this client or anyone else. */
export class AdmissionCancelledError extends AdmissionError {
  /** @param {import("../gen/admission/v1/admission_service_pb.js").WaitCancelled} cancellation */
  constructor(cancellation) {
    super(`cancelled: ${cancellation.message}`);
    /** The server's event, or one made by this client when it released the call itself. */
    this.cancellation = cancellation;
  }
}
