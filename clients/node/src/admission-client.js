import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import {
  AdmissionService,
  WaitCancelledSchema,
} from "../gen/admission/v1/admission_service_pb.js";
import { AdmissionCancelledError } from "./errors.js";
import { LeaseRenewer } from "./lease-renewer.js";
import { SlotWait } from "./slot-wait.js";

/**
 * @typedef {import("../gen/admission/v1/types_pb.js").Lease} Lease
 * @typedef {import("../gen/admission/v1/types_pb.js").Hold} Hold
 * @typedef {object} AcquireOptions
 * @property {(hold: Hold) => void} [onHeld] the call is held, or its hold changed
 * @property {(lease: Lease) => void} [onLeaseLost] a Renew found the lease unknown (it expired or
 *   was ended elsewhere): renewing stopped, and the call should end
 * @property {AbortSignal} [signal] stops waiting (the call stays held at the server until released)
 */

/**
 * A client of `admission.v1.AdmissionService`: acquire a slot for a call, wait while it is held,
 * and keep its lease renewed until `release`.
 *
 * ```js
 * const admission = new AdmissionClient(createGrpcTransport({ baseUrl: "http://127.0.0.1:50051" }));
 * const lease = await admission.acquire(request, { onHeld: (hold) => console.log(hold.message) });
 * // ... the call runs; the lease is renewed in the background ...
 * await admission.release(lease.orgId, lease.callId);
 * admission.close();
 * ```
 *
 * The transport belongs to the caller. Callbacks run on the event loop and must not block.
 */
export class AdmissionClient {
  #service;
  #renewer;
  /** @type {Map<string, SlotWait>} keyed by org and call id */
  #waits = new Map();
  #closed = false;

  /** @param {import("@connectrpc/connect").Transport} transport e.g. Connect's gRPC transport */
  constructor(transport) {
    this.#service = createClient(AdmissionService, transport);
    this.#renewer = new LeaseRenewer(this.#service);
  }

  /**
   * Asks for a slot for one call and waits for it as long as the call is held.
   *
   * Resolves with the lease when the call is granted at once or later dispatched; from then on
   * the lease is renewed at a third of its TTL until `release`. Rejects with
   * `AdmissionDeniedError`, `AdmissionWaitExpiredError` or `AdmissionCancelledError` when the
   * server decides so; with the `ConnectError` when Acquire fails, or when the wait stream fails
   * in a way reopening cannot fix (`FINAL_ERRORS`); any other stream failure reopens the stream
   * with backoff (100 ms doubling to 5 s). `close()` and `signal` reject it with an AbortError.
   * Only one acquire per call may wait at a time; a second one rejects at once.
   *
   * @param {import("@bufbuild/protobuf").MessageInitShape<
   *   typeof import("../gen/admission/v1/admission_service_pb.js").AcquireRequestSchema>} request
   * @param {AcquireOptions} [options]
   * @returns {Promise<Lease>}
   */
  acquire(request, options = {}) {
    const wait = this.#register(request.orgId ?? "", request.callId ?? "", options);
    if (!wait.settled) {
      wait.acquire(request);
    }
    return wait.promise;
  }

  /**
   * Waits for a call that an earlier Acquire left held (by this process before a restart, or by
   * another tool) without asking again: goes on as `acquire` does after a held answer, renewal
   * included.
   * @param {AcquireOptions} [options]
   * @returns {Promise<Lease>}
   */
  awaitDispatch(orgId, callId, options = {}) {
    const wait = this.#register(orgId, callId, options);
    wait.watch();
    return wait.promise;
  }

  /**
   * Ends a call: stops renewing its lease and sends Release, which frees a granted call's slot
   * or cancels a held one (idempotent at the server). An acquire of this call still waiting here
   * rejects at once with `AdmissionCancelledError`. Works after `close()` too.
   * @returns {Promise<import("../gen/admission/v1/admission_service_pb.js").ReleaseResponse>}
   */
  release(orgId, callId) {
    this.#renewer.untrack(orgId, callId);
    this.#waits
      .get(key(orgId, callId))
      ?.fail(
        new AdmissionCancelledError(
          create(WaitCancelledSchema, { message: "released by this client while waiting" }),
        ),
      );
    return this.#service.release({ orgId, callId });
  }

  /**
   * Stops all renewals and rejects the acquires still waiting. Leases are not released (they
   * expire at the server unless released) and the transport is left as it is.
   */
  close() {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#renewer.close();
    for (const wait of [...this.#waits.values()]) {
      wait.fail(new DOMException("AdmissionClient is closed", "AbortError"));
    }
  }

  #register(orgId, callId, { onHeld, onLeaseLost, signal } = {}) {
    const wait = new SlotWait(orgId, callId, this.#service, this.#renewer, {
      onHeld,
      onLeaseLost,
    });
    const k = key(orgId, callId);
    if (this.#closed) {
      wait.fail(new Error("AdmissionClient is closed"));
      return wait;
    }
    if (this.#waits.has(k)) {
      wait.fail(new Error(`call ${callId} of org ${orgId} is already being acquired`));
      return wait;
    }
    if (signal?.aborted) {
      wait.fail(signal.reason);
      return wait;
    }
    this.#waits.set(k, wait);
    const onAbort = () => wait.fail(signal.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const unregister = () => {
      signal?.removeEventListener("abort", onAbort);
      if (this.#waits.get(k) === wait) {
        this.#waits.delete(k);
      }
    };
    wait.promise.then(unregister, unregister);
    return wait;
  }
}

function key(orgId, callId) {
  return JSON.stringify([orgId, callId]);
}
