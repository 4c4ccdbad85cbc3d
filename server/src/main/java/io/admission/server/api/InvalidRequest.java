package io.admission.server.api;

/**
 * Bad input found while translating a request: names the field (a path such as {@code
 * org.daily_cap.ramp[1].through_day}) and says what is wrong. Thrown only inside the adapter and
 * turned into INVALID_ARGUMENT with google.rpc.BadRequest details by the gRPC edge; the
 * request never reaches the loop, so nothing changes.
 */
public final class InvalidRequest extends Exception {
  private static final long serialVersionUID = 1L;
  private final String field;

  public InvalidRequest(String field, String message) {
    super(message, null, false, false); // an answer, not a bug: no stack trace
    this.field = field;
  }

  /** The field at fault, as a path. */
  public String field() {
    return field;
  }

  /** The field at fault and what is wrong with it, as one line. */
  public String describe() {
    return field + ": " + getMessage();
  }
}
