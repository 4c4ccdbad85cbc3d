package io.admission.server.grpc;

import io.admission.server.api.ClusterView;
import io.admission.server.audit.AuditReader;
import io.admission.server.auth.AccessControl;
import io.admission.server.auth.AccessInterceptor;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.grpc.ServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.util.List;

/**
 * Puts Admission on a {@link ServerBuilder} (netty in Main, in-process in tests): the three
 * services, gRPC health, and server reflection v1 and v1alpha so that grpcurl and buf curl work
 * without the .proto files.
 */
public final class AdmissionServices {
  private AdmissionServices() {}

  /** Service names reported by health, besides "" for the whole server. */
  public static final List<String> NAMES = List.of(
      AdmissionServiceGrpc.SERVICE_NAME,
      AdmissionAdminServiceGrpc.SERVICE_NAME,
      AdmissionMonitorServiceGrpc.SERVICE_NAME);

  /**
   * A health service name that is SERVING only on the node that leads the cluster (every group of
   * it), and on a server that runs alone. Every node serves every RPC, but a write sent to a
   * follower costs it a hop to the leader and a wait until it has applied the entry itself; the
   * Java client sends to the node that says this when one does.
   */
  public static final String LEADER = "admission.leader";

  public static <T extends ServerBuilder<T>> T addTo(T builder, EventLoop loop, HealthStatusManager health) {
    return addTo(builder, loop, health, null);
  }

  /** The same, with {@code audit} behind AdmissionMonitorService.ListEvents (null: none). */
  public static <T extends ServerBuilder<T>> T addTo(
      T builder, EventLoop loop, HealthStatusManager health, AuditReader audit) {
    return addTo(builder, loop, health, audit, null);
  }

  /**
   * The same, every call checked by {@code access} ({@link AccessInterceptor}; null: none, every
   * caller is admin), with no session that calls can be bound to.
   */
  public static <T extends ServerBuilder<T>> T addTo(T builder, EventLoop loop,
      HealthStatusManager health, AuditReader audit, AccessControl access) {
    return addTo(builder, loop, health, audit, access, null);
  }

  /**
   * The same, Session streams binding calls to {@code sessions} (null: Session's {@code open} is
   * UNIMPLEMENTED). The caller starts and closes {@code sessions}.
   */
  public static <T extends ServerBuilder<T>> T addTo(T builder, EventLoop loop,
      HealthStatusManager health, AuditReader audit, AccessControl access, BoundSessions sessions) {
    return addTo(builder, loop, health, audit, access, sessions, ClusterView.alone("local", "in-process"));
  }

  /**
   * The same, as a node of {@code cluster}: GetClusterStatus reports it, and while the node has no
   * quorum every call but health, reflection and GetClusterStatus is refused UNAVAILABLE.
   */
  public static <T extends ServerBuilder<T>> T addTo(T builder, EventLoop loop,
      HealthStatusManager health, AuditReader audit, AccessControl access, BoundSessions sessions,
      ClusterView cluster) {
    return addTo(builder, Loops.of(loop), health, audit, access, sessions, cluster, Integer.MAX_VALUE);
  }

  /**
   * The same, with orgs spread over several groups' loops ({@code --groups}), and a request larger
   * than {@code maxMessageBytes} refused RESOURCE_EXHAUSTED naming {@code --max-message-bytes}; the
   * builder's own inbound limit must be above it, or the transport refuses first in its own words.
   */
  @SuppressWarnings("deprecation") // v1alpha reflection: older grpcurl and grpc-js clients ask for it
  public static <T extends ServerBuilder<T>> T addTo(T builder, Loops loops,
      HealthStatusManager health, AuditReader audit, AccessControl access, BoundSessions sessions,
      ClusterView cluster, int maxMessageBytes) {
    // Interceptors run last-added first: access is checked before the quorum, so an unknown
    // caller learns nothing about the cluster's state.
    builder.intercept(new QuorumGate(cluster));
    if (access != null) {
      builder.intercept(new AccessInterceptor(access));
    }
    // Each guarded: a request that is not its method's message is INVALID_ARGUMENT, not UNKNOWN,
    // and one over the size bound names the bound.
    int max = maxMessageBytes;
    return builder
        .addService(MalformedRequests.guard(new AdmissionGrpcService(loops, sessions).bindService(), max))
        .addService(MalformedRequests.guard(new AdminGrpcService(loops).bindService(), max))
        .addService(MalformedRequests.guard(new MonitorGrpcService(loops, audit, cluster).bindService(), max))
        .addService(MalformedRequests.guard(health.getHealthService().bindService(), max))
        .addService(MalformedRequests.guard(ProtoReflectionServiceV1.newInstance().bindService(), max))
        .addService(MalformedRequests.guard(ProtoReflectionService.newInstance().bindService(), max));
  }
}
