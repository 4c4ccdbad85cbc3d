package io.admission.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Three real gRPC servers as a cluster's nodes: the paired load spreads its callers over all of
 * them, each call's Release on its Acquire's node; through the Java client's channel it goes to
 * the node that says it leads; the failover client rides out a node that goes away and records
 * the pause it caused.
 */
class ClusterLoadTest {
  @TempDir
  Path dir;

  private final List<Server> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(Server::shutdownNow);
  }

  /** The no-op service, remembering which call ids it acquired and released. */
  static final class Node extends AdmissionServiceGrpc.AdmissionServiceImplBase {
    private final NoopServerCommand.NoopAdmissionService answers = new NoopServerCommand.NoopAdmissionService();
    final Set<String> acquired = ConcurrentHashMap.newKeySet();
    final Set<String> released = ConcurrentHashMap.newKeySet();
    final AtomicLong requests = new AtomicLong();

    @Override
    public void acquire(AcquireRequest request, StreamObserver<AcquireResponse> observer) {
      acquired.add(request.getCallId());
      requests.incrementAndGet();
      answers.acquire(request, observer);
    }

    @Override
    public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> observer) {
      released.add(request.getCallId());
      requests.incrementAndGet();
      answers.release(request, observer);
    }
  }

  @Test
  void clusterLoadReachesEveryNodeAndReleasesWhereItAcquired() throws Exception {
    List<Node> nodes = List.of(new Node(), new Node(), new Node());
    List<String> addresses = new ArrayList<>();
    for (Node n : nodes) {
      addresses.add(serve(n));
    }
    String single = serve(new NoopServerCommand.NoopAdmissionService());
    Path out = dir.resolve("load.properties");
    assertEquals(0, new CommandLine(new LoadCommand()).execute("--target", "cluster@" + String.join(",", addresses),
        "--versus", "grpc@" + single, "--target-pid", "0,0,0", "--callers", "16", "--warmup", "0.1",
        "--windows", "2", "--window", "0.3", "--settle", "0.1", "--out", out.toString()));
    Properties p = load(out);
    assertTrue(Double.parseDouble(p.getProperty("a.pairs_per_s")) > 0, p.toString());
    for (Node n : nodes) {
      assertTrue(n.acquired.size() > 10, "a node had almost no load: " + n.acquired.size());
      Set<String> elsewhere = ConcurrentHashMap.newKeySet();
      nodes.stream().filter(o -> o != n).forEach(o -> elsewhere.addAll(o.acquired));
      for (String id : n.released) {
        assertTrue(n.acquired.contains(id) && !elsewhere.contains(id), id + " was released away from its Acquire");
      }
    }
  }

  @Test
  void throughTheJavaClientTheLoadGoesToTheNodeThatSaysItLeads() throws Exception {
    List<Node> nodes = List.of(new Node(), new Node(), new Node());
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HealthStatusManager health = new HealthStatusManager();
      health.setStatus("", ServingStatus.SERVING);
      health.setStatus("admission.leader", i == 1 ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
      addresses.add(serve(nodes.get(i), health.getHealthService()));
    }
    String single = serve(new NoopServerCommand.NoopAdmissionService());
    Path out = dir.resolve("load.properties");
    assertEquals(0, new CommandLine(new LoadCommand()).execute("--target", "client@" + String.join(",", addresses),
        "--versus", "grpc@" + single, "--target-pid", "0,0,0", "--callers", "16", "--warmup", "0.5",
        "--windows", "2", "--window", "0.3", "--settle", "0.1", "--out", out.toString()));
    assertTrue(nodes.get(1).acquired.size() > 100, "the leader had almost no load: " + nodes.get(1).acquired.size());
    // Until the leader's channel is ready (its first call connects it) calls go round robin.
    int elsewhere = nodes.get(0).acquired.size() + nodes.get(2).acquired.size();
    assertTrue(elsewhere < nodes.get(1).acquired.size() / 10,
        elsewhere + " calls went to nodes that do not lead, " + nodes.get(1).acquired.size() + " to the leader");
  }

  @Test
  void failoverClientRidesOutADeadNodeAndRecordsThePause() throws Exception {
    List<Node> nodes = List.of(new Node(), new Node(), new Node());
    List<String> addresses = new ArrayList<>();
    for (Node n : nodes) {
      addresses.add(serve(n));
    }
    Path stop = dir.resolve("stop");
    Path out = dir.resolve("failover.properties");
    CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> new CommandLine(new FailoverCommand())
        .execute("--servers", String.join(",", addresses), "--callers", "8", "--gap-ms", "1",
            "--stop-file", stop.toString(), "--out", out.toString()));
    awaitRequests(nodes.get(0), 50);
    servers.get(0).shutdownNow();
    long before = nodes.get(1).requests.get() + nodes.get(2).requests.get();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (nodes.get(1).requests.get() + nodes.get(2).requests.get() < before + 200 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Files.createFile(stop);
    assertEquals(0, run.get());
    Properties p = load(out);
    assertTrue(nodes.get(1).requests.get() + nodes.get(2).requests.get() >= before + 200,
        "the load stopped with a node gone: " + p);
    assertTrue(Long.parseLong(p.getProperty("pairs")) > 50, p.toString());
    assertTrue(Long.parseLong(p.getProperty("gaps.count")) > 0, p.toString());
    long start = Long.parseLong(p.getProperty("start_ms"));
    for (String g : p.getProperty("gaps").split(",")) {
      String[] parts = g.split("\\+");
      assertTrue(Long.parseLong(parts[0]) >= start && Long.parseLong(parts[1]) >= 1, g);
    }
  }

  private static void awaitRequests(Node n, long count) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (n.requests.get() < count && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertTrue(n.requests.get() >= count, "no load reached the node: " + n.requests.get());
  }

  private String serve(BindableService... services) throws Exception {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
    for (BindableService service : services) {
      builder.addService(service);
    }
    Server server = builder.directExecutor().build().start();
    servers.add(server);
    return "127.0.0.1:" + server.getPort();
  }

  private static Properties load(Path file) throws Exception {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }
}
