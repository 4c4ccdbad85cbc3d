package io.admission.bench.run;

import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.ClusterNode;
import io.admission.v1.GetClusterStatusRequest;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.GetOrgStatusRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Three server JVMs on loopback as one cluster, each with its own data directory, gRPC port and
 * Raft port (free ports chosen up front, so that a node restarted after a kill comes back where
 * its peers and the clients look for it), and a monitor channel to each node. Closing it stops
 * every node still running.
 */
final class ClusterNodes implements AutoCloseable {
  static final int SIZE = 3;

  private final List<String> command;
  private final Path dir;
  private final String name;
  private final int[] grpcPorts = new int[SIZE];
  private final String peers;
  private final Proc.Server[] nodes = new Proc.Server[SIZE];
  private final int[] starts = new int[SIZE];
  private final ManagedChannel[] channels = new ManagedChannel[SIZE];

  /**
   * {@code command}: java, its options and {@code -jar SERVER}; the node's own options follow.
   * Each node's data lives in {@code dir}/n1… and its log beside it.
   */
  ClusterNodes(List<String> command, Path dir, String name) throws IOException {
    this.command = List.copyOf(command);
    this.dir = dir;
    this.name = name;
    int[] raftPorts = new int[SIZE];
    for (int i = 0; i < SIZE; i++) {
      grpcPorts[i] = freePort();
      raftPorts[i] = freePort();
    }
    peers = IntStream.range(0, SIZE).mapToObj(i -> id(i) + "=127.0.0.1:" + raftPorts[i])
        .collect(Collectors.joining(","));
    for (int i = 0; i < SIZE; i++) {
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", grpcPorts[i]).usePlaintext().build();
    }
  }

  /** A port nothing listens on now; the kernel hands out ephemeral ports in turn, so it stays free a while. */
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static String id(int node) {
    return "n" + (node + 1);
  }

  /** HOST:PORT,HOST:PORT,HOST:PORT of the nodes' gRPC services. */
  String addresses() {
    return IntStream.range(0, SIZE).mapToObj(i -> "127.0.0.1:" + grpcPorts[i]).collect(Collectors.joining(","));
  }

  /** Starts node {@code i} (again, over its data, after a kill); {@link #awaitListening} waits for it. */
  void start(int i) throws IOException {
    List<String> c = new ArrayList<>(command);
    c.addAll(List.of("--node-id", id(i), "--peers", peers, "--listen", "127.0.0.1:" + grpcPorts[i],
        "--data-dir", dir.resolve(id(i)).toString()));
    String log = name + "-" + id(i) + (starts[i] == 0 ? "" : "-restart" + starts[i]) + "-server.log";
    starts[i]++;
    nodes[i] = Proc.Server.start(c, dir.getParent().resolve(log));
  }

  void startAll() throws IOException {
    for (int i = 0; i < SIZE; i++) {
      start(i);
    }
  }

  void awaitListening(int i) throws IOException, InterruptedException {
    nodes[i].address();
  }

  long pid(int i) {
    return nodes[i].process().pid();
  }

  String pids() {
    return IntStream.range(0, SIZE).mapToObj(i -> Long.toString(pid(i))).collect(Collectors.joining(","));
  }

  /** SIGKILL: the node stops between two instructions, its log as the disk holds it. */
  void kill(int i) throws InterruptedException {
    nodes[i].process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** Node {@code i}'s view of the cluster; empty if it does not answer within a second. */
  Optional<GetClusterStatusResponse> status(int i) {
    try {
      return Optional.of(AdmissionMonitorServiceGrpc.newBlockingStub(channels[i])
          .withDeadlineAfter(1, TimeUnit.SECONDS).getClusterStatus(GetClusterStatusRequest.getDefaultInstance()));
    } catch (StatusRuntimeException e) {
      return Optional.empty();
    }
  }

  /** The last log entry node {@code i} has applied, as it says itself; -1 if it does not answer. */
  long appliedIndex(int i) {
    return status(i).flatMap(s -> s.getNodesList().stream().filter(n -> n.getNodeId().equals(s.getAnsweredBy()))
        .map(ClusterNode::getAppliedIndex).findFirst()).orElse(-1L);
  }

  /** The node that leads, as the first running node that knows one says, waiting up to {@code seconds}. */
  int leader(int except, double seconds) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < SIZE; i++) {
        if (i == except) {
          continue;
        }
        String leader = status(i).map(GetClusterStatusResponse::getLeaderId).orElse("");
        for (int j = 0; j < SIZE; j++) {
          if (j != except && leader.equals(id(j))) {
            return j;
          }
        }
      }
      Thread.sleep(50);
    }
    throw new IOException("the cluster " + name + " had no leader within " + seconds + " s");
  }

  /** Waits until node {@code i} answers GetOrgStatus for {@code org}: the first node has seeded the config. */
  void awaitOrg(int i, String org, double seconds) throws InterruptedException, IOException {
    await(() -> {
      try {
        AdmissionMonitorServiceGrpc.newBlockingStub(channels[i]).withDeadlineAfter(1, TimeUnit.SECONDS)
            .getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(org).build());
        return true;
      } catch (StatusRuntimeException e) {
        return false;
      }
    }, seconds, "org " + org + " on " + id(i));
  }

  static void await(BooleanSupplier done, double seconds, String what) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("waited " + seconds + " s in vain for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    for (Proc.Server node : nodes) {
      if (node != null) {
        node.close();
      }
    }
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
  }
}
