package io.admission.bench.load;

import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * N callers, each with one request outstanding at a time: Acquire, then Release of that call, then the next
 * Acquire — every one granted. Records each request's latency (send to answer) and counts completed pairs.
 */
final class ClosedLoop {
  private final LoadTarget target;
  private final CallIds ids;
  private final int callers;
  final Recorder latency = new Recorder(3);
  final AtomicLong pairs = new AtomicLong();
  final AtomicLong errors = new AtomicLong();
  final AtomicReference<Throwable> firstError = new AtomicReference<>();
  /** Callers whose request in flight has not been answered yet. */
  final CountDownLatch running;
  private volatile boolean stopping;

  ClosedLoop(LoadTarget target, CallIds ids, int callers) {
    this.target = target;
    this.ids = ids;
    this.callers = callers;
    this.running = new CountDownLatch(callers);
  }

  void start() {
    for (int i = 0; i < callers; i++) {
      next();
    }
  }

  /** What {@link #measure} saw: throughput, the latencies recorded, the server's CPU time per pair. */
  record Measured(double pairsPerSecond, Histogram latency, double serverCpuMicrosPerPair) {}

  /** The callers over {@code seconds}, with the CPU time of {@code serverPids} (a cluster's nodes add up; 0: none). */
  Measured measure(double seconds, long... serverPids) throws InterruptedException {
    latency.getIntervalHistogram();
    long pairs0 = pairs.get();
    long server0 = cpuNanos(serverPids);
    long t0 = System.nanoTime();
    Thread.sleep((long) (seconds * 1000));
    Histogram h = latency.getIntervalHistogram();
    long pairs1 = pairs.get();
    long t1 = System.nanoTime();
    long server1 = cpuNanos(serverPids);
    return new Measured((pairs1 - pairs0) / ((t1 - t0) / 1e9), h,
        (server1 - server0) / 1e3 / Math.max(1, pairs1 - pairs0));
  }

  /** CPU time (user + system, as /proc/PID/stat counts it) of the processes {@code pids}, in ns; 0 for pid 0. */
  private static long cpuNanos(long[] pids) {
    return Arrays.stream(pids).filter(pid -> pid > 0).mapToObj(ProcessHandle::of).flatMap(Optional::stream)
        .mapToLong(p -> p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum();
  }

  /** Lets every caller finish its request in flight; false if some did not within the time. */
  boolean stop(long timeoutMillis) throws InterruptedException {
    stopping = true;
    return running.await(timeoutMillis, TimeUnit.MILLISECONDS);
  }

  private void next() {
    if (stopping) {
      running.countDown();
      return;
    }
    String callId = ids.next();
    long sent = System.nanoTime();
    target.acquire(callId, outcome -> {
      long answered = System.nanoTime();
      latency.recordValue(answered - sent);
      if (outcome == LoadTarget.Outcome.GRANTED) {
        release(callId, answered);
      } else {
        fail(new IllegalStateException("call " + callId + " was not granted: " + outcome));
      }
    }, this::fail);
  }

  private void release(String callId, long sent) {
    target.release(callId, () -> {
      latency.recordValue(System.nanoTime() - sent);
      pairs.incrementAndGet();
      next();
    }, this::fail);
  }

  /** A failed caller stops: a benchmark with errors is reported as such, not retried around. */
  private void fail(Throwable error) {
    errors.incrementAndGet();
    firstError.compareAndSet(null, error);
    running.countDown();
  }
}
