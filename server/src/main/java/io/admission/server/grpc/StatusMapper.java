package io.admission.server.grpc;

import io.admission.server.api.Failures;
import io.admission.server.api.InvalidRequest;
import com.google.protobuf.Any;
import com.google.rpc.Code;
import io.admission.server.api.Statuses;
import io.admission.server.engine.Rejection;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.admission.server.loop.NotHere;
import java.io.IOException;

/** The one place where refusals and failures become gRPC statuses. */
final class StatusMapper {
  private StatusMapper() {}

  private static final System.Logger LOG = System.getLogger(StatusMapper.class.getName());

  static StatusRuntimeException invalid(InvalidRequest e) {
    return StatusProto.toStatusRuntimeException(Statuses.invalid(e));
  }

  static StatusRuntimeException invalid(String field, String message) {
    return StatusProto.toStatusRuntimeException(Statuses.invalid(field, message));
  }

  static StatusRuntimeException rejected(Rejection r) {
    return StatusProto.toStatusRuntimeException(Statuses.rejected(r));
  }

  /**
   * A failed command log means "try again"; anything else is a bug in the server, logged with its
   * id. Neither answer carries the exception's text: it may name files and classes.
   */
  static StatusRuntimeException failed(Throwable t) {
    if (t instanceof NotHere here) {
      return status(Code.UNAVAILABLE, here.getMessage(), null); // written for the caller
    }
    if (t instanceof IOException) {
      return status(Code.UNAVAILABLE, Failures.LOG_NOT_WRITTEN, null);
    }
    return status(Code.INTERNAL, Failures.internal("a gRPC request", t), null);
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

  /** The reason (a file, an I/O error) is logged, not told. */
  static StatusRuntimeException auditUnreadable(IOException e) {
    LOG.log(System.Logger.Level.WARNING, "ListEvents: the audit log could not be read", e);
    return status(Code.UNAVAILABLE, "the audit log could not be read; retry", null);
  }

  /** A request over the server's size bound, {@code maxBytes}. */
  static StatusRuntimeException tooLarge(int maxBytes) {
    return StatusProto.toStatusRuntimeException(Statuses.tooLarge(maxBytes));
  }

  static StatusRuntimeException busy() {
    return status(Code.RESOURCE_EXHAUSTED,
        "server busy: too many requests waiting for the admission loop; retry shortly", null);
  }

  private static StatusRuntimeException status(Code code, String message, Any details) {
    return StatusProto.toStatusRuntimeException(Statuses.of(code, message, details));
  }
}
