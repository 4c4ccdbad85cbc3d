package io.admission.bench.run;

import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc.AdmissionMonitorServiceBlockingStub;
import io.admission.v1.ClusterNode;
import io.admission.v1.GetClusterStatusRequest;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.GetOrgStatusRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Three server JVMs on loopback as one cluster, each with its data directory, gRPC and Raft port (free ports
 * chosen up front, so that a node restarted after a kill comes back where its peers and clients look for it),
 * and a monitor channel to each. Closing it stops every node still running.
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

  /** {@code command}: java, its options and {@code -jar SERVER}; node n1's data lives in {@code dir}/n1, its log beside. */
  ClusterNodes(List<String> command, Path dir, String name) throws IOException {
    this.command = List.copyOf(command);
    this.dir = dir;
    this.name = name;
    String[] raft = new String[SIZE];
    for (int i = 0; i < SIZE; i++) {
      grpcPorts[i] = Proc.freePort();
      raft[i] = id(i) + "=127.0.0.1:" + Proc.freePort();
      channels[i] = NettyChannelBuilder.forAddress("127.0.0.1", grpcPorts[i]).usePlaintext().build();
    }
    peers = String.join(",", raft);
  }

  static String id(int node) {
    return "n" + (node + 1);
  }

  /** HOST:PORT,HOST:PORT,HOST:PORT of the nodes' gRPC services. */
  String addresses() {
    return IntStream.range(0, SIZE).mapToObj(i -> "127.0.0.1:" + grpcPorts[i]).collect(Collectors.joining(","));
  }

  /** Starts node {@code i} (again, over its data, after a kill); its {@link Proc.Server#address} waits for it. */
  Proc.Server start(int i) throws IOException {
    List<String> c = Stream.concat(command.stream(), Stream.of("--node-id", id(i), "--peers", peers,
        "--listen", "127.0.0.1:" + grpcPorts[i], "--data-dir", dir.resolve(id(i)).toString())).toList();
    String log = name + "-" + id(i) + (starts[i] == 0 ? "" : "-restart" + starts[i]) + "-server.log";
    starts[i]++;
    nodes[i] = Proc.Server.start(c, dir.getParent().resolve(log));
    return nodes[i];
  }

  /** Starts every node, then waits until each answers for {@code org}: the first node has seeded the config. */
  void startAll(String org, double seconds) throws IOException, InterruptedException {
    for (int i = 0; i < SIZE; i++) {
      start(i);
    }
    for (int i = 0; i < SIZE; i++) {
      nodes[i].address();
      int node = i;
      GetOrgStatusRequest request = GetOrgStatusRequest.newBuilder().setOrgId(org).build();
      Proc.await(() -> ask(node, m -> m.getOrgStatus(request)).isPresent(), seconds, "org " + org + " on " + id(i));
    }
  }

  String pids() {
    return IntStream.range(0, SIZE).mapToObj(i -> Long.toString(nodes[i].process().pid()))
        .collect(Collectors.joining(","));
  }

  /** SIGKILL: the node stops between two instructions, its log as the disk holds it. */
  void kill(int i) throws InterruptedException {
    nodes[i].process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** Node {@code i}'s answer to {@code request}, given at most a second from now; empty if it does not answer. */
  private <R> Optional<R> ask(int i, Function<AdmissionMonitorServiceBlockingStub, R> request) {
    try {
      return Optional.of(request.apply(AdmissionMonitorServiceGrpc.newBlockingStub(channels[i])
          .withDeadlineAfter(1, TimeUnit.SECONDS)));
    } catch (StatusRuntimeException e) {
      return Optional.empty();
    }
  }

  private Optional<GetClusterStatusResponse> status(int i) {
    return ask(i, m -> m.getClusterStatus(GetClusterStatusRequest.getDefaultInstance()));
  }

  /** The last log entry node {@code i} has applied, as it says itself; -1 if it does not answer. */
  long appliedIndex(int i) {
    return status(i).flatMap(s -> s.getNodesList().stream().filter(n -> n.getNodeId().equals(s.getAnsweredBy()))
        .map(ClusterNode::getAppliedIndex).findFirst()).orElse(-1L);
  }

  /** The node that leads, as the first node but {@code except} that knows one says, waiting up to {@code seconds}. */
  int leader(int except, double seconds) throws InterruptedException, IOException {
    int[] leader = {-1};
    Proc.await(() -> {
      for (int i = 0; i < SIZE && leader[0] < 0; i++) {
        String said = i == except ? "" : status(i).map(GetClusterStatusResponse::getLeaderId).orElse("");
        leader[0] = IntStream.range(0, SIZE).filter(j -> j != except && id(j).equals(said)).findFirst().orElse(-1);
      }
      return leader[0] >= 0;
    }, seconds, "a leader of the cluster " + name);
    return leader[0];
  }

  @Override
  public void close() {
    Arrays.stream(nodes).filter(Objects::nonNull).forEach(Proc.Server::close);
    Arrays.stream(channels).forEach(ManagedChannel::shutdownNow);
  }
}
