package io.admission.server.grpc;

import io.admission.server.api.InvalidRequest;
import com.google.protobuf.Any;
import com.google.rpc.Code;
import io.admission.server.api.Statuses;
import io.admission.server.engine.Rejection;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;

/** The one place where refusals and failures become gRPC statuses. */
final class StatusMapper {
  private StatusMapper() {}

  static StatusRuntimeException invalid(InvalidRequest e) {
    return StatusProto.toStatusRuntimeException(Statuses.invalid(e));
  }

  static StatusRuntimeException invalid(String field, String message) {
    return StatusProto.toStatusRuntimeException(Statuses.invalid(field, message));
  }

  static StatusRuntimeException rejected(Rejection r) {
    return StatusProto.toStatusRuntimeException(Statuses.rejected(r));
  }

  /** A failed command log means "try again"; anything else is a bug in the server. */
  static StatusRuntimeException failed(Throwable t) {
    if (t instanceof IOException) {
      return status(Code.UNAVAILABLE, "the command log could not be written (" + t.getMessage()
          + "); nothing was answered as done, retry", null);
    }
    return status(Code.INTERNAL, "internal error: " + t, null);
  }

  static StatusRuntimeException notFound(String message) {
    return status(Code.NOT_FOUND, message, null);
  }

  static StatusRuntimeException unimplemented(String message) {
    return status(Code.UNIMPLEMENTED, message, null);
  }

  static StatusRuntimeException noAuditLog() {
    return status(Code.UNIMPLEMENTED, "this server keeps no audit log", null);
  }

  static StatusRuntimeException auditUnreadable(IOException e) {
    return status(Code.UNAVAILABLE, "the audit log could not be read: " + e.getMessage(), null);
  }

  static StatusRuntimeException busy() {
    return status(Code.RESOURCE_EXHAUSTED,
        "server busy: too many requests waiting for the admission loop; retry shortly", null);
  }

  private static StatusRuntimeException status(Code code, String message, Any details) {
    return StatusProto.toStatusRuntimeException(Statuses.of(code, message, details));
  }
}
