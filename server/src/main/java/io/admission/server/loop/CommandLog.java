package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import java.io.IOException;

/**
 * Where the loop hands every state-changing command that passed validation, with the time it
 * stamped on it, before applying it: a local journal on one node, a replicated log later. The
 * loop appends a turn's commands, commits them without waiting, and sends the turn's answers only
 * once {@link #durable()} has passed them; meanwhile it goes on with the next turn, so the log's
 * write and sync overlap the loop's work. Called from the loop thread, except {@link #durable()}
 * and {@link #failure()}, which any thread may read.
 */
public interface CommandLog extends AutoCloseable {
  /** Records a command; not yet durable. Returns its entry number. */
  long append(Commands.Command<?> command, long stampedAt) throws IOException;

  /**
   * Takes back {@code entry}, the last one appended and not yet committed: the engine refused its
   * command, which changed nothing, so the log need not keep it.
   */
  void retract(long entry);

  /**
   * Hands over everything appended so far to be made durable, without waiting for it (one group
   * commit per turn). Returns the number of entries appended: what the turn waits for.
   */
  long commit() throws IOException;

  /** How many entries are durable. */
  long durable();

  /** Why the log stopped making entries durable, or null while it works. */
  IOException failure();

  /** Runs {@code wake} (on the log's own thread) each time {@link #durable()} moves or the log fails. */
  void onProgress(Runnable wake);

  /** Where {@code entry}, the last one appended, is kept: for messages that name a record. */
  String where(long entry);

  /** After a turn: a chance to snapshot {@code engine} (on the loop thread). */
  default void checkpoint(Engine engine, long now) throws IOException {}

  @Override
  default void close() throws IOException {}

  /** {@code --in-memory}: nothing is kept, a restart starts empty; everything is "durable" at once. */
  CommandLog NONE =
      new CommandLog() {
        @Override
        public long append(Commands.Command<?> command, long stampedAt) {
          return 0;
        }

        @Override
        public void retract(long entry) {}

        @Override
        public long commit() {
          return 0;
        }

        @Override
        public long durable() {
          return Long.MAX_VALUE;
        }

        @Override
        public IOException failure() {
          return null;
        }

        @Override
        public void onProgress(Runnable wake) {}

        @Override
        public String where(long entry) {
          return "in memory, not journaled";
        }
      };
}
