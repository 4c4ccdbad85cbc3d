package io.admission.bench.load;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Recorder;

/**
 * More callers than slots: each caller thinks, asks for a slot, holds the lease for a while,
 * releases it and thinks again (hold and think times exponential). A caller that is held waits on
 * WaitForSlot (Admission); one that finds the pool full polls every {@code pollMillis} (the Redis
 * peer, which keeps no queue).
 *
 * <p>Threads: timers fire on their own thread, whose clock is exact to well under a millisecond, and
 * hand each caller's step to the target's one I/O thread, which sends the request, reads its answer
 * and takes the time stamps. So the measured interval holds no hand-off inside the load generator,
 * and neither side's callers depend on the millisecond ticks of an I/O thread's timer (NIO's).
 *
 * <p>Release-to-dispatch latency: every Release leaves a time-stamped free slot, taken just
 * before the Release is sent; every grant takes the oldest free slot, and a grant to a caller
 * that had been waiting records the time since that slot's Release. Slots free at the start carry
 * no time, and a grant to a caller that had not waited (the peer lets a newcomer take a slot that
 * pollers have not noticed yet) takes a slot without recording — neither is a waiting caller.
 */
final class ContendedRun {
  private static final long NO_TIME = Long.MIN_VALUE;

  private final LoadTarget target;
  private final CallIds ids;
  private final ScheduledExecutorService timer;
  private final Executor io;
  private final int callers;
  private volatile double holdMeanMillis;
  private volatile double thinkMeanMillis;
  private final long pollMillis;
  private final ArrayDeque<Long> freeSlots = new ArrayDeque<>();

  final Recorder dispatch = new Recorder(3);
  final AtomicLong errors = new AtomicLong();
  final AtomicReference<Throwable> firstError = new AtomicReference<>();
  private volatile boolean stopping;

  ContendedRun(LoadTarget target, CallIds ids, ScheduledExecutorService timer, int slots, int callers,
      double holdMeanMillis, double thinkMeanMillis, long pollMillis) {
    this.target = target;
    this.ids = ids;
    this.timer = timer;
    this.io = target.ioThread();
    this.callers = callers;
    this.holdMeanMillis = holdMeanMillis;
    this.thinkMeanMillis = thinkMeanMillis;
    this.pollMillis = pollMillis;
    for (int i = 0; i < slots; i++) {
      freeSlots.add(NO_TIME);
    }
  }

  void start() {
    for (int i = 0; i < callers; i++) {
      after(exponential(thinkMeanMillis), this::call);
    }
  }

  /** Changes the mean hold and think times from now on (a warm-up runs faster than the measure). */
  void pace(double holdMeanMillis, double thinkMeanMillis) {
    this.holdMeanMillis = holdMeanMillis;
    this.thinkMeanMillis = thinkMeanMillis;
  }

  void stop() {
    stopping = true;
  }

  private void call() {
    if (stopping) {
      return;
    }
    attempt(ids.next(), false);
  }

  private void attempt(String callId, boolean waited) {
    target.acquire(callId, LoadTarget.Callback.of(outcome -> {
      switch (outcome) {
        case GRANTED -> granted(callId, waited);
        case HELD -> target.waitForSlot(callId, LoadTarget.Callback.of(v -> granted(callId, true), this::fail));
        case FULL -> after(pollMillis, () -> attempt(callId, true));
      }
    }, this::fail));
  }

  private void granted(String callId, boolean waited) {
    long now = System.nanoTime();
    long freedAt;
    synchronized (freeSlots) {
      Long slot = freeSlots.poll();
      freedAt = slot == null ? NO_TIME : slot;
    }
    if (waited && freedAt != NO_TIME) {
      dispatch.recordValue(Math.max(0, now - freedAt));
    }
    after(exponential(holdMeanMillis), () -> release(callId));
  }

  private void release(String callId) {
    synchronized (freeSlots) {
      freeSlots.add(System.nanoTime());
    }
    target.release(callId, LoadTarget.Callback.of(v -> after(exponential(thinkMeanMillis), this::call), this::fail));
  }

  private void after(long millis, Runnable task) {
    if (!stopping) {
      timer.schedule(() -> io.execute(task), millis, TimeUnit.MILLISECONDS);
    }
  }

  private static long exponential(double meanMillis) {
    return Math.round(-meanMillis * Math.log(1 - ThreadLocalRandom.current().nextDouble()));
  }

  private void fail(Throwable error) {
    errors.incrementAndGet();
    firstError.compareAndSet(null, error);
  }
}
