package io.admission.server.engine;

/**
 * Something a held call can wait for — a login, a number, one agent's reservation for a call
 * type, or the shared pool — with the queue of calls waiting for it.
 *
 * <p>Dispatch asks only the blockers that a change freed: when one has room, its oldest waiter is
 * re-checked from the first rule. That keeps dispatch FIFO among the calls the freed capacity can
 * serve, and a call blocked by its own login never holds back another login's call.
 */
interface Blocker {
  Waiters waiters();

  /** Whether this blocker would let one more call through now (for any of its waiters). */
  boolean hasRoom(OrgState org, long now);

  /**
   * Whether room comes back with time, not only when a call ends: then a change that leaves it
   * full may still move when its oldest waiter can pass, and that waiter is re-checked.
   */
  default boolean timed() {
    return false;
  }

  /** Wakes the blocker at {@code at} (a hold with a ready time names a timed blocker). */
  default void wakeAt(OrgState org, TimerQueue timers, long at) {
    throw new IllegalStateException(this + " has no timer");
  }

  /** Its timer fired. */
  default void woken() {}
}
