package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;

/**
 * Applies a logged command to the engine. The server always uses {@link #ENGINE}; tests pass one
 * that throws for a chosen command, to check what the loop and the journal do when applying a
 * logged command fails (a bug: the loop stops applying, a restart names the record).
 */
public interface Applier {
  <R> R apply(Commands.Command<R> command, Engine engine, long now);

  /**
   * The sentence that names a logged command that threw: the same words when it happens (logged,
   * the turn answered UNAVAILABLE) and at every later start that replays it.
   *
   * @param where the record's file and byte offset
   */
  static String failure(long entry, String where, Commands.Command<?> command, Throwable cause) {
    return "applying journal entry " + entry + " (" + where + ": " + command + ") threw " + cause
        + ": a bug in the server, which stopped applying commands there";
  }

  Applier ENGINE = new Applier() {
    @Override
    public <R> R apply(Commands.Command<R> command, Engine engine, long now) {
      return command.applyTo(engine, now);
    }
  };
}
