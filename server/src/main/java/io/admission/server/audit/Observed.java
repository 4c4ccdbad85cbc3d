package io.admission.server.audit;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Event;

/**
 * What the loop saw, exactly as it saw it, on its way to the audit writer. Only immutable engine
 * values travel here (commands, results and events are records), so the writer thread may read
 * them without the loop; turning them into audit events happens there, not on the loop.
 */
sealed interface Observed {
  /** The loop's time of the turn. */
  long now();

  /** Who asked for the change, or caused it; empty for the server's own work. */
  String actor();

  /** A command and what the engine answered. */
  record Applied(Commands.Command<?> command, Object result, long now, String actor)
      implements Observed {
    Applied(Commands.Command<?> command, Object result, long now) {
      this(command, result, now, "");
    }
  }

  /** Something the engine emitted. */
  record Happened(Event event, long now, String actor) implements Observed {
    Happened(Event event, long now) {
      this(event, now, "");
    }
  }
}
