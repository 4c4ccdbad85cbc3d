package io.admission.server.engine;

import java.util.Comparator;
import java.util.TreeSet;

/**
 * The calls held on a full pool that one (agent, call type) reservation can also serve, oldest
 * first. Such a call is in the pool's {@link WaitQueue} at the same time, so this queue cannot use
 * the call's own links: it is an ordinary ordered set, filled only while the pair has reserved
 * slots (see {@link OrgState#setReserved}) and allocated only while it has calls — every agent
 * has four pairs, and most never queue anything.
 *
 * <p>Cost: offer, remove and oldest are O(log n).
 */
final class ReservedQueue implements Waiters {
  private static final Comparator<Call> BY_SEQ = Comparator.comparingLong(c -> c.seq);
  private TreeSet<Call> calls; // null while empty

  void offer(Call call) {
    if (calls == null) {
      calls = new TreeSet<>(BY_SEQ);
    }
    calls.add(call);
  }

  void remove(Call call) {
    if (calls != null && calls.remove(call) && calls.isEmpty()) {
      calls = null;
    }
  }

  void clear() {
    calls = null;
  }

  @Override
  public Call oldest() {
    return calls == null ? null : calls.first();
  }

  @Override
  public boolean isEmpty() {
    return calls == null;
  }

  @Override
  public int size() {
    return calls == null ? 0 : calls.size();
  }
}
