package io.admission.server.engine;

import java.util.List;

/**
 * The org's concurrency: the agent's own reservation for this call type first, else the shared
 * pool; reserved slots of other agents are never used, even idle. Holds.
 */
final class OrgPoolLimit implements Limit {
  static final OrgPoolLimit INSTANCE = new OrgPoolLimit();

  private OrgPoolLimit() {}

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
}
