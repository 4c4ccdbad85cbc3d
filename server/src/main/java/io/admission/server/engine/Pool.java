package io.admission.server.engine;

import java.util.HashMap;
import java.util.Map;

/**
 * The org's concurrency pool: reserved slots per (agent, call type), and the shared remainder
 * (limit − Σ reservations) that any agent may use.
 *
 * <p>Accounting is by count, not by slot tag: an agent running n calls of a type with r reserved
 * uses min(n, r) reserved and max(0, n − r) shared slots, so when one of its calls ends a shared
 * slot frees first if it was using any. All counters are kept incrementally: every operation is
 * O(1) apart from the agent lookup.
 *
 * <p>The pool itself is the {@link Blocker} for calls held with ORG_POOL_FULL: it has room when a
 * shared slot is free. Each {@link Pair} with reserved slots is the blocker for the same calls
 * through them; such a held pool call waits in both queues and leaves both when dispatched.
 */
final class Pool implements Blocker {
  /** One agent's reservation and running calls for one call type. */
  static final class Pair implements Blocker {
    final Agent agent;
    final CallType type;
    int reserved;
    int active;
    /** Held and running calls of this pair: while any lives, the pair must not be forgotten. */
    int live;
    /** Its pool-full waiters, while it has reserved slots to serve them. */
    final ReservedQueue waiters = new ReservedQueue();

    Pair(Agent agent, CallType type) {
      this.agent = agent;
      this.type = type;
    }

    int usingReserved() {
      return Math.min(active, reserved);
    }

    int usingShared() {
      return Math.max(0, active - reserved);
    }

    @Override
    public ReservedQueue waiters() {
      return waiters;
    }

    @Override
    public boolean hasRoom(OrgState org, long now) {
      return active < reserved;
    }
  }

  /** An agent's four pairs, one per call type. The agent "" stands for calls that name none. */
  static final class Agent {
    final String id;
    final Pair[] byType = new Pair[CallType.ALL.length];

    Agent(String id) {
      this.id = id;
      for (CallType t : CallType.ALL) {
        byType[t.ordinal()] = new Pair(this, t);
      }
    }

    Pair pair(CallType type) {
      return byType[type.ordinal()];
    }

    int reservedTotal() {
      int sum = 0;
      for (Pair p : byType) {
        sum += p.reserved;
      }
      return sum;
    }

    boolean idle() {
      for (Pair p : byType) {
        if (p.reserved != 0 || p.live != 0) {
          return false;
        }
      }
      return true;
    }
  }

  int limit;
  int reservedTotal;
  int inUse;
  int sharedInUse;
  final WaitQueue waiters = new WaitQueue();
  /** Agents with a reservation, a running call or a waiter; dropped when idle again. */
  final Map<String, Agent> agents = new HashMap<>();

  Pool(int limit) {
    this.limit = limit;
  }

  int sharedCapacity() {
    return limit - reservedTotal;
  }

  /** Shared slots free now; negative just after the limit or shared capacity shrank. */
  int sharedFree() {
    return sharedCapacity() - sharedInUse;
  }

  Pair pair(String agentId, CallType type) {
    return agents.computeIfAbsent(agentId, Agent::new).pair(type);
  }

  /** Drops an agent's entry once it has nothing to remember. */
  void forgetIfIdle(Agent agent) {
    if (agent.idle()) {
      agents.remove(agent.id);
    }
  }

  /** Whether a call of {@code pair} fits: its own reservation first, else a shared slot. */
  boolean fits(Pair pair) {
    return pair.active < pair.reserved || sharedFree() > 0;
  }

  /** Takes a slot for a call of {@code pair}; only after {@link #fits}. */
  SlotKind admit(Pair pair) {
    SlotKind kind = pair.active < pair.reserved ? SlotKind.RESERVED : SlotKind.SHARED;
    if (kind == SlotKind.SHARED) {
      sharedInUse++;
    }
    pair.active++;
    inUse++;
    return kind;
  }

  /** Frees a slot of {@code pair}: a shared one first if the pair was using any. */
  void release(Pair pair) {
    if (pair.active > pair.reserved) {
      sharedInUse--;
    }
    pair.active--;
    inUse--;
  }

  /** Snapshot restore: counts a running call of {@code pair} again. */
  void restoreRunning(Pair pair) {
    sharedInUse -= pair.usingShared();
    pair.active++;
    inUse++;
    sharedInUse += pair.usingShared();
  }

  /** Changes one reservation; the caller has checked the new total against the limit. */
  void setReserved(Pair pair, int slots) {
    sharedInUse -= pair.usingShared();
    reservedTotal += slots - pair.reserved;
    pair.reserved = slots;
    sharedInUse += pair.usingShared();
  }

  @Override
  public WaitQueue waiters() {
    return waiters;
  }

  @Override
  public boolean hasRoom(OrgState org, long now) {
    return sharedFree() > 0;
  }
}
