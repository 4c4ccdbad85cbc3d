package io.admission.server.engine;

/** How a call ended; remembered with the time for {@link Engine#REMEMBER_ENDED_MILLIS}. */
public enum EndReason {
  /** A granted call was released. */
  RELEASED("released"),
  /** A granted call's lease was not renewed in time. */
  EXPIRED("expired (lease not renewed)"),
  /** A held call was released before dispatch. */
  CANCELLED("cancelled while held"),
  /** The call was denied by a daily cap. */
  DENIED("denied"),
  /** A held call's max_wait passed. */
  WAIT_EXPIRED("expired while held (max_wait passed)");

  private final String words;

  EndReason(String words) {
    this.words = words;
  }

  /** How the end reads in a sentence: "call c-1 was {words} at ...". */
  public String words() {
    return words;
  }
}
