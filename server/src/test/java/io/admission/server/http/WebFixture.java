package io.admission.server.http;

import io.admission.server.api.ClusterView;
import io.admission.server.auth.AccessControl;
import io.admission.server.engine.Engine;
import io.admission.server.grpc.AdmissionServices;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.LoginLimits;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetReservationRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The server much as Main assembles it, in this JVM: the loop with the real clock on a
 * single-thread executor (standing in for the transport's I/O thread, which Main runs it on),
 * gRPC over Netty and the web page, each on a free loopback port. Tests drive it through gRPC, as
 * switches and operators do, and watch it through the web page.
 */
final class WebFixture implements AutoCloseable {
  final EventLoop loop = new EventLoop(new Engine(), CommandLog.NONE, Clock.systemUTC(), 4096);
  private final ScheduledExecutorService loopThread =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "test-loop"));
  final Server grpc;
  final WebServer web;
  final ManagedChannel channel;
  final AdmissionServiceGrpc.AdmissionServiceBlockingStub admission;
  final AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub admin;
  final AdmissionMonitorServiceGrpc.AdmissionMonitorServiceBlockingStub monitor;

  WebFixture() throws IOException {
    this(AccessControl.off());
  }

  /** The web page checks callers with {@code access}; gRPC stays open, for the test to set up. */
  WebFixture(AccessControl access) throws IOException {
    this(access, ClusterView.alone("local", "127.0.0.1"));
  }

  /** The same, gRPC and the web page showing {@code cluster} (a fake one: the loop runs alone). */
  WebFixture(AccessControl access, ClusterView cluster) throws IOException {
    loop.startOn(loopThread);
    grpc = AdmissionServices.addTo(
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), loop,
            new HealthStatusManager(), null, null, null, cluster)
        .directExecutor()
        .build()
        .start();
    web = WebServer.start(new InetSocketAddress("127.0.0.1", 0), loop, cluster, access, null);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpc.getPort()).usePlaintext().build();
    admission = AdmissionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
    admin = AdmissionAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
    monitor = AdmissionMonitorServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
  }

  /** The page's address, e.g. {@code http://127.0.0.1:40123}, without a trailing slash. */
  String url() {
    return "http://127.0.0.1:" + web.address().getPort();
  }

  void putOrg(Org org) {
    admin.putOrg(PutOrgRequest.newBuilder().setOrg(org).build());
  }

  void reserve(String orgId, String agentId, CallType type, int slots) {
    admin.setReservation(SetReservationRequest.newBuilder()
        .setOrgId(orgId).setAgentId(agentId).setCallType(type).setSlots(slots).build());
  }

  void loginLimit(String orgId, String loginId, int maxConcurrent) {
    admin.setLoginLimits(SetLoginLimitsRequest.newBuilder()
        .setOrgId(orgId).setLoginId(loginId)
        .setLimits(LoginLimits.newBuilder().setMaxConcurrent(maxConcurrent)).build());
  }

  AcquireResponse acquire(String orgId, String callId, String agentId, CallType type, String loginId) {
    return admission.acquire(AcquireRequest.newBuilder()
        .setOrgId(orgId).setCallId(callId).setAgentId(agentId).setCallType(type).setLoginId(loginId)
        .build());
  }

  void release(String orgId, String callId) {
    admission.release(ReleaseRequest.newBuilder().setOrgId(orgId).setCallId(callId).build());
  }

  OrgStatus status(String orgId) {
    return monitor.getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(orgId).build()).getStatus();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    web.close();
    grpc.shutdownNow();
    try {
      grpc.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    loop.close();
    loopThread.shutdownNow();
  }
}
