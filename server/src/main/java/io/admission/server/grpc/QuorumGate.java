package io.admission.server.grpc;

import io.admission.server.api.ClusterView;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;

/**
 * Refuses every call UNAVAILABLE while this node of a cluster has no quorum (no leader it can
 * reach): its replica may be behind and it cannot commit, so a client does better on another
 * node. Health, reflection and GetClusterStatus still answer: they say what is wrong.
 */
final class QuorumGate implements ServerInterceptor {
  private static final Set<String> ALWAYS = Set.of(
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection");

  private final ClusterView cluster;

  QuorumGate(ClusterView cluster) {
    this.cluster = cluster;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String why = cluster.unavailable();
    if (why != null) {
      String method = call.getMethodDescriptor().getFullMethodName();
      if (!ALWAYS.contains(call.getMethodDescriptor().getServiceName())
          && !method.equals(AdmissionMonitorServiceGrpc.getGetClusterStatusMethod().getFullMethodName())) {
        call.close(Status.UNAVAILABLE.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }
    return next.startCall(call, headers);
  }
}
