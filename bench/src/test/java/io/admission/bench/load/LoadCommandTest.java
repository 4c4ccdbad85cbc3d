package io.admission.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Real gRPC servers, one answering every request {@link #DELAY_MILLIS} late: each side's throughput,
 * ratio and latency must be its own, A's on the A side; one server alone is measured the same way.
 */
class LoadCommandTest {
  private static final long DELAY_MILLIS = 50;

  @TempDir
  Path dir;

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<Server> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(Server::shutdownNow);
    timer.shutdownNow();
  }

  @Test
  void eachSideGetsItsOwnThroughputAndLatency() throws Exception {
    String slow = serve(new DelayedService());
    String fast = serve(new NoopServerCommand.NoopAdmissionService());
    // Both servers run in this JVM: its pid stands for A's, none for B's.
    Properties p = run("--target", "grpc@" + slow, "--versus", "grpc@" + fast, "--target-pid",
        Long.toString(ProcessHandle.current().pid()), "--callers", "8", "--warmup", "0.1", "--windows", "2",
        "--window", "0.5", "--settle", "0.1");
    // 8 callers, two requests of at least 50 ms a pair: at most 80 pairs/s on A.
    assertTrue(d(p, "a.pairs_per_s") <= 85, p.toString());
    assertTrue(d(p, "ratio.median") < 0.8, p.toString());
    assertTrue(d(p, "a.p50_ms") >= DELAY_MILLIS, p.toString());
    assertTrue(d(p, "a.p99_ms") >= d(p, "a.p50_ms"), p.toString());
    assertTrue(d(p, "b.p50_ms") < d(p, "a.p50_ms"), p.toString());
    // Both pairs' requests, and only measured ones: about 2 × 0.5 s × 2 requests × 80 pairs/s on A.
    assertTrue(d(p, "a.count") > 40 && d(p, "a.count") <= 2 * 2 * 0.6 * 85, p.toString());
    assertTrue(d(p, "b.count") > d(p, "a.count"), p.toString());
    assertTrue(d(p, "a.server_cpu_us_per_pair") > 0, p.toString());
    assertEquals(0, d(p, "b.server_cpu_us_per_pair"), p.toString());
  }

  @Test
  void aTargetIsKindAtHostPort() {
    for (String bad : List.of("grpc@127.0.0.1", "127.0.0.1:1", "grpc@a:1,b:2", "tcp@127.0.0.1:1", "cluster@a:1,")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoadTarget.open(bad, "o", 1));
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }

  @Test
  void oneServerAloneHasNoRatio() throws Exception {
    String slow = serve(new DelayedService());
    Properties p = run("--target", "grpc@" + slow, "--callers", "4", "--warmup", "0.1", "--windows", "2",
        "--window", "0.5", "--settle", "0.1");
    // 4 callers, two requests of at least 50 ms a pair: at most 40 pairs/s.
    assertTrue(d(p, "a.pairs_per_s") > 10 && d(p, "a.pairs_per_s") <= 42, p.toString());
    assertTrue(d(p, "a.p50_ms") >= DELAY_MILLIS, p.toString());
    assertNull(p.getProperty("ratio.median"), p.toString());
    assertNull(p.getProperty("b.pairs_per_s"), p.toString());
  }

  private Properties run(String... args) throws Exception {
    Path out = dir.resolve("load.properties");
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--out", out.toString()));
    assertEquals(0, new CommandLine(new LoadCommand()).execute(all.toArray(String[]::new)));
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(out)) {
      p.load(in);
    }
    return p;
  }

  private String serve(BindableService service) throws Exception {
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(service).directExecutor().build().start();
    servers.add(server);
    return "127.0.0.1:" + server.getPort();
  }

  private static double d(Properties p, String key) {
    return Double.parseDouble(p.getProperty(key));
  }

  /** The no-op service's answers, each sent {@link #DELAY_MILLIS} after its request arrived. */
  private final class DelayedService extends io.admission.v1.AdmissionServiceGrpc.AdmissionServiceImplBase {
    private final NoopServerCommand.NoopAdmissionService noop = new NoopServerCommand.NoopAdmissionService();

    @Override
    public void acquire(AcquireRequest request, StreamObserver<AcquireResponse> observer) {
      timer.schedule(() -> noop.acquire(request, observer), DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> observer) {
      timer.schedule(() -> noop.release(request, observer), DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }
  }
}
