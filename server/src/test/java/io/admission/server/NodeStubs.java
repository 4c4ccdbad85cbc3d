package io.admission.server;

import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Blocking stubs to the nodes of a cluster run in this JVM: one plaintext channel per node, made
 * on its first use (the node listening by then), every call with a 20 s deadline.
 */
final class NodeStubs implements AutoCloseable {
  private final List<Running> nodes;
  private final Map<Integer, ManagedChannel> channels = new HashMap<>();

  NodeStubs(List<Running> nodes) {
    this.nodes = nodes;
  }

  ManagedChannel channel(int i) {
    return channels.computeIfAbsent(i, n -> Grpc.newChannelBuilder("127.0.0.1:" + nodes.get(n).port(),
        InsecureChannelCredentials.create()).build());
  }

  AdmissionServiceGrpc.AdmissionServiceBlockingStub admission(int i) {
    return AdmissionServiceGrpc.newBlockingStub(channel(i)).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub admin(int i) {
    return AdmissionAdminServiceGrpc.newBlockingStub(channel(i)).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  AdmissionMonitorServiceGrpc.AdmissionMonitorServiceBlockingStub monitor(int i) {
    return AdmissionMonitorServiceGrpc.newBlockingStub(channel(i)).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
