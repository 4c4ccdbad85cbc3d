// README's "From Node" example, as written, against a fresh server with the org walk.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AdmissionService } from "@admission/client/v1/admission_service_pb.js";
import { CallType } from "@admission/client/v1/types_pb.js";
import { startServer } from "./server.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const README = fileURLToPath(new URL("../../../README.md", import.meta.url));

/** The fenced `language` code between <!-- marker --> and <!-- /marker --> in README.md. */
function readmeBlock(marker, language) {
  const readme = readFileSync(README, "utf8");
  const section = new RegExp(`<!-- ${marker} -->([\\s\\S]*?)<!-- /${marker} -->`).exec(readme);
  assert.ok(section, `README.md has no <!-- ${marker} --> section`);
  const code = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(section[1]);
  assert.ok(code, `README.md's ${marker} section has no ${language} block`);
  return code[1];
}

let server;
before(async () => {
  server = await startServer();
  await server.admin.putOrg({ org: { orgId: "walk", concurrencyLimit: 3 } });
});
after(() => server.stop());

test("the Node example acquires and releases", async () => {
  const code = readmeBlock("node-client", "js").replaceAll("127.0.0.1:50051", server.address);

  // Run as a module of the package (stdin, from its folder): "@admission/client" resolves to it.
  const stdout = await new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ["--input-type=module"],
      { cwd: PACKAGE_DIR, timeout: 60_000 },
      (error, out, err) => (error ? reject(new Error(`${error.message}\n${out}${err}`)) : resolve(out)),
    );
    child.stdin.end(code);
  });

  assert.match(stdout, /^granted node-1 until \d{4}-\d\d-\d\dT/);
  // Granted, then ended: a retry of the same Acquire is refused instead of granted again.
  const retry = await createClient(AdmissionService, server.transport)
    .acquire({ orgId: "walk", callId: "node-1", callType: CallType.OUTBOUND })
    .catch((e) => e);
  assert.ok(retry instanceof ConnectError, `a retry answered outcome ${retry.outcome}`);
  assert.equal(retry.code, Code.FailedPrecondition);
});
