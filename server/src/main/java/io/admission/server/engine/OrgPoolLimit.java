package io.admission.server.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The org's concurrency: the agent's own reservation for this call type first, else the shared
 * pool; reserved slots of other agents are never used, even idle. Holds.
 */
final class OrgPoolLimit implements Limit {
  static final OrgPoolLimit INSTANCE = new OrgPoolLimit();

  private OrgPoolLimit() {}

  @Override
  public String name() {
    return "pool";
  }

  @Override
  public Verdict check(OrgState org, Call call, long now) {
    Pool pool = org.pool;
    Pool.Pair pair = call.pair;
    if (pool.fits(pair)) {
      return Verdict.PASS;
    }
    return new Verdict.Hold(
        HoldReason.ORG_POOL_FULL,
        pool,
        -1,
        Results.Figures.pool(org.config.orgId(), pool.sharedCapacity(), pool.limit,
            pair.agent.id, pair.type, pair.reserved));
  }

  @Override
  public void count(OrgState org, Call call, long now) {
    call.slotKind = org.pool.admit(call.pair);
  }

  @Override
  public void free(OrgState org, Call call, List<Blocker> freed) {
    org.pool.release(call.pair);
    freed.add(org.pool);
    freed.add(call.pair);
  }

  @Override
  public void restoreRunning(OrgState org, Call call) {
    org.pool.restoreRunning(call.pair);
  }

  @Override
  public List<HoldReason> holdReasons() {
    return List.of(HoldReason.ORG_POOL_FULL);
  }

  @Override
  public Blocker blocksOn(OrgState org, Call call) {
    return org.pool;
  }

  /** A call held by a full pool is also served by its agent's reserved slots, if it has any. */
  @Override
  public void queuedAlso(OrgState org, Call call) {
    if (call.pair.reserved > 0) {
      call.pair.waiters.offer(call);
    }
  }

  @Override
  public void unqueuedAlso(OrgState org, Call call) {
    call.pair.waiters.remove(call);
  }

  @Override
  public void blockersWithWaiters(OrgState org, List<Blocker> out) {
    out.add(org.pool);
    for (Pool.Agent agent : org.pool.agents.values()) {
      for (Pool.Pair pair : agent.byType) {
        if (!pair.waiters.isEmpty()) {
          out.add(pair);
        }
      }
    }
  }

  /** Its limit and use, and each agent with reserved slots or running calls, by id. */
  @Override
  public void status(OrgState org, long now, List<StatusView.Part> out) {
    Pool pool = org.pool;
    out.add(new StatusView.Pool(
        pool.limit, pool.inUse, pool.sharedCapacity(), pool.sharedInUse, agents(pool)));
  }

  private static List<StatusView.Agent> agents(Pool pool) {
    List<StatusView.Agent> out = new ArrayList<>();
    for (Pool.Agent agent : pool.agents.values()) {
      if (agent.id.isEmpty()) {
        continue; // calls that name no agent use the shared pool only
      }
      List<StatusView.AgentType> types = new ArrayList<>();
      int usingReserved = 0;
      int usingShared = 0;
      for (Pool.Pair p : agent.byType) {
        if (p.reserved > 0 || p.active > 0) {
          types.add(new StatusView.AgentType(
              p.type, p.reserved, p.active, p.usingReserved(), p.usingShared()));
          usingReserved += p.usingReserved();
          usingShared += p.usingShared();
        }
      }
      if (!types.isEmpty()) {
        out.add(new StatusView.Agent(agent.id, types, usingReserved, usingShared, agent.reservedTotal()));
      }
    }
    out.sort(Comparator.comparing(StatusView.Agent::agentId));
    return out;
  }
}
