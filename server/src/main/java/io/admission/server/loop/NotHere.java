package io.admission.server.loop;

import java.io.IOException;

/**
 * A request this node cannot do now, but another node of the cluster (or this one, a moment later)
 * can: no leader, no quorum, the node catching up. Unlike other failures its message is written
 * for the caller — it names no file, class or exception — and is shown as it is (UNAVAILABLE).
 */
public final class NotHere extends IOException {
  private static final long serialVersionUID = 1L;

  public NotHere(String sentence) {
    super(sentence);
  }
}
