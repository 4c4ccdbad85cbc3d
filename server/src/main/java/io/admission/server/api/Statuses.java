package io.admission.server.api;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.QuotaFailure;
import com.google.rpc.Status;
import io.admission.server.engine.Rejection;
import java.util.List;

/**
 * Refusals as {@code google.rpc.Status}, the one shape both edges answer with: gRPC sends it as
 * the call's status (details in the trailers), the web API as its JSON body. Bad input carries a
 * {@link BadRequest} naming the field, a refused precondition a {@link PreconditionFailure}.
 */
public final class Statuses {
  private Statuses() {}

  /** The detail types a status may carry, for printing them as JSON. */
  public static final List<Descriptor> DETAIL_TYPES =
      List.of(BadRequest.getDescriptor(), PreconditionFailure.getDescriptor(),
          QuotaFailure.getDescriptor());

  public static Status invalid(InvalidRequest e) {
    return invalid(e.field(), e.getMessage());
  }

  public static Status invalid(String field, String message) {
    BadRequest details = BadRequest.newBuilder()
        .addFieldViolations(
            BadRequest.FieldViolation.newBuilder().setField(field).setDescription(message))
        .build();
    return of(Code.INVALID_ARGUMENT, field + ": " + message, Any.pack(details));
  }

  public static Status rejected(Rejection r) {
    String message = Refusals.text(r);
    return switch (r.kind()) {
      case INVALID_ARGUMENT -> invalid(r.field(), message);
      case NOT_FOUND -> of(Code.NOT_FOUND, message, null);
      case ALREADY_EXISTS -> of(Code.ALREADY_EXISTS, message, null);
      case FAILED_PRECONDITION -> of(
          Code.FAILED_PRECONDITION,
          message,
          Any.pack(PreconditionFailure.newBuilder()
              .addViolations(PreconditionFailure.Violation.newBuilder()
                  .setType("ADMISSION")
                  .setSubject(r.field())
                  .setDescription(message))
              .build()));
      // A server bound: the refusal names its flag, for the operator who may raise it.
      case RESOURCE_EXHAUSTED -> of(
          Code.RESOURCE_EXHAUSTED,
          message + " (server bound --" + r.field() + ")",
          Any.pack(QuotaFailure.newBuilder()
              .addViolations(QuotaFailure.Violation.newBuilder()
                  .setSubject("--" + r.field())
                  .setDescription(message))
              .build()));
    };
  }

  /** The flag that bounds a request's size, as refusals name it. */
  public static final String MESSAGE_BOUND_FLAG = "--max-message-bytes";

  /**
   * A request (a gRPC message, a web API body) larger than the server's bound: named with its
   * flag and value, for the operator who may raise it, as the other bounds are.
   */
  public static Status tooLarge(int maxBytes) {
    String message = "the request is larger than " + maxBytes + " bytes";
    return of(Code.RESOURCE_EXHAUSTED, message + " (server bound " + MESSAGE_BOUND_FLAG + ")",
        Any.pack(QuotaFailure.newBuilder()
            .addViolations(QuotaFailure.Violation.newBuilder()
                .setSubject(MESSAGE_BOUND_FLAG)
                .setDescription(message))
            .build()));
  }

  /** {@code code} and {@code message}, with {@code details} when not null. */
  public static Status of(Code code, String message, Any details) {
    Status.Builder s = Status.newBuilder().setCode(code.getNumber()).setMessage(message);
    if (details != null) {
      s.addDetails(details);
    }
    return s.build();
  }
}
