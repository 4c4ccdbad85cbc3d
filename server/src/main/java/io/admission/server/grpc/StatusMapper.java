package io.admission.server.grpc;

import io.admission.server.api.InvalidRequest;
import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import io.admission.server.engine.Rejection;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;

/** The one place where refusals and failures become gRPC statuses. */
final class StatusMapper {
  private StatusMapper() {}

  static StatusRuntimeException invalid(InvalidRequest e) {
    return invalid(e.field(), e.getMessage());
  }

  static StatusRuntimeException invalid(String field, String message) {
    BadRequest details = BadRequest.newBuilder()
        .addFieldViolations(
            BadRequest.FieldViolation.newBuilder().setField(field).setDescription(message))
        .build();
    return status(Code.INVALID_ARGUMENT, field + ": " + message, Any.pack(details));
  }

  static StatusRuntimeException rejected(Rejection r) {
    return switch (r.kind()) {
      case INVALID_ARGUMENT -> invalid(r.field(), r.message());
      case NOT_FOUND -> status(Code.NOT_FOUND, r.message(), null);
      case ALREADY_EXISTS -> status(Code.ALREADY_EXISTS, r.message(), null);
      case FAILED_PRECONDITION -> status(
          Code.FAILED_PRECONDITION,
          r.message(),
          Any.pack(PreconditionFailure.newBuilder()
              .addViolations(PreconditionFailure.Violation.newBuilder()
                  .setType("ADMISSION")
                  .setSubject(r.field())
                  .setDescription(r.message()))
              .build()));
      case RESOURCE_EXHAUSTED -> status(
          Code.RESOURCE_EXHAUSTED,
          r.message() + " (server bound --" + r.field() + ")",
          Any.pack(QuotaFailure.newBuilder()
              .addViolations(QuotaFailure.Violation.newBuilder()
                  .setSubject("--" + r.field())
                  .setDescription(r.message()))
              .build()));
    };
  }

  /** A failed command log means "try again"; anything else is a bug in the server. */
  static StatusRuntimeException failed(Throwable t) {
    if (t instanceof IOException) {
      return status(Code.UNAVAILABLE, "the command log could not be written (" + t.getMessage()
          + "); nothing was answered as done, retry", null);
    }
    return status(Code.INTERNAL, "internal error: " + t, null);
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
    com.google.rpc.Status.Builder s =
        com.google.rpc.Status.newBuilder().setCode(code.getNumber()).setMessage(message);
    if (details != null) {
      s.addDetails(details);
    }
    return StatusProto.toStatusRuntimeException(s.build());
  }
}
