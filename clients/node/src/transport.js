import { readFileSync } from "node:fs";
import { createGrpcTransport } from "@connectrpc/connect-node";

/**
 * @typedef {object} TransportOptions
 * @property {string} [token] sent as `authorization: Bearer <token>` on every call (a server
 *   started with `--auth`); a wrong or missing one ends calls with a `ConnectError` of code
 *   `Unauthenticated`, one used outside its role or org `PermissionDenied`
 * @property {string} [caFile] a PEM CA: connect over TLS, trusting the server's certificate if
 *   that CA signed it (a private CA); without it the connection is plaintext
 */

/**
 * A gRPC transport to the server at `address` (`host:port`) with what a server started with
 * `--auth` or TLS asks for, for `new AdmissionClient(transport)` or any generated service.
 *
 * @param {string} address
 * @param {TransportOptions} [options]
 * @returns {import("@connectrpc/connect").Transport}
 */
export function createAdmissionTransport(address, options = {}) {
  const { token, caFile } = options;
  const header = token === undefined ? undefined : `Bearer ${token}`;
  return createGrpcTransport({
    baseUrl: `${caFile === undefined ? "http" : "https"}://${address}`,
    nodeOptions: caFile === undefined ? undefined : { ca: readFileSync(caFile) },
    interceptors: header === undefined ? [] : [
      (next) => (request) => {
        request.header.set("authorization", header);
        return next(request);
      },
    ],
  });
}
