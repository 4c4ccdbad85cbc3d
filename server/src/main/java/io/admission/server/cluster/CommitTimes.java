package io.admission.server.cluster;

/**
 * When each of this node's proposals was handed to Ratis, until the entry comes back applied:
 * the commit latency this node's callers wait for. Proposals are numbered in the order the loop
 * makes them and Ratis' ordered client commits them in that order, so the times sit in a ring in
 * that order too: {@link #sent} appends, {@link #applied} drops the proposals before the one
 * applied (refused, never committed) and takes its own. O(1) amortised, no allocation; a ring
 * that fills (a node cut off while the loop still proposes) forgets its oldest times.
 *
 * <p>Owned by the loop thread: it proposes and it applies.
 */
final class CommitTimes {
  private final long[] proposals;
  private final long[] sentAt;
  private int head;
  private int size;

  CommitTimes(int capacity) {
    proposals = new long[capacity];
    sentAt = new long[capacity];
  }

  /** Proposal {@code proposal} was handed to Ratis at {@code nanos} ({@link System#nanoTime}). */
  void sent(long proposal, long nanos) {
    if (size == proposals.length) {
      head = (head + 1) % proposals.length; // full: forget the oldest
      size--;
    }
    int tail = (head + size) % proposals.length;
    proposals[tail] = proposal;
    sentAt[tail] = nanos;
    size++;
  }

  /**
   * This node's proposal {@code proposal} was applied at {@code nanos}: how long it took since it
   * was sent, or -1 when its time is not known (sent before a restart, or forgotten).
   */
  long applied(long proposal, long nanos) {
    while (size > 0 && proposals[head] < proposal) {
      drop();
    }
    if (size == 0 || proposals[head] != proposal) {
      return -1;
    }
    long took = nanos - sentAt[head];
    drop();
    return took;
  }

  /** Proposals whose entries have not come back yet (for tests). */
  int pending() {
    return size;
  }

  private void drop() {
    head = (head + 1) % proposals.length;
    size--;
  }
}
