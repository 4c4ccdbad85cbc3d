// AdmissionClient against the real server: every way an acquire can end, and renewal.
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  AdmissionCancelledError,
  AdmissionClient,
  AdmissionDeniedError,
  AdmissionWaitExpiredError,
} from "@admission/client";
import {
  AdmissionService,
  ReleaseEffect,
} from "@admission/client/v1/admission_service_pb.js";
import {
  CallType,
  DenialReason,
  HoldReason,
  SlotKind,
} from "@admission/client/v1/types_pb.js";
import { startProxy } from "./proxy.js";
import { startServer } from "./server.js";

const TIMEOUT_MS = 10_000; // every wait below ends far sooner unless something is broken
let server;
let stub; // AdmissionService without the client: another party, or the test's own checks
let admission;
let org;
let orgs = 0;

before(async () => {
  server = await startServer();
  stub = createClient(AdmissionService, server.transport);
});
after(() => server.stop());
beforeEach(() => {
  org = `node-${++orgs}`; // one org per test, so tests never share a pool
  admission = new AdmissionClient(server.transport);
});
afterEach(() => admission.close());

const putOrg = (concurrencyLimit, fields = {}) =>
  server.admin.putOrg({ org: { orgId: org, concurrencyLimit, ...fields } });
const request = (callId, fields = {}) => ({
  orgId: org,
  callId,
  callType: CallType.OUTBOUND,
  ...fields,
});

