package io.admission.server.loop;

import io.admission.server.engine.Results;

/**
 * One open WatchOrg stream, as the loop sees it. The loop calls {@link #status} on its own thread
 * at most 10 times a second per org with the latest status; the implementation must only keep it
 * and send it elsewhere (never block the loop): a slow reader drops intermediate states, never
 * the latest.
 */
public interface OrgWatcher {
  /** The org's status now, or the rejection (unknown org), which ends the stream. */
  void status(Results.StatusResult status);

  /** The server is shutting down. */
  void abort(String reason);
}
