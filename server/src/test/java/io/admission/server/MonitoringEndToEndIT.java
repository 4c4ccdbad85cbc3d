package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import io.admission.v1.CallType;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.ReleaseRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real jar with {@code --metrics} and a data directory: Prometheus scrapes Admission's and
 * gRPC's metrics, and the audit log is read over TCP, survives a {@code kill -9} (for events
 * older than its 1 s sync interval) and names calls from before the restart.
 */
class MonitoringEndToEndIT {
  @TempDir
  Path data;

  @Test
  void metricsAreScrapedAndTheAuditLogSurvivesACrash() throws Exception {
    int metricsPort = freePort();
    String[] args = {"--data-dir", data.toString(), "--metrics", "127.0.0.1:" + metricsPort,
        "--audit-retention", "2d"};
    ServerProcess server = ServerProcess.start(args);
    try {
      ManagedChannel channel = channel(server);
      AdmissionAdminServiceGrpc.newBlockingStub(channel).putOrg(PutOrgRequest.newBuilder()
          .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(1)).build());
      var admission = AdmissionServiceGrpc.newBlockingStub(channel);
      admission.acquire(call("c1", "alice"));
      admission.acquire(call("c2", "bob")); // held
      admission.release(ReleaseRequest.newBuilder().setOrgId("acme").setCallId("c1").build());

      String metrics = scrape(metricsPort);
      assertTrue(metrics.contains("admission_decisions_total{"), metrics);
      assertTrue(metrics.contains("admission_outcome=\"held\""), metrics);
      assertTrue(metrics.contains("admission_dispatches_total"), metrics);
      assertTrue(metrics.contains("admission_wait_duration_seconds_bucket"), metrics);
      assertTrue(metrics.contains("admission_pool_in_use{admission_org_id=\"acme\""), metrics);
      assertTrue(metrics.contains("admission_loop_turn_duration_seconds"), metrics);
      assertTrue(metrics.contains("rpc_server"), "gRPC server metrics: " + metrics);

      List<AuditEvent> before = awaitEvents(channel, events -> events.size() == 5);
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      Thread.sleep(2_500); // past the audit log's 1 s sync interval: the events are durable now

      server = server.restart(); // SIGKILL, then the same arguments
      channel = channel(server);
      String restarted = scrape(metricsPort);
      assertTrue(restarted.lines().anyMatch(l -> l.startsWith("admission_pool_in_use{")
              && l.contains("admission_org_id=\"acme\"") && l.matches(".*\\} 1(\\.0)?")),
          "the gauge starts from the recovered state: " + restarted);
      admission = AdmissionServiceGrpc.newBlockingStub(channel);
      admission.release(ReleaseRequest.newBuilder().setOrgId("acme").setCallId("c2").build());
      List<AuditEvent> after = awaitEvents(channel, events -> events.size() == 6);

      assertEquals(before, after.subList(0, 5), "what was logged before the crash is still there");
      AuditEvent released = after.get(5);
      assertEquals(AuditEventKind.AUDIT_EVENT_KIND_RELEASED, released.getKind());
      assertEquals("c2", released.getCallId());
      assertEquals("bob", released.getLoginId(), "a call from before the restart is named");
      assertTrue(released.getSequence() > after.get(4).getSequence());
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(e.getMessage() + "\nserver output:\n" + server.output(), e);
    } finally {
      server.close();
    }
  }

  private static AcquireRequest call(String callId, String loginId) {
    return AcquireRequest.newBuilder().setOrgId("acme").setCallId(callId)
        .setCallType(CallType.CALL_TYPE_OUTBOUND).setLoginId(loginId).build();
  }

  /** The org's events once {@code done} holds for them (the audit writer runs on its own thread). */
  private static List<AuditEvent> awaitEvents(ManagedChannel channel, Predicate<List<AuditEvent>> done)
      throws InterruptedException {
    var monitor = AdmissionMonitorServiceGrpc.newBlockingStub(channel);
    List<AuditEvent> events = List.of();
    for (int i = 0; i < 100; i++) {
      events = monitor.listEvents(ListEventsRequest.newBuilder().setOrgId("acme").build())
          .getEventsList();
      if (done.test(events)) {
        return events;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("audit events never complete: " + events);
  }

  private static ManagedChannel channel(ServerProcess server) {
    return Grpc.newChannelBuilder(server.target(), InsecureChannelCredentials.create()).build();
  }

  private static String scrape(int port) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
