// Certificates made for a test by openssl, never kept: a private CA and a server certificate for
// 127.0.0.1, as the server's own TLS tests make them.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes ca.pem, server.pem and server.key into `dir`. */
export function makeCertificates(dir) {
  const openssl = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Admission test CA");
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
    "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "server.ext");
}

/** An --auth file at `path`: each token's SHA-256 with its role. */
export function writeTokens(path, roles) {
  writeFileSync(path, Object.entries(roles).map(([token, role]) =>
    `${createHash("sha256").update(token).digest("hex")} ${role} ${role.replace(":", "-")}\n`).join(""));
}
