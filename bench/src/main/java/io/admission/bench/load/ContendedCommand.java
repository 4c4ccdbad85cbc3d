package io.admission.bench.load;

import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * More callers than slots, release-to-dispatch latency pushed versus polled: each caller thinks, asks for a
 * slot, holds the lease and releases it (times exponential). A held caller waits on WaitForSlot (Admission);
 * one that finds the pool full polls (the Redis peer). Timers fire on their own thread, exact to well under a
 * millisecond, and hand each step to the target's one I/O thread, which sends, reads the answer and stamps the
 * times: no hand-off inside the measured interval, no millisecond ticks of an I/O thread's timer (NIO's).
 *
 * <p>Every Release leaves a free slot stamped just before it is sent; a grant takes the oldest and, if its
 * caller had waited, records the time since. Slots free at the start, and grants to callers that had not
 * waited (a newcomer taking a slot pollers missed), record nothing.
 */
@Command(name = "contended", mixinStandardHelpOptions = true, showDefaultValues = true,
    description = "More callers than slots; release-to-dispatch latency.")
public final class ContendedCommand implements Callable<Integer> {
  private static final long NO_TIME = Long.MIN_VALUE;

  @Option(names = "--target", required = true, description = "grpc@HOST:PORT (WaitForSlot) or redis@HOST:PORT (polling).")
  String target;
  @Option(names = "--org", required = true, description = "Org id; for Admission one whose limit is --slots.") String org;
  @Option(names = "--slots", required = true, description = "The org's concurrency limit.") int slots;
  @Option(names = "--ratio", defaultValue = "10", description = "Callers per slot.") int ratio;
  @Option(names = "--hold-ms", defaultValue = "20", description = "Mean time a lease is held.") double holdMillis;
  @Option(names = "--think-ms", defaultValue = "20", description = "Mean time from a Release to the next Acquire.")
  double thinkMillis;
  @Option(names = "--poll-ms", defaultValue = "50", description = "How often a caller polls a full pool.") long pollMillis;
  @Option(names = "--warmup", defaultValue = "20", description = "Seconds before measuring.") double warmupSeconds;
  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds.") double seconds;
  @Option(names = "--out", required = true, description = "Properties file to write.") Path out;

  final Recorder dispatch = new Recorder(3);
  final AtomicLong errors = new AtomicLong();
  final AtomicReference<Throwable> firstError = new AtomicReference<>();
  private final Queue<Long> freeSlots = new ConcurrentLinkedQueue<>();
  private final CallIds ids = new CallIds();
  private LoadTarget loadTarget;
  private ScheduledExecutorService timer;
  private volatile double holdMean;
  private volatile double thinkMean;
  volatile boolean stopping;

  @Override
  public Integer call() throws Exception {
    Properties result = new Properties();
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
        new DefaultThreadFactory("caller-timers", true));
    try (LoadTarget t = LoadTarget.open(target, org, slots)) {
      // Half the warm-up at a hundred times the event rate: at 2 slots ~100 dispatches/s are too few for
      // the JIT to compile either side in 20 s, and a cold client or server would be measured instead.
      start(t, timers, 100);
      LoadCommand.sleep(warmupSeconds / 2);
      holdMean = holdMillis;
      thinkMean = thinkMillis;
      LoadCommand.sleep(warmupSeconds / 2);
      dispatch.getIntervalHistogram();
      // Wall-clock bounds of the measurement, for the server's recording of its pauses.
      result.setProperty("measured.start_ms", Long.toString(System.currentTimeMillis()));
      LoadCommand.sleep(seconds);
      var h = dispatch.getIntervalHistogram();
      result.setProperty("measured.end_ms", Long.toString(System.currentTimeMillis()));
      stopping = true;
      if (errors.get() > 0) {
        throw new IllegalStateException(errors.get() + " requests failed; first: " + firstError.get(), firstError.get());
      }
      LoadCommand.putLatency(result, "dispatch.", h);
      System.err.printf(Locale.ROOT, "contended %s slots=%d dispatches=%d p50=%.3fms p99=%.3fms%n",
          target, slots, h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6);
    } finally {
      timers.shutdownNow();
    }
    LoadCommand.write(result, out);
    return 0;
  }

  /** Starts {@code slots × ratio} callers on {@code t}, holding and thinking {@code speedup} times faster than asked. */
  void start(LoadTarget t, ScheduledExecutorService timers, double speedup) {
    loadTarget = t;
    timer = timers;
    holdMean = holdMillis / speedup;
    thinkMean = thinkMillis / speedup;
    freeSlots.addAll(Collections.nCopies(slots, NO_TIME));
    for (int i = 0; i < slots * ratio; i++) {
      after(exponential(thinkMean), this::nextCall);
    }
  }

  private void nextCall() {
    if (!stopping) {
      attempt(ids.next(), false);
    }
  }

  private void attempt(String callId, boolean waited) {
    loadTarget.acquire(callId, outcome -> {
      switch (outcome) {
        case GRANTED -> granted(callId, waited);
        case HELD -> loadTarget.waitForSlot(callId, () -> granted(callId, true), this::fail);
        case FULL -> after(pollMillis, () -> attempt(callId, true));
      }
    }, this::fail);
  }

  private void granted(String callId, boolean waited) {
    long now = System.nanoTime();
    Long freedAt = freeSlots.poll();
    if (waited && freedAt != null && freedAt != NO_TIME) {
      dispatch.recordValue(Math.max(0, now - freedAt));
    }
    after(exponential(holdMean), () -> release(callId));
  }

  private void release(String callId) {
    freeSlots.add(System.nanoTime());
    loadTarget.release(callId, () -> after(exponential(thinkMean), this::nextCall), this::fail);
  }

  private void after(long millis, Runnable task) {
    if (!stopping) {
      timer.schedule(() -> loadTarget.ioThread().execute(task), millis, TimeUnit.MILLISECONDS);
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
