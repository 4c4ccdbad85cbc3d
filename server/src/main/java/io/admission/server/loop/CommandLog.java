package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import java.io.IOException;

/**
 * Where the loop hands every state-changing command, with the time it stamped on it, before the
 * command's answer may leave: a local journal on one node, a replicated log later. Called only
 * from the loop thread.
 */
public interface CommandLog extends AutoCloseable {
  /** Records a command; not yet durable. */
  void append(Commands.Command<?> command, long stampedAt) throws IOException;

  /** Makes everything appended durable (one group commit per loop batch). */
  void sync() throws IOException;

  /** After a durable turn: a chance to snapshot {@code engine} (on the loop thread). */
  default void checkpoint(Engine engine, long now) throws IOException {}

  @Override
  default void close() throws IOException {}

  /** {@code --in-memory}: nothing is kept, a restart starts empty. */
  CommandLog NONE =
      new CommandLog() {
        @Override
        public void append(Commands.Command<?> command, long stampedAt) {}

        @Override
        public void sync() {}
      };
}
