// The real Admission server for the tests: the jar, started in memory on a free port.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createAdmissionTransport } from "../src/transport.js";
import { AdmissionAdminService } from "../gen/admission/v1/admin_service_pb.js";

const JAR =
  process.env.ADMISSION_SERVER_JAR ??
  fileURLToPath(new URL("../../../server/target/admission-server.jar", import.meta.url));
const LISTENING = /listening on .*:(\d+)$/m;

/**
 * Starts `java -jar admission-server.jar --listen 127.0.0.1:0 --in-memory` (and `args`) and reads
 * the port it picked from its "listening on" line. Its own transport, for setting up, carries
 * `token` and trusts `caFile` (createAdmissionTransport).
 */
export async function startServer({ args = [], token, caFile } = {}) {
  if (!existsSync(JAR)) {
    throw new Error(`${JAR} is missing: build it with mvn -B -q package -DskipTests`);
  }
  const process_ = spawn(
    "java",
    ["-Xmx256m", "-jar", JAR, "--listen", "127.0.0.1:0", "--in-memory", ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const port = await new Promise((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`the server did not start:\n${log}`)), 30_000);
    const read = (chunk) => {
      log += chunk;
      const match = LISTENING.exec(log);
      if (match) {
        clearTimeout(timeout);
        resolve(Number(match[1]));
      }
    };
    process_.stdout.on("data", read);
    process_.stderr.on("data", read);
    process_.on("exit", (code) => {
      clearTimeout(timeout);
      reject(new Error(`the server exited (${code}):\n${log}`));
    });
  });
  const address = `127.0.0.1:${port}`;
  const transport = createAdmissionTransport(address, { token, caFile });
  return {
    address,
    transport,
    admin: createClient(AdmissionAdminService, transport),
    log: () => log,
    async stop() {
      const exited = new Promise((resolve) => process_.once("exit", resolve));
      process_.kill();
      await exited;
    },
  };
}
