package io.admission.server.loop;

import io.admission.server.engine.Event;
import io.admission.server.engine.Results;

/**
 * One open WaitForSlot stream, as the loop sees it. The gRPC adapter implements it; the loop calls
 * it only from its own thread, after the batch that produced the state is durable.
 */
public interface Watcher {
  /** The call's state when the stream opened (or the rejection, which ends the stream). */
  void first(Results.WatchResult state);

  /** Something happened to the call; terminal events end the stream. */
  void event(Event event);

  /** The server is shutting down or the loop failed: end the stream with this error text. */
  void abort(String reason);
}
