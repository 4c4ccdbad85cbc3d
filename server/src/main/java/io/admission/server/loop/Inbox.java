package io.admission.server.loop;

import java.util.Collection;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

/**
 * The loop's queue: many producers (gRPC handlers, the web server, the journal thread), one
 * consumer (the loop, run as tasks on the transport thread). Lock-free on both sides, and a
 * producer wakes the consumer only when it is idle.
 *
 * <p>Why not {@link java.util.concurrent.ArrayBlockingQueue}: every offer takes its lock, so a
 * transport thread that meets the loop draining a batch can park on the lock (a futex sleep of the
 * thread that does all of a connection's I/O), and the hot path would hold a lock. Here an offer
 * is one CAS on a linked queue plus one volatile read; the only wake-up (a task handed to the
 * transport thread) is paid once per idle spell, by the producer that ends it.
 *
 * <p>No wake-up is lost: a producer publishes its task and then reads {@code idle}; the consumer
 * sets {@code idle} and then looks at the queue again before it ends its run. Both are volatile,
 * so at least one of them sees the other; the compare-and-set makes exactly one of them act on it.
 */
final class Inbox<T> {
  private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
  /** Tasks offered and not yet drained: the bound applies to this, not to the queue's size(). */
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean idle = new AtomicBoolean();
  private final int capacity;
  private volatile Runnable wakeUp = () -> { };
  private final ToIntFunction<? super T> weight;

  /** {@code weight}: what a task counts for against {@link #drainTo}'s bound (at least one). */
  Inbox(int capacity, ToIntFunction<? super T> weight) {
    this.capacity = capacity;
    this.weight = weight;
  }

  /**
   * The consumer, which runs as tasks: {@code wakeUp} schedules it when a task arrives while it is
   * idle. The consumer then starts busy, so call {@link #idleUnlessQueued} at the end of each run.
   */
  void consumer(Runnable wakeUp) {
    this.wakeUp = wakeUp;
  }

  /** Adds {@code task} unless {@code capacity} tasks are already waiting. */
  boolean offer(T task) {
    if (pending.incrementAndGet() > capacity) {
      pending.decrementAndGet();
      return false;
    }
    queue.add(task);
    wake();
    return true;
  }

  /**
   * Adds {@code task} even when full: for clean-ups (a stream that went away) that must not be
   * lost and must not block a transport thread. They are as few as the streams ever opened.
   */
  void force(T task) {
    pending.incrementAndGet();
    queue.add(task);
    wake();
  }

  private void wake() {
    // One volatile read when the loop is busy; the CAS makes one producer pay the wake-up.
    if (claim()) {
      wakeUp.run();
    }
  }

  /** Ends an idle spell: true for the one caller that saw it idle and must now run the consumer. */
  boolean claim() {
    return idle.get() && idle.compareAndSet(true, false);
  }

  /**
   * Consumer only, at the end of a run: goes idle, unless tasks are already waiting — then it
   * stays busy and returns true, and the caller must run again (no producer will wake it).
   */
  boolean idleUnlessQueued() {
    idle.set(true);
    return !queue.isEmpty() && claim();
  }

  /**
   * Consumer only: moves tasks into {@code into}, in order, until they weigh {@code max} (the last
   * one may take it past); returns how many.
   */
  int drainTo(Collection<? super T> into, int max) {
    int n = 0;
    int weighed = 0;
    T task;
    while (weighed < max && (task = queue.poll()) != null) {
      into.add(task);
      n++;
      weighed += weight.applyAsInt(task);
    }
    if (n > 0) {
      pending.addAndGet(-n);
    }
    return n;
  }
}
