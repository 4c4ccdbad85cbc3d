import { equals } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { HoldSchema, Outcome } from "../gen/admission/v1/types_pb.js";
import {
  AdmissionCancelledError,
  AdmissionDeniedError,
  AdmissionWaitExpiredError,
} from "./errors.js";

/** Errors that reopening the wait stream cannot fix: the wait ends with them. Any other reopens. */
export const FINAL_ERRORS = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.FailedPrecondition,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.Unimplemented,
]);

/**
 * Delays between attempts to reopen a broken stream: 100 ms doubling to 5 s, each with up to
 * 20 % jitter so that the clients cut off by one server restart do not all come back at once.
 */
class Backoff {
  static FIRST_MS = 100;
  static MAX_MS = 5_000;
  #next = Backoff.FIRST_MS;

  nextDelayMs() {
    const delay = this.#next;
    this.#next = Math.min(Backoff.MAX_MS, this.#next * 2);
    return delay - Math.random() * (delay / 5);
  }

  reset() {
    this.#next = Backoff.FIRST_MS;
  }
}

/**
 * One call on its way to a lease: the Acquire answer and, while the call is held, a WaitForSlot
 * stream reopened with backoff whenever it breaks, until the call is dispatched, denied, expired
 * or cancelled. Reopening loses nothing: the server's first event on a stream is always the
 * call's current state.
 *
 * Whoever settles `promise` first decides the outcome (a final event, a release, a close, the
 * caller's abort signal); settling it also cancels the open stream. A lease that arrives after
 * that has no owner and is released at once rather than left to expire.
 */
export class SlotWait {
  #orgId;
  #callId;
  #service;
  #renewer;
  #listener;
  #backoff = new Backoff();
  #stream; // the open stream's AbortController
  #reopenTimer;
  #lastHold;
  #resolve;
  #reject;
  settled = false;

  constructor(orgId, callId, service, renewer, listener) {
    this.#orgId = orgId;
    this.#callId = callId;
    this.#service = service;
    this.#renewer = renewer;
    this.#listener = listener;
    /** @type {Promise<import("../gen/admission/v1/types_pb.js").Lease>} */
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Settles with the lease unless the wait already ended; says whether it did. */
  succeed(lease) {
    if (this.settled) {
      return false;
    }
    this.#settle();
    this.#resolve(lease);
    return true;
  }

  /** Settles with `error` unless the wait already ended; says whether it did. */
  fail(error) {
    if (this.settled) {
      return false;
    }
    this.#settle();
    this.#reject(error);
    return true;
  }

  /** Sends Acquire and goes on from its answer. */
  async acquire(request) {
    let response;
    try {
      response = await this.#service.acquire(request);
    } catch (error) {
      this.fail(error);
      return;
    }
    switch (response.outcome) {
      case Outcome.GRANTED:
        this.#granted(response.decision.value);
        break;
      case Outcome.HELD:
        this.#held(response.decision.value);
        this.watch();
        break;
      case Outcome.DENIED:
        this.fail(new AdmissionDeniedError(response.decision.value));
        break;
      default:
        this.fail(new Error(`Acquire answered without a known outcome: ${response.outcome}`));
    }
  }

  /** Opens a WaitForSlot stream for the call, unless the wait is already over. */
  async watch() {
    if (this.settled) {
      return;
    }
    const stream = new AbortController();
    this.#stream = stream;
    try {
      const events = this.#service.waitForSlot(
        { orgId: this.#orgId, callId: this.#callId },
        { signal: stream.signal },
      );
      for await (const { event } of events) {
        this.#backoff.reset();
        switch (event.case) {
          case "held":
            this.#held(event.value);
            break;
          case "dispatched":
            this.#granted(event.value);
            break;
          case "denied":
            this.fail(new AdmissionDeniedError(event.value));
            break;
          case "expired":
            this.fail(new AdmissionWaitExpiredError(event.value));
            break;
          case "cancelled":
            this.fail(new AdmissionCancelledError(event.value));
            break;
          default: // an event this client does not know yet: keep waiting
        }
        if (this.settled) {
          return;
        }
      }
      this.#reopenLater(); // the stream ended without a final event: treat it as broken
    } catch (error) {
      if (this.settled) {
        return; // our own abort, or a failure after the wait ended
      }
      if (FINAL_ERRORS.has(ConnectError.from(error).code)) {
        this.fail(error);
      } else {
        this.#reopenLater();
      }
    }
  }

  #granted(lease) {
    this.#renewer.track(lease, this.#listener.onLeaseLost);
    if (!this.succeed(lease)) {
      this.#renewer.untrack(this.#orgId, this.#callId);
      this.#service.release({ orgId: this.#orgId, callId: this.#callId }).catch((error) => {
        console.warn(`admission: releasing ${this.#orgId}/${this.#callId} failed: ${error}`);
      });
    }
  }

  #held(hold) {
    if (this.settled || (this.#lastHold && equals(HoldSchema, hold, this.#lastHold))) {
      return;
    }
    this.#lastHold = hold;
    try {
      this.#listener.onHeld?.(hold);
    } catch (error) {
      console.warn("admission: onHeld callback failed", error);
    }
  }

  #reopenLater() {
    if (!this.settled) {
      this.#reopenTimer = setTimeout(() => this.watch(), this.#backoff.nextDelayMs());
    }
  }

  #settle() {
    this.settled = true;
    clearTimeout(this.#reopenTimer);
    this.#stream?.abort();
    this.#stream = undefined;
  }
}
