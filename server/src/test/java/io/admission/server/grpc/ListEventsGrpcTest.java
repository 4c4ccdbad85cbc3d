package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.SECOND;
import static io.admission.server.grpc.GrpcFixture.T0;
import static io.admission.server.grpc.GrpcFixture.assertCode;
import static io.admission.server.grpc.GrpcFixture.assertInvalid;
import static io.admission.server.grpc.GrpcFixture.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.admission.client.cli.AdmissionCli;
import io.admission.server.audit.AuditLog;
import io.admission.server.engine.Engine;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import io.admission.v1.CallType;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.ListEventsResponse;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.ReleaseRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ListEvents over the in-process transport: the audit log fed by the loop (stepped by hand),
 * read in pages on the monitor service's reader threads; and {@code admission-cli events} on it.
 */
class ListEventsGrpcTest {
  private final GrpcFixture.ManualClock clock = new GrpcFixture.ManualClock(T0);
  private final EventLoop loop = new EventLoop(new Engine(), CommandLog.NONE, clock, 1024);
  private final AuditLog audit = AuditLog.inMemory(AuditLog.Options.DEFAULT, InstantSource.system());
  private final Server server;
  private final ManagedChannel channel;
  private final AdmissionServiceGrpc.AdmissionServiceFutureStub admission;
  private final AdmissionMonitorServiceGrpc.AdmissionMonitorServiceBlockingStub monitor;

