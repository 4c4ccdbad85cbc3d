// The client; the generated messages, enums and service are under "@admission/client/v1/*"
// (e.g. "@admission/client/v1/types_pb.js"), made by `make clients`.
export { AdmissionClient } from "./admission-client.js";
export {
  AdmissionCancelledError,
  AdmissionDeniedError,
  AdmissionError,
  AdmissionWaitExpiredError,
} from "./errors.js";
export { FINAL_ERRORS } from "./slot-wait.js";
export { createAdmissionTransport } from "./transport.js";
