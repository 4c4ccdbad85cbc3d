package io.admission.server.engine;

import java.util.TreeMap;

/**
 * Held calls waiting on one thing (a login, a number, an (agent, call type) reservation, or the
 * shared pool), oldest first by arrival sequence. A call re-checked after waiting elsewhere keeps
 * its original sequence, so it goes back in at its place, not at the tail.
 *
 * <p>Cost: offer, remove and oldest are O(log n).
 */
final class WaitQueue {
  private final TreeMap<Long, Call> bySeq = new TreeMap<>();

  void offer(Call call) {
    bySeq.put(call.seq, call);
  }

  void remove(Call call) {
    bySeq.remove(call.seq);
  }

  /** The oldest waiter, or null. */
  Call oldest() {
    var first = bySeq.firstEntry();
    return first == null ? null : first.getValue();
  }

  boolean isEmpty() {
    return bySeq.isEmpty();
  }

  int size() {
    return bySeq.size();
  }

  Iterable<Call> inOrder() {
    return bySeq.values();
  }
}
