package io.admission.server.engine;

/** The calls waiting on one {@link Blocker}, oldest first; what dispatch asks of a queue. */
interface Waiters {
  /** The oldest waiter, or null. */
  Call oldest();

  boolean isEmpty();

  int size();
}
