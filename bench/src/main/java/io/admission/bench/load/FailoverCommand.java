package io.admission.bench.load;

import io.admission.client.Servers;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Closed-loop Acquire+Release pairs on a cluster through {@link Servers#channel} (round robin over the
 * nodes, UNAVAILABLE retried on another) until {@code --stop-file} exists, recording every pause between
 * two completed requests of at least {@code --gap-ms}; whoever runs it kills nodes meanwhile. A request
 * that fails even after the channel's retries (~3 s) is counted and sent again 100 ms later: a cluster's
 * client rides out a failover, and Acquire and Release are safe to repeat by call_id. Completions are timed
 * on the wall clock, which the runner's kill times share.
 */
@Command(name = "failover", mixinStandardHelpOptions = true, showDefaultValues = true,
    description = "Acquire+Release pairs on a cluster until --stop-file exists; the pauses between completed requests.")
public final class FailoverCommand implements Callable<Integer> {
  @Option(names = "--servers", required = true, description = "The cluster's nodes, HOST:PORT,...") String servers;
  @Option(names = "--callers", defaultValue = "256", description = "Concurrent callers.") int callers;
  @Option(names = "--gap-ms", defaultValue = "10", description = "Shortest pause recorded.") long gapMillis;
  @Option(names = "--stop-file", required = true, description = "Runs until this file exists.") Path stopFile;
  @Option(names = "--out", required = true, description = "Properties file to write.") Path out;

  /** A request is given this long before it counts as failed, retries included. */
  private static final long DEADLINE_SECONDS = 10;
  private static final long RETRY_AFTER_MILLIS = 100;
  /** More pauses than this are not kept: a run that pauses this often is broken, and says so by its count. */
  private static final int MAX_GAPS = 100_000;

  /** The latest answer's time; 0 before the first, so that the client's start is no pause. */
  private final AtomicLong lastCompleted = new AtomicLong();
  /** Each pause kept as "START+LENGTH", in ms. */
  private final ConcurrentLinkedQueue<String> gaps = new ConcurrentLinkedQueue<>();
  private final AtomicLong gapCount = new AtomicLong();
  private final LongAdder pairs = new LongAdder();
  /** Requests failed after the channel's retries, by why. */
  private final ConcurrentHashMap<String, Long> failures = new ConcurrentHashMap<>();
  private final CallIds ids = new CallIds();
  private GrpcTarget target;
  private volatile boolean stopping;

  @Override
  public Integer call() throws Exception {
    long started = System.currentTimeMillis();
    try (GrpcTarget cluster = new GrpcTarget(servers, "bench", true)) { // the runner gives it room for every caller
      target = cluster;
      cluster.deadlineSeconds = DEADLINE_SECONDS;
      for (int i = 0; i < callers; i++) {
        acquire(ids.next());
      }
      System.err.println("failover: load running on " + servers);
      while (!Files.exists(stopFile)) {
        Thread.sleep(50);
      }
      stopping = true;
    }
    long failed = failures.values().stream().mapToLong(Long::longValue).sum();
    Properties result = new Properties();
    result.setProperty("start_ms", Long.toString(started));
    result.setProperty("pairs", Long.toString(pairs.sum()));
    result.setProperty("failed", Long.toString(failed));
    failures.forEach((why, n) -> result.setProperty("failed." + why, Long.toString(n)));
    result.setProperty("gaps.count", Long.toString(gapCount.get()));
    result.setProperty("gaps", String.join(",", gaps));
    LoadCommand.write(result, out);
    System.err.printf(Locale.ROOT, "failover: %d pairs, %d failed requests, %d pauses of %d ms or more%n",
        pairs.sum(), failed, gapCount.get(), gapMillis);
    return 0;
  }

  private void acquire(String callId) {
    if (!stopping) {
      target.acquire(callId, outcome -> {
        completed();
        if (outcome == LoadTarget.Outcome.GRANTED) {
          release(callId);
        } else {
          failures.merge("outcome_" + outcome.name().toLowerCase(Locale.ROOT), 1L, Long::sum);
          acquire(ids.next());
        }
      }, failed(() -> acquire(callId)));
    }
  }

  private void release(String callId) {
    if (!stopping) {
      target.release(callId, () -> {
        completed();
        pairs.increment();
        acquire(ids.next());
      }, failed(() -> release(callId)));
    }
  }

  /** An answer ends the pause since any caller's last one, kept if long enough (the latest time wins). */
  private void completed() {
    long now = System.currentTimeMillis();
    long previous = lastCompleted.getAndAccumulate(now, Math::max);
    if (previous > 0 && now - previous >= gapMillis && gapCount.incrementAndGet() <= MAX_GAPS) {
      gaps.add(previous + "+" + (now - previous));
    }
  }

  /** A request failed even after the channel's retries: counted, and {@code again} sent later. */
  private Consumer<Throwable> failed(Runnable again) {
    return t -> {
      if (!stopping) { // the channel shutting down at the end cancels every caller's request: no failure
        failures.merge(Status.fromThrowable(t).getCode().name().toLowerCase(Locale.ROOT), 1L, Long::sum);
        System.err.println("failover: failed after retries: " + Status.fromThrowable(t)); // few: each says why
        CompletableFuture.delayedExecutor(RETRY_AFTER_MILLIS, TimeUnit.MILLISECONDS).execute(again);
      }
    };
  }
}