  ListEventsGrpcTest() throws Exception {
    loop.observe(audit.recorder());
    String name = InProcessServerBuilder.generateName();
    server = AdmissionServices.addTo(InProcessServerBuilder.forName(name), loop,
            new HealthStatusManager(), audit)
        .directExecutor().build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    admission = AdmissionServiceGrpc.newFutureStub(channel);
    monitor = AdmissionMonitorServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    await(AdmissionAdminServiceGrpc.newFutureStub(channel).putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(100)).build()));
    await(AdmissionAdminServiceGrpc.newFutureStub(channel).putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("other").setConcurrencyLimit(100)).build()));
  }

  @AfterEach
  void close() throws Exception {
    channel.shutdownNow();
    server.shutdownNow();
    loop.close();
    audit.close();
  }

  @Test
  void pagesGoOldestFirstAndEndWithAnEmptyToken() throws Exception {
    for (int i = 0; i < 12; i++) {
      clock.set(T0 + i * SECOND);
      acquire("acme", "c" + i);
      acquire("other", "o" + i);
    }
    audit.awaitWritten();

    List<AuditEvent> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    ListEventsRequest.Builder request = ListEventsRequest.newBuilder().setOrgId("acme").setPageSize(5);
    do {
      ListEventsResponse page = monitor.listEvents(request.build());
      seen.addAll(page.getEventsList());
      sizes.add(page.getEventsCount());
      request.setPageToken(page.getNextPageToken());
    } while (!request.getPageToken().isEmpty());

    assertEquals(13, seen.size(), "the org's creation and its 12 grants");
    assertEquals(AuditEventKind.AUDIT_EVENT_KIND_ORG_CREATED, seen.get(0).getKind());
    for (int i = 1; i < seen.size(); i++) {
      assertEquals("acme", seen.get(i).getOrgId());
      assertEquals("c" + (i - 1), seen.get(i).getCallId());
      assertTrue(seen.get(i).getSequence() > seen.get(i - 1).getSequence());
    }
    assertEquals(5, sizes.get(0));
    assertEquals(13, sizes.stream().mapToInt(Integer::intValue).sum());
  }

  @Test
  void aTimeRangeSelectsStartInclusiveEndExclusive() throws Exception {
    for (int i = 0; i < 10; i++) {
      clock.set(T0 + i * SECOND);
      acquire("acme", "c" + i);
    }
    audit.awaitWritten();
    ListEventsResponse page = monitor.listEvents(ListEventsRequest.newBuilder()
        .setOrgId("acme")
        .setStartTime(ts(T0 + 3 * SECOND))
        .setEndTime(ts(T0 + 6 * SECOND))
        .build());
    assertEquals(List.of("c3", "c4", "c5"),
        page.getEventsList().stream().map(AuditEvent::getCallId).toList());
    assertEquals("", page.getNextPageToken());
  }

  @Test
  void releasesAndDispatchesAreReadBackWithTheirCalls() throws Exception {
    await(AdmissionAdminServiceGrpc.newFutureStub(channel).putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("small").setConcurrencyLimit(1)).build()));
    acquire("small", "a");
    acquire("small", "b");
    clock.set(T0 + 7 * SECOND);
    await(admission.release(ReleaseRequest.newBuilder().setOrgId("small").setCallId("a").build()));
    audit.awaitWritten();

    List<AuditEvent> events = monitor.listEvents(
        ListEventsRequest.newBuilder().setOrgId("small").build()).getEventsList();
    assertEquals(List.of(AuditEventKind.AUDIT_EVENT_KIND_ORG_CREATED,
            AuditEventKind.AUDIT_EVENT_KIND_GRANTED, AuditEventKind.AUDIT_EVENT_KIND_HELD,
            AuditEventKind.AUDIT_EVENT_KIND_RELEASED, AuditEventKind.AUDIT_EVENT_KIND_DISPATCHED),
        events.stream().map(AuditEvent::getKind).toList());
    assertEquals("b", events.get(4).getCallId());
    assertEquals(7, events.get(4).getWaited().getSeconds());
    assertEquals("login-a", events.get(3).getLoginId());
  }

  @Test
  void badRequestsNameTheirField() {
    assertInvalid(assertThrows(StatusRuntimeException.class,
        () -> monitor.listEvents(ListEventsRequest.newBuilder().build())), "org_id");
    assertInvalid(assertThrows(StatusRuntimeException.class,
        () -> monitor.listEvents(ListEventsRequest.newBuilder().setOrgId("acme")
            .setStartTime(ts(T0)).setEndTime(ts(T0)).build())), "end_time");
    assertInvalid(assertThrows(StatusRuntimeException.class,
        () -> monitor.listEvents(ListEventsRequest.newBuilder().setOrgId("acme")
            .setPageSize(1001).build())), "page_size");
    assertInvalid(assertThrows(StatusRuntimeException.class,
        () -> monitor.listEvents(ListEventsRequest.newBuilder().setOrgId("acme")
            .setPageSize(-1).build())), "page_size"); // uint32 4294967295
    assertInvalid(assertThrows(StatusRuntimeException.class,
        () -> monitor.listEvents(ListEventsRequest.newBuilder().setOrgId("acme")
            .setPageToken("bogus").build())), "page_token");
    assertInvalid(assertThrows(StatusRuntimeException.class,
        () -> monitor.listEvents(ListEventsRequest.newBuilder().setOrgId("acme")
            .setStartTime(com.google.protobuf.Timestamp.newBuilder().setNanos(-1)).build())),
        "start_time");
  }

  @Test
  void aTokenIsBoundToItsQuery() throws Exception {
    acquire("acme", "c1");
    audit.awaitWritten();
    String token = monitor.listEvents(
        ListEventsRequest.newBuilder().setOrgId("acme").setPageSize(1).build()).getNextPageToken();
    assertTrue(!token.isEmpty());
    assertInvalid(assertThrows(StatusRuntimeException.class,
        () -> monitor.listEvents(ListEventsRequest.newBuilder().setOrgId("other")
            .setPageSize(1).setPageToken(token).build())), "page_token");
  }

  @Test
  void aServerWithoutAnAuditLogSaysSo() throws Exception {
    try (GrpcFixture plain = new GrpcFixture()) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> AdmissionMonitorServiceGrpc.newBlockingStub(plain.channel)
              .listEvents(ListEventsRequest.newBuilder().setOrgId("acme").build()));
      assertCode(Status.Code.UNIMPLEMENTED, e);
    }
  }

  @Test
  void theCommandLineClientPrintsEveryPageAsJsonLines() throws Exception {
    for (int i = 0; i < 7; i++) {
      clock.set(T0 + i * SECOND);
      acquire("acme", "c" + i);
    }
    audit.awaitWritten();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = new AdmissionCli(channel).commandLine()
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute("events", "--org", "acme", "--page-size", "2",
            "--since", Instant.ofEpochMilli(T0 + 2 * SECOND).toString());

    assertEquals(0, status, err.toString());
    List<String> calls = new ArrayList<>();
    for (String line : out.toString().lines().toList()) {
      AuditEvent.Builder e = AuditEvent.newBuilder();
      JsonFormat.parser().merge(line, e);
      calls.add(e.getCallId());
    }
    assertEquals(List.of("c2", "c3", "c4", "c5", "c6"), calls);
  }

  // ---- Helpers ----------------------------------------------------------------------------

  private void acquire(String orgId, String callId) {
    await(admission.acquire(AcquireRequest.newBuilder()
        .setOrgId(orgId).setCallId(callId).setCallType(CallType.CALL_TYPE_WEBCALL)
        .setLoginId("login-" + callId).build()));
  }

  /** Steps the loop until the call answers (the loop's thread is never started). */
  private <T> T await(Future<T> future) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!future.isDone()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no answer after 5 s of stepping the loop");
      }
      loop.step();
    }
    try {
      return future.get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