/** Fails unless `promise` settles within TIMEOUT_MS. */
function within(promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Whether `promise` is still pending after the event loop drained what is due. */
async function pending(promise) {
  const marker = Symbol("pending");
  const first = await Promise.race([promise.then(() => "settled", () => "settled"), sleep(50, marker)]);
  return first === marker;
}

/** call-1 takes the org's one slot; call-2 is held. Returns call-2's promise and its holds. */
async function holdCall2(fields = {}, options = {}) {
  await within(admission.acquire(request("call-1")));
  const holds = [];
  let heldNow;
  const held = new Promise((resolve) => (heldNow = resolve));
  const waiting = admission.acquire(request("call-2", fields), {
    ...options,
    onHeld: (hold) => {
      holds.push(hold);
      heldNow();
    },
  });
  await within(held);
  assert.ok(await pending(waiting));
  return { waiting, holds };
}

test("granted at once", async () => {
  await putOrg(1);

  const lease = await within(admission.acquire(request("call-1")));

  assert.deepEqual([lease.orgId, lease.callId], [org, "call-1"]);
  assert.equal(lease.slotKind, SlotKind.SHARED);
  assert.ok(lease.expiresAt);
  const released = await admission.release(org, "call-1");
  assert.equal(released.effect, ReleaseEffect.RELEASED);
});

test("held, then dispatched when the slot frees", async () => {
  await putOrg(1);
  const { waiting, holds } = await holdCall2();
  assert.equal(holds[0].reason, HoldReason.ORG_POOL_FULL);
  assert.equal(holds[0].position, 1);

  await admission.release(org, "call-1");

  const lease = await within(waiting);
  assert.equal(lease.callId, "call-2");
  assert.equal(holds.length, 1, "one hold, reported once");
  assert.equal((await admission.release(org, "call-2")).effect, ReleaseEffect.RELEASED);
});

test("denied at once by the daily cap", async () => {
  await putOrg(5, { dailyCap: { cap: 1 } });
  await within(admission.acquire(request("call-1")));

  const error = await within(admission.acquire(request("call-2"))).catch((e) => e);

  assert.ok(error instanceof AdmissionDeniedError, String(error));
  assert.equal(error.denial.reason, DenialReason.DAILY_CAP);
  assert.ok(error.denial.retryAt);
  assert.match(error.message, /^denied: /);
});

test("denied when a held call comes up past the daily cap", async () => {
  await putOrg(1, { dailyCap: { cap: 1 } });
  const { waiting } = await holdCall2();

  await admission.release(org, "call-1");

  const error = await within(waiting).catch((e) => e);
  assert.ok(error instanceof AdmissionDeniedError, String(error));
  assert.equal(error.denial.reason, DenialReason.DAILY_CAP);
});

test("wait expired after max_wait", async () => {
  await putOrg(1);
  const { waiting, holds } = await holdCall2({ maxWait: durationFromMs(300) });
  assert.ok(holds[0].waitDeadline);

  const error = await within(waiting).catch((e) => e);

  assert.ok(error instanceof AdmissionWaitExpiredError, String(error));
  assert.ok(error.expiry.expiredAt);
});

test("cancelled by this client's release, at once", async () => {
  await putOrg(1);
  const { waiting } = await holdCall2();
  const outcome = waiting.catch((e) => e);

  const released = admission.release(org, "call-2");

  const error = await Promise.race([outcome, sleep(0, "still waiting")]); // before any answer
  assert.ok(error instanceof AdmissionCancelledError, String(error));
  assert.match(error.cancellation.message, /released by this client/);
  assert.equal((await released).effect, ReleaseEffect.CANCELLED);
});

test("cancelled by a release elsewhere", async () => {
  await putOrg(1);
  const { waiting } = await holdCall2();

  await stub.release({ orgId: org, callId: "call-2" });

  const error = await within(waiting).catch((e) => e);
  assert.ok(error instanceof AdmissionCancelledError, String(error));
  assert.ok(error.cancellation.cancelledAt);
});

test("renewal keeps the lease past its ttl", async () => {
  await putOrg(2);
  await within(admission.acquire(request("renewed", { leaseTtl: durationFromMs(1000) })));
  // The same lease taken without the client: nothing renews it.
  await stub.acquire(request("not-renewed", { leaseTtl: durationFromMs(1000) }));

  await sleep(2500);

  const answer = await stub.renew({ orgId: org, callIds: ["renewed", "not-renewed"] });
  assert.deepEqual(answer.leases.map((lease) => lease.callId), ["renewed"]);
  assert.deepEqual(answer.unknownCallIds, ["not-renewed"]);
  assert.equal((await admission.release(org, "renewed")).effect, ReleaseEffect.RELEASED);
});

test("lease lost when ended elsewhere", async () => {
  await putOrg(1);
  let lostNow;
  const lost = new Promise((resolve) => (lostNow = resolve));
  await within(
    admission.acquire(request("call-1", { leaseTtl: durationFromMs(1000) }), {
      onLeaseLost: lostNow,
    }),
  );

  await stub.release({ orgId: org, callId: "call-1" });

  assert.equal((await within(lost)).callId, "call-1");
});

test("acquire fails with the server's error", async () => {
  const error = await within(admission.acquire(request("call-1"))).catch((e) => e); // no such org

  assert.ok(error instanceof ConnectError, String(error));
  assert.equal(error.code, Code.NotFound);
});

test("one waiting acquire per call", async () => {
  await putOrg(1);
  const { waiting } = await holdCall2();

  await assert.rejects(within(admission.acquire(request("call-2"))), /already being acquired/);
  assert.ok(await pending(waiting));
});

test("close rejects waiting acquires", async () => {
  await putOrg(1);
  const { waiting } = await holdCall2();

  admission.close();

  await assert.rejects(within(waiting), { name: "AbortError" });
});

test("an abort signal stops waiting but leaves the call held", async () => {
  await putOrg(1);
  const abort = new AbortController();
  const { waiting } = await holdCall2({}, { signal: abort.signal });

  abort.abort();

  await assert.rejects(within(waiting), { name: "AbortError" });
  const still = await stub.acquire(request("call-2")); // a retry returns the current state
  assert.ok(still.retry && still.decision.case === "hold", JSON.stringify(still.decision.case));
});

test("awaitDispatch of a call held elsewhere", async () => {
  await putOrg(1);
  await stub.acquire(request("call-1"));
  await stub.acquire(request("call-2"));

  const waiting = admission.awaitDispatch(org, "call-2");
  await stub.release({ orgId: org, callId: "call-1" });

  assert.equal((await within(waiting)).callId, "call-2");
});

test("a broken wait stream is reopened, and the dispatch still arrives", async () => {
  await putOrg(1);
  const proxy = await startProxy(Number(server.address.split(":")[1]));
  admission = new AdmissionClient(createGrpcTransport({ baseUrl: `http://${proxy.address}` }));
  try {
    const { waiting, holds } = await holdCall2();

    proxy.cut();
    await sleep(500); // the stream broke and was reopened: its first event repeats the hold
    assert.ok(await pending(waiting));
    await stub.release({ orgId: org, callId: "call-1" });

    assert.equal((await within(waiting)).callId, "call-2");
    assert.equal(holds.length, 1, "the repeated hold is not reported again");
  } finally {
    admission.close();
    await proxy.close();
  }
});
