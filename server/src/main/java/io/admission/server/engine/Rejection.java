package io.admission.server.engine;

/**
 * A request the engine refused; nothing changed. Not an exception: bad input is expected, and
 * {@code grpc.StatusMapper} turns each kind into one gRPC status.
 *
 * @param field the request field at fault (for INVALID_ARGUMENT), or empty
 */
public record Rejection(Kind kind, String field, String message)
    implements Results.AcquireResult,
        Results.ReleaseResult,
        Results.RenewResult,
        Results.AdminResult,
        Results.WatchResult,
        Results.StatusResult {

  /** The classes of refusal, each one gRPC status code. */
  public enum Kind {
    INVALID_ARGUMENT,
    NOT_FOUND,
    ALREADY_EXISTS,
    FAILED_PRECONDITION,
    /** Over one of the server's bounds ({@link Engine.Bounds}); {@code field} names the bound. */
    RESOURCE_EXHAUSTED
  }

  static Rejection invalid(String field, String message) {
    return new Rejection(Kind.INVALID_ARGUMENT, field, message);
  }

  static Rejection unknownOrg(String orgId) {
    return new Rejection(Kind.NOT_FOUND, "org_id", "org " + orgId + " does not exist");
  }
}
