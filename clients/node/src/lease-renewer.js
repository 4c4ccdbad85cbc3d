import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";

/** The server takes at most this many ids per Renew. */
export const MAX_BATCH = 1000;
/** TTL assumed for a lease that states none (the server's own default). */
const DEFAULT_TTL_MS = 3_600_000;
const MIN_INTERVAL_MS = 10;
const MAX_RETRY_MS = 5_000;

/**
 * The lease's TTL in ms; when it states none, the one it had before, else what its times imply.
 * @param {import("../gen/admission/v1/types_pb.js").Lease} lease
 */
export function ttlMs(lease, previous) {
  if (lease.ttl && durationMs(lease.ttl) > 0) {
    return durationMs(lease.ttl);
  }
  if (previous > 0) {
    return previous;
  }
  if (lease.grantedAt && lease.expiresAt) {
    const ms = timestampMs(lease.expiresAt) - timestampMs(lease.grantedAt);
    if (ms > 0) {
      return ms;
    }
  }
  return DEFAULT_TTL_MS;
}

/** One lease being renewed; times are `performance.now()` values. */
class Tracked {
  constructor(lease, onLeaseLost, now) {
    this.onLeaseLost = onLeaseLost;
    this.ttl = 0;
    this.renewed(lease, now);
  }

  renewed(lease, now) {
    this.lease = lease;
    this.ttl = ttlMs(lease, this.ttl);
    this.renewAt = now + this.interval();
    this.inFlight = false;
  }

  interval() {
    return Math.max(MIN_INTERVAL_MS, this.ttl / 3);
  }
}

/** The leases of one org, in the order they were granted, and the org's one timer. */
class OrgLeases {
  /** @type {Map<string, Tracked>} */
  leases = new Map();
  timer = undefined;
  timerAt = 0;

  cancelTimer() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Keeps granted leases alive: each is renewed a third of its TTL after it was granted or last
 * renewed, and all leases of one org that are due go out in one `Renew` call.
 *
 * Batching: when an org's timer fires, every lease of that org due within the next sixth of its
 * own TTL rides along, so leases granted close together settle into one batch instead of one
 * Renew each. Each org has one timer, set to its earliest next renewal. A lease the server no
 * longer knows (listed in `unknown_call_ids`) is dropped and reported to its `onLeaseLost`; a
 * failed Renew, or a lease neither renewed nor unknown, is asked for again after a tenth of its
 * TTL (at most 5 s). The timers are unref'd: like the Java client's daemon thread, renewing alone
 * does not keep the process running.
 */
export class LeaseRenewer {
  #service;
  /** @type {Map<string, OrgLeases>} */
  #orgs = new Map();
  #closed = false;

  /** @param service a Connect client of AdmissionService */
  constructor(service) {
    this.#service = service;
  }

  /** Starts renewing `lease` (replacing an earlier lease of the same call). */
  track(lease, onLeaseLost) {
    if (this.#closed) {
      return;
    }
    let org = this.#orgs.get(lease.orgId);
    if (org === undefined) {
      org = new OrgLeases();
      this.#orgs.set(lease.orgId, org);
    }
    const tracked = new Tracked(lease, onLeaseLost, performance.now());
    org.leases.set(lease.callId, tracked);
    this.#wakeAt(lease.orgId, org, tracked.renewAt);
  }

  /** Stops renewing the call; a Renew already on its way is ignored when it answers. */
  untrack(orgId, callId) {
    const org = this.#orgs.get(orgId);
    if (org !== undefined && org.leases.delete(callId) && org.leases.size === 0) {
      this.#dropOrg(orgId, org);
    }
  }

  /** Stops all renewals and timers; leases are not released. */
  close() {
    this.#closed = true;
    for (const org of this.#orgs.values()) {
      org.cancelTimer();
    }
    this.#orgs.clear();
  }

