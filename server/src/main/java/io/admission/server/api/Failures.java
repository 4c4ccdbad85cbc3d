package io.admission.server.api;

import java.lang.System.Logger.Level;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a client is told when the server fails, as opposed to when the request is refused: never
 * the exception's text, which may name classes, files and the server's insides. A bug is logged
 * here with its stack trace under a short random id, and the client gets a fixed sentence with
 * that id, which is all an operator needs to find the log line. Refusals (bad fields, the engine's
 * rejections) keep their own sentences; they are answers, not failures.
 */
public final class Failures {
  private Failures() {}

  private static final System.Logger LOG = System.getLogger(Failures.class.getName());

  /**
   * A failed command log: the loop has logged why (it halts on the first failure), so this only
   * says what it means for the request.
   */
  public static final String LOG_NOT_WRITTEN =
      "the command log could not be written; nothing was answered as done, retry";

  /** Logs {@code t} (a bug) under a new id, saying {@code where} it happened; returns the sentence. */
  public static String internal(String where, Throwable t) {
    String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    LOG.log(Level.ERROR, "internal error " + id + " in " + where, t);
    return sentence(id);
  }

  /** The client's sentence for the failure logged as {@code id}. */
  static String sentence(String id) {
    return "internal error; the server logged it as " + id;
  }
}
