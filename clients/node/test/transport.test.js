// createAdmissionTransport against the real server started with --auth and TLS: the token and the CA.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AdmissionClient, createAdmissionTransport } from "@admission/client";
import { AdmissionService } from "@admission/client/v1/admission_service_pb.js";
import { CallType } from "@admission/client/v1/types_pb.js";
import { makeCertificates, writeTokens } from "./certificates.js";
import { startServer } from "./server.js";

const ADMIN = "admin-token-for-the-test";
const DIALER = "dialer-token-for-the-test";
let dir;
let ca;
let server;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "admission-tls-"));
  makeCertificates(dir);
  writeTokens(join(dir, "tokens"), { [ADMIN]: "admin", [DIALER]: "org:acme" });
  ca = join(dir, "ca.pem");
  server = await startServer({
    args: ["--auth", join(dir, "tokens"), "--tls-cert", join(dir, "server.pem"),
      "--tls-key", join(dir, "server.key")],
    token: ADMIN,
    caFile: ca,
  });
  for (const orgId of ["acme", "other"]) {
    await server.admin.putOrg({ org: { orgId, concurrencyLimit: 3 } });
  }
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Acquires and releases one call through AdmissionClient on a transport made with `options`. */
async function acquire(orgId, callId, options) {
  const admission = new AdmissionClient(createAdmissionTransport(server.address, options));
  try {
    const lease = await admission.acquire({ orgId, callId, callType: CallType.OUTBOUND });
    await admission.release(lease.orgId, lease.callId);
    return lease;
  } finally {
    admission.close();
  }
}

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ConnectError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test("the right token over TLS acquires", async () => {
  const lease = await acquire("acme", "c-right", { token: DIALER, caFile: ca });
  assert.equal(lease.callId, "c-right");
});

test("a wrong or missing token is Unauthenticated", async () => {
  await rejectsWith(acquire("acme", "c-wrong", { token: "not-a-token", caFile: ca }), Code.Unauthenticated);
  await rejectsWith(acquire("acme", "c-none", { caFile: ca }), Code.Unauthenticated);
});

test("a token outside its org is PermissionDenied", async () => {
  await rejectsWith(acquire("other", "c-other", { token: DIALER, caFile: ca }), Code.PermissionDenied);
});

test("plaintext to a TLS server does not connect", async () => {
  const stub = createClient(AdmissionService, createAdmissionTransport(server.address, { token: DIALER }));
  await assert.rejects(
    stub.acquire({ orgId: "acme", callId: "c-plain", callType: CallType.OUTBOUND }, { timeoutMs: 10_000 }),
    (error) => error instanceof ConnectError && error.code !== Code.Unauthenticated,
  );
});

test("a server with --auth and no TLS takes the token in plaintext", async () => {
  const plain = await startServer({ args: ["--auth", join(dir, "tokens")], token: ADMIN });
  try {
    await plain.admin.putOrg({ org: { orgId: "acme", concurrencyLimit: 1 } });
    const admission = new AdmissionClient(createAdmissionTransport(plain.address, { token: ADMIN }));
    try {
      const lease = await admission.acquire({ orgId: "acme", callId: "c-1", callType: CallType.OUTBOUND });
      assert.equal(lease.callId, "c-1");
      await admission.release("acme", "c-1");
    } finally {
      admission.close();
    }
    const wrong = createClient(AdmissionService, createAdmissionTransport(plain.address, { token: "wrong" }));
    await rejectsWith(wrong.acquire({ orgId: "acme", callId: "c-2", callType: CallType.OUTBOUND }),
      Code.Unauthenticated);
  } finally {
    await plain.stop();
  }
});