  #renewDue(orgId) {
    const org = this.#orgs.get(orgId);
    if (this.#closed || org === undefined) {
      return;
    }
    org.timer = undefined;
    const now = performance.now();
    const due = [];
    let next;
    for (const t of org.leases.values()) {
      if (t.inFlight) {
        continue;
      }
      if (t.renewAt - now <= t.ttl / 6) {
        t.inFlight = true;
        due.push(t);
      } else if (next === undefined || t.renewAt < next) {
        next = t.renewAt;
      }
    }
    if (next !== undefined) {
      this.#wakeAt(orgId, org, next);
    }
    for (let from = 0; from < due.length; from += MAX_BATCH) {
      this.#send(orgId, due.slice(from, from + MAX_BATCH));
    }
  }

  async #send(orgId, batch) {
    const callIds = batch.map((t) => t.lease.callId);
    // An answer later than the next renewal is of no use: the retry will ask again. Whole ms:
    // grpc-timeout carries an integer, and the server resets a stream whose header has a fraction.
    const timeoutMs = Math.ceil(Math.min(...batch.map((t) => t.interval())));
    let response;
    try {
      response = await this.#service.renew({ orgId, callIds }, { timeoutMs });
    } catch (error) {
      this.#renewFailed(orgId, batch, error);
      return;
    }
    this.#renewed(orgId, batch, response);
  }

  #renewed(orgId, batch, response) {
    const org = this.#orgs.get(orgId);
    if (org === undefined) {
      return; // closed, or its leases were released meanwhile
    }
    const now = performance.now();
    const sent = new Map(batch.map((t) => [t.lease.callId, t]));
    for (const lease of response.leases) {
      const t = sent.get(lease.callId);
      sent.delete(lease.callId);
      if (t !== undefined && org.leases.get(lease.callId) === t) {
        t.renewed(lease, now);
        this.#wakeAt(orgId, org, t.renewAt);
      }
    }
    const lost = [];
    for (const callId of response.unknownCallIds) {
      const t = sent.get(callId);
      sent.delete(callId);
      if (t !== undefined && org.leases.get(callId) === t) {
        org.leases.delete(callId);
        lost.push(t);
      }
    }
    // Neither renewed nor unknown (held, or left out of the answer): ask again soon.
    for (const t of sent.values()) {
      this.#retryLater(orgId, org, t, now);
    }
    if (org.leases.size === 0) {
      this.#dropOrg(orgId, org);
    }
    for (const t of lost) {
      try {
        t.onLeaseLost?.(t.lease);
      } catch (error) {
        console.warn("admission: onLeaseLost callback failed", error);
      }
    }
  }

  #renewFailed(orgId, batch, error) {
    const org = this.#orgs.get(orgId);
    if (org === undefined) {
      return;
    }
    const now = performance.now();
    for (const t of batch) {
      this.#retryLater(orgId, org, t, now);
    }
    console.warn(
      `admission: Renew of ${batch.length} lease(s) of org ${orgId} failed, will retry: ${error}`,
    );
  }

  #retryLater(orgId, org, t, now) {
    if (org.leases.get(t.lease.callId) === t) {
      t.inFlight = false;
      t.renewAt = now + Math.min(MAX_RETRY_MS, Math.max(MIN_INTERVAL_MS, t.ttl / 10));
      this.#wakeAt(orgId, org, t.renewAt);
    }
  }

  /** Makes the org's timer fire no later than `at` (a `performance.now()` value). */
  #wakeAt(orgId, org, at) {
    if (this.#closed || (org.timer !== undefined && org.timerAt <= at)) {
      return;
    }
    org.cancelTimer();
    org.timer = setTimeout(() => this.#renewDue(orgId), Math.max(0, at - performance.now()));
    org.timer.unref();
    org.timerAt = at;
  }

  #dropOrg(orgId, org) {
    org.cancelTimer();
    this.#orgs.delete(orgId);
  }
}
