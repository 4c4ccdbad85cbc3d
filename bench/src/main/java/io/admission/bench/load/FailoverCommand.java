package io.admission.bench.load;

import io.admission.client.Servers;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.Outcome;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.grpc.Context;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Closed-loop Acquire+Release pairs on a cluster through {@link Servers#channel} — round robin
 * over the nodes, UNAVAILABLE retried on another node — for as long as {@code --stop-file} does
 * not exist, recording every pause between two completed requests of at least {@code --gap-ms}.
 * Whoever runs it kills and restarts nodes meanwhile, and reads off the pauses around each kill.
 *
 * <p>A caller whose request fails even after the channel's retries (about 3 s) counts the
 * failure and sends the same request again 100 ms later: a client of a cluster rides out a
 * failover, and Acquire and Release are safe to repeat by call_id. Completions are timed on the
 * wall clock (milliseconds since the epoch), which the runner's kill times share.
 */
@Command(name = "failover", mixinStandardHelpOptions = true,
    description = "Acquire+Release pairs on a cluster until --stop-file exists, recording the pauses between completed requests.")
public final class FailoverCommand implements Callable<Integer> {
  @Option(names = "--servers", required = true, description = "The cluster's nodes, HOST:PORT,HOST:PORT,...")
  String servers;
  @Option(names = "--org", defaultValue = "bench", description = "Org id (default ${DEFAULT-VALUE}).")
  String org;
  @Option(names = "--callers", defaultValue = "256", description = "Concurrent callers (default ${DEFAULT-VALUE}).")
  int callers;
  @Option(names = "--gap-ms", defaultValue = "10", description = "Shortest pause recorded (default ${DEFAULT-VALUE}).")
  long gapMillis;
  @Option(names = "--stop-file", required = true, description = "Runs until this file exists.")
  Path stopFile;
  @Option(names = "--out", required = true, description = "Properties file to write.")
  Path out;

  /** A request is given this long before it counts as failed, retries included. */
  private static final long DEADLINE_SECONDS = 10;
  private static final long RETRY_AFTER_MILLIS = 100;
  /** More pauses than this are not kept: a run that pauses this often is broken, and says so by its count. */
  private static final int MAX_GAPS = 100_000;

  /** The latest answer's time; 0 before the first, so that the client's start is no pause. */
  private final AtomicLong lastCompleted = new AtomicLong();
  private final ConcurrentLinkedQueue<long[]> gaps = new ConcurrentLinkedQueue<>();
  private final AtomicLong gapCount = new AtomicLong();
  private final LongAdder requests = new LongAdder();
  private final LongAdder pairs = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final ConcurrentHashMap<String, LongAdder> failures = new ConcurrentHashMap<>();
  private final CallIds ids = new CallIds();
  private ScheduledExecutorService retries;
  private AdmissionServiceGrpc.AdmissionServiceStub stub;
  private volatile boolean stopping;

  @Override
  public Integer call() throws Exception {
    ManagedChannel channel = Servers.channel(servers, InsecureChannelCredentials.create()).directExecutor().build();
    retries = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "failover-retries");
      t.setDaemon(true);
      return t;
    });
    stub = AdmissionServiceGrpc.newStub(channel);
    long started = System.currentTimeMillis();
    try {
      for (int i = 0; i < callers; i++) {
        acquire(ids.next());
      }
      System.err.println("failover: load running on " + servers);
      while (!Files.exists(stopFile)) {
        Thread.sleep(50);
      }
      stopping = true;
    } finally {
      retries.shutdownNow();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    long ended = System.currentTimeMillis();
    Properties result = new Properties();
    result.setProperty("start_ms", Long.toString(started));
    result.setProperty("end_ms", Long.toString(ended));
    result.setProperty("requests", Long.toString(requests.sum()));
    result.setProperty("pairs", Long.toString(pairs.sum()));
    result.setProperty("failed", Long.toString(failed.sum()));
    failures.forEach((why, n) -> result.setProperty("failed." + why, Long.toString(n.sum())));
    result.setProperty("gaps.count", Long.toString(gapCount.get()));
    List<String> list = new ArrayList<>();
    gaps.forEach(g -> list.add(g[0] + "+" + g[1]));
    result.setProperty("gaps", String.join(",", list));
    LoadCommand.write(result, out);
    System.err.printf(Locale.ROOT, "failover: %d pairs, %d failed requests, %d pauses of %d ms or more%n",
        pairs.sum(), failed.sum(), gapCount.get(), gapMillis);
    return 0;
  }

  /**
   * One request answered: the pause since the last answer of any caller, if long enough, is
   * kept as (its start, its length) in ms. Answers arrive on several transport threads, so the
   * latest time seen wins and an answer that lost the race starts no pause.
   */
  private void completed() {
    long now = System.currentTimeMillis();
    requests.increment();
    long previous = lastCompleted.getAndAccumulate(now, Math::max);
    if (previous > 0 && now - previous >= gapMillis && gapCount.incrementAndGet() <= MAX_GAPS) {
      gaps.add(new long[] {previous, now - previous});
    }
  }

  private void acquire(String callId) {
    if (stopping) {
      return;
    }
    AcquireRequest request = AcquireRequest.newBuilder().setOrgId(org).setCallId(callId)
        .setCallType(CallType.CALL_TYPE_OUTBOUND).setLeaseTtl(GrpcTarget.LEASE_TTL).build();
    Context.ROOT.run(() -> stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).acquire(request,
        answer((AcquireResponse r) -> {
          completed();
          if (r.getOutcome() == Outcome.OUTCOME_GRANTED) {
            release(callId);
          } else {
            failed("outcome_" + r.getOutcome().name().toLowerCase(Locale.ROOT));
            acquire(ids.next());
          }
        }, () -> acquire(callId))));
  }

  private void release(String callId) {
    if (stopping) {
      return;
    }
    ReleaseRequest request = ReleaseRequest.newBuilder().setOrgId(org).setCallId(callId).build();
    Context.ROOT.run(() -> stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).release(request,
        answer((ReleaseResponse r) -> {
          completed();
          pairs.increment();
          acquire(ids.next());
        }, () -> release(callId))));
  }

  private void failed(String why) {
    failed.increment();
    failures.computeIfAbsent(why, k -> new LongAdder()).increment();
  }

  /** A unary call's observer: its answer to {@code done}; a failure counted and {@code again} sent later. */
  private <R> StreamObserver<R> answer(Consumer<R> done, Runnable again) {
    return new StreamObserver<>() {
      @Override
      public void onNext(R response) {
        done.accept(response);
      }

      @Override
      public void onError(Throwable t) {
        if (stopping) {
          return; // the channel shutting down at the end cancels every caller's request: no failure
        }
        failed(Status.fromThrowable(t).getCode().name().toLowerCase(Locale.ROOT));
        retries.schedule(again, RETRY_AFTER_MILLIS, TimeUnit.MILLISECONDS);
      }

      @Override
      public void onCompleted() {}
    };
  }
}
