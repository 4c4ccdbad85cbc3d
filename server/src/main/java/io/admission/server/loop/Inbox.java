package io.admission.server.loop;

import java.util.Collection;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The loop's queue: many producers (gRPC transport threads, the web server), one consumer (the
 * loop thread). Lock-free on both sides, and a producer wakes the consumer only when it is
 * actually asleep.
 *
 * <p>Why not {@link java.util.concurrent.ArrayBlockingQueue}: every offer takes its lock, so a
 * transport thread that meets the loop draining a batch can park on the lock (a futex sleep of the
 * thread that does all of a connection's I/O), and the hot path would hold a lock. Here an offer
 * is one CAS on a linked queue plus one volatile read; the only system call is the unpark of a
 * loop that went to sleep, at most once per sleep. (End to end on 2 cores it measured no slower;
 * any gain was within the machine's noise.)
 *
 * <p>No wake-up is lost: a producer publishes its task and then reads {@code sleeping}; the
 * consumer sets {@code sleeping} and then looks at the queue again before it parks. Both are
 * volatile, so at least one of them sees the other.
 */
final class Inbox<T> {
  private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
  /** Tasks offered and not yet drained: the bound applies to this, not to the queue's size(). */
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicBoolean sleeping = new AtomicBoolean();
  private final int capacity;
  private volatile Thread consumer;

  Inbox(int capacity) {
    this.capacity = capacity;
  }

  /** The thread that {@link #await}s; set before it first waits. */
  void consumer(Thread thread) {
    this.consumer = thread;
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
    // One volatile read when the loop is awake; the CAS makes one producer pay the unpark.
    if (sleeping.get() && sleeping.compareAndSet(true, false)) {
      LockSupport.unpark(consumer);
    }
  }

  /** Consumer only: waits until a task is queued or {@code millis} pass (0: do not wait). */
  void await(long millis) throws InterruptedException {
    if (!queue.isEmpty() || millis <= 0) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    sleeping.set(true);
    try {
      while (queue.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        LockSupport.parkNanos(this, left);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        sleeping.set(true); // a spurious or timed-out return: still asleep as far as producers know
      }
    } finally {
      sleeping.set(false);
    }
  }

  /** Consumer only: moves up to {@code max} tasks into {@code into}, in order. */
  int drainTo(Collection<? super T> into, int max) {
    int n = 0;
    T task;
    while (n < max && (task = queue.poll()) != null) {
      into.add(task);
      n++;
    }
    if (n > 0) {
      pending.addAndGet(-n);
    }
    return n;
  }
}
