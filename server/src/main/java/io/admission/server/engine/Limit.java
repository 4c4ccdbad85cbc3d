package io.admission.server.engine;

import java.util.List;

/**
 * One limit of an org, whole: the rule, what it counts, what a call held by it waits on, when
 * that wait can end by itself, and what of it a snapshot keeps. {@link Limits#ORDER} lists them;
 * the engine asks them in that order and knows none of them by name.
 *
 * <p>{@link #check} is pure: it reads the org's state and the call and changes nothing. Counting
 * happens in {@link #count}, for every limit, only after every check passed, so no call is ever
 * half-granted and a held or denied call costs nothing.
 */
interface Limit {
  /** Pass, hold the call on a blocker (with its ready time, if the wait ends by itself), or deny. */
  Verdict check(OrgState org, Call call, long now);

  /** The call was granted: count it. */
  default void count(OrgState org, Call call, long now) {}

  /** A granted call ended: give back what it took, and add what may have room now to {@code freed}. */
  default void free(OrgState org, Call call, List<Blocker> freed) {}

  /** Snapshot restore: a running call counted again as running (its starts come with the parts). */
  default void restoreRunning(OrgState org, Call call) {}

  /** The hold reasons its {@link #check} gives; none for a limit that only denies. */
  default List<HoldReason> holdReasons() {
    return List.of();
  }

  /** The blocker a call held by this limit waits on. */
  default Blocker blocksOn(OrgState org, Call call) {
    throw new IllegalStateException(getClass().getSimpleName() + " holds no call");
  }

  /** Adds its blockers that have waiters: a reconfiguration may have freed room in any. */
  default void blockersWithWaiters(OrgState org, List<Blocker> out) {}

  /** The org is deleted: cancel the timers it set for it. */
  default void forget(OrgState org, TimerQueue timers) {}

  /** Its part of the org's snapshot: only what cannot be rebuilt from the calls. */
  default void capture(OrgState org, long now, Snapshots.Parts out) {}

  /** Puts its part of a snapshot back, before the calls are placed. */
  default void restore(OrgState org, EngineSnapshot.Org in) {}
}
