package io.admission.server.loop;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Event;

/**
 * Sees everything the loop does, for metrics and the audit log. Called on the loop thread: an
 * implementation must be cheap and must never block (hand slow work to its own thread).
 */
public interface LoopObserver {
  /** A command was applied at {@code now}; {@code result} is what the engine answered. */
  default void applied(Commands.Command<?> command, Object result, long now) {}

  /**
   * The same, naming who asked for the command ({@code actor}, see {@link
   * EventLoop#submit(Commands.Command, String, Reply)}; empty for the server's own work).
   */
  default void applied(Commands.Command<?> command, Object result, long now, String actor) {
    applied(command, result, now);
  }

  /** The engine emitted {@code event} (a dispatch, a changed hold, an ended wait or lease). */
  default void event(Event event, long now) {}

  /** The same, naming whose request caused it; empty when time did (an expiry, a window rolling). */
  default void event(Event event, long now, String actor) {
    event(event, now);
  }

  /** A turn ended: how many tasks it ran and how long it took, sync included. */
  default void turn(int tasks, long nanos) {}

  /**
   * On a replica of a cluster: one of this node's proposals (a turn's commands, or a tick) was
   * applied here, {@code nanos} after it was handed to the log — what a write's caller waits for.
   */
  default void committed(long nanos) {}
}
