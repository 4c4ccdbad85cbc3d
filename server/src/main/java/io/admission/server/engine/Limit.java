package io.admission.server.engine;

import java.util.List;

/**
 * One limit of an org, whole: the rule, what it counts, what a call held by it waits on, when
 * that wait can end by itself, what of it a snapshot keeps and what of it the org's status shows.
 * {@link Limits#ORDER} lists them; the engine, its snapshots and its status ask them in that order
 * and know none of them by name.
 *
 * <p>{@link #check} is pure: it reads the org's state and the call and changes nothing. Counting
 * happens in {@link #count}, for every limit, only after every check passed, so no call is ever
 * half-granted and a held or denied call costs nothing.
 *
 * <p>A limit keeps its own per-org counts in an {@link OrgSlot} of its class, writes and reads its
 * own keyed part of a snapshot ({@link #capture}, {@link #restore}) and adds its own part of the
 * org's status ({@link #status}). A new limit is therefore its class, its line in {@link
 * Limits#ORDER}, and, outside the engine, the mapping of its settings and of its status part to
 * and from the public proto, and its tests. What stays outside a limit, and why:
 *
 * <ul>
 *   <li>Its settings are fields of {@link OrgConfig} (and {@link OrgField}, for changing one at a
 *       time): an org's settings are one value, validated, journaled and compared whole, and the
 *       public proto names each field.
 *   <li>Why it holds or denies is a {@link HoldReason} or {@link DenialReason} value with {@link
 *       Results.Figures}: they reach clients as proto enum values and the edge puts each reason
 *       in its own sentence, so both name it. Figures are one flat record, kept with every ended
 *       call in a few bytes ({@link EndedCalls}) and in the journal; a limit whose figures need a
 *       field the record lacks adds it there.
 *   <li>Its status part is a public record implementing {@link StatusView.Part} (beside its
 *       settings type, as {@link CallingHours.Now}, or in {@link StatusView}): the edge maps it to
 *       its proto message, so it must be visible outside the engine, where limits are not.
 *   <li>Logins and numbers are shared by two limits each (concurrency and window, and a number's
 *       daily cap), so they stay maps of the org ({@link OrgState#logins}, {@link
 *       OrgState#numbers}), not slots of one limit.
 * </ul>
 */
interface Limit {
  /**
   * Its name in snapshots: the key of its {@link EngineSnapshot.LimitPart}. Never changed once a
   * snapshot may hold it.
   */
  String name();

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

  /**
   * A call it holds has joined the queue of its {@link #blocksOn} blocker; a limit whose held
   * call can also be served by something else queues it there too.
   */
  default void queuedAlso(OrgState org, Call call) {}

  /** A call it held leaves its blocker's queue: take it out of what {@link #queuedAlso} added. */
  default void unqueuedAlso(OrgState org, Call call) {}

  /** Adds its blockers that have waiters: a reconfiguration may have freed room in any. */
  default void blockersWithWaiters(OrgState org, List<Blocker> out) {}

  /** The org is deleted: cancel the timers it set for it. */
  default void forget(OrgState org, TimerQueue timers) {}

  /**
   * Its part of the org's snapshot, in any order (the snapshot sorts it by key): only what cannot
   * be rebuilt from the calls and the settings. Reads only.
   */
  default void capture(OrgState org, long now, List<EngineSnapshot.Entry> out) {}

  /**
   * Puts back what {@link #capture} wrote (nothing, for an org it kept nothing of), before the
   * calls are placed.
   */
  default void restore(OrgState org, List<EngineSnapshot.Entry> in) {}

  /** Adds its part of the org's status (none, for a limit with nothing to show). Reads only. */
  default void status(OrgState org, long now, List<StatusView.Part> out) {}
}
