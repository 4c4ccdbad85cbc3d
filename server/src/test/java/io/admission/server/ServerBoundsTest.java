package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each of the server's bounds, set low, over the real transport: going over one is answered with
 * the status the contract gives it and a message naming the bound, and changes nothing.
 */
class ServerBoundsTest {
  private Running server;
  private ManagedChannel channel;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private AdmissionServiceGrpc.AdmissionServiceBlockingStub calls;
  private AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub admin;
  private AdmissionMonitorServiceGrpc.AdmissionMonitorServiceBlockingStub monitor;

  @BeforeEach
  void start() throws Exception {
    server = SecureDefaultTest.start("--in-memory", "--listen", "127.0.0.1:0",
        "--max-message-bytes", "8192", "--max-id-bytes", "16", "--max-orgs", "2",
        "--max-held-calls-per-org", "2", "--max-streams-per-connection", "3");
    channel = channel();
    calls = AdmissionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    admin = AdmissionAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    monitor = AdmissionMonitorServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    admin.putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(1)).build());
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    server.close();
  }

  @Test
  void aMessageOverTheSizeBoundIsResourceExhaustedAndChangesNothing() {
    grant("c1");
    var before = lease("c1");
    RenewRequest.Builder big = RenewRequest.newBuilder().setOrgId("acme");
    for (int i = 0; i < 3000; i++) {
      big.addCallIds("c1"); // 4 bytes each on the wire: 12,000 in all
    }
    big.setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(7200));

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> calls.renew(big.build()));

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals("the request is larger than 8192 bytes (server bound --max-message-bytes)",
        e.getStatus().getDescription());
    assertEquals(before, lease("c1"), "the lease was not renewed");
  }

  @Test
  void aCompressedMessageIsBoundedByItsInflatedSize() {
    grant("c1");
    var before = lease("c1");
    RenewRequest.Builder big = RenewRequest.newBuilder().setOrgId("acme");
    for (int i = 0; i < 3000; i++) {
      big.addCallIds("c1"); // 12,000 bytes inflated, a few hundred on the wire
    }

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> calls.withCompression("gzip").renew(big.build()));

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().endsWith("(server bound --max-message-bytes)"),
        e.getStatus().getDescription());
    assertEquals(before, lease("c1"), "the lease was not renewed");
    // Under the bound a compressed request is served (held: c1 has the org's one slot).
    assertEquals(Outcome.OUTCOME_HELD,
        calls.withCompression("gzip").acquire(acquire("c2").build()).getOutcome());
  }

  @Test
  void aMessageFarOverTheBoundIsCutOffByTheTransportAndChangesNothing() {
    grant("c1");
    var before = lease("c1");
    RenewRequest.Builder huge = RenewRequest.newBuilder().setOrgId("acme");
    String id = "x".repeat(16);
    for (int i = 0; i < 300_000; i++) {
      huge.addCallIds(id); // ~5.4 MB: past the transport's own limit, 4 MiB over the bound
    }

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> calls.renew(huge.build()));

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals(before, lease("c1"), "the lease was not renewed");
  }

  @Test
  void anIdOverTheBoundIsInvalidArgumentNamingTheFieldAndTheFlag() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> calls.acquire(acquire("c1").setLoginId("a-login-of-17-byt").build()));

    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("login_id: must be at most 16 bytes (server bound --max-id-bytes)",
        e.getStatus().getDescription());
    assertEquals(0, status().getInUse());
    assertEquals(0, status().getLoginsCount());
    // Exactly at the bound is fine.
    assertEquals(Outcome.OUTCOME_GRANTED,
        calls.acquire(acquire("c1").setLoginId("a-login-of-16-by").build()).getOutcome());
  }

  @Test
  void aSessionAnswersAnIdOverTheBoundAndGoesOn() throws InterruptedException {
    LinkedBlockingQueue<SessionResponse> answers = new LinkedBlockingQueue<>();
    StreamObserver<SessionRequest> session = AdmissionServiceGrpc.newStub(channel)
        .session(new StreamObserver<>() {
          @Override
          public void onNext(SessionResponse r) {
            answers.add(r);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    session.onNext(SessionRequest.newBuilder().setId(1)
        .setAcquire(acquire("a-call-id-of-17-b")).build());
    session.onNext(SessionRequest.newBuilder().setId(2).setAcquire(acquire("c2")).build());

    SessionResponse first = answers.poll(10, TimeUnit.SECONDS);
    SessionResponse second = answers.poll(10, TimeUnit.SECONDS);
    session.onCompleted();

    assertEquals(1, first.getId());
    assertEquals("INVALID_ARGUMENT", first.getError().getCode());
    assertEquals("acquire.call_id", first.getError().getField());
    assertTrue(first.getError().getMessage().contains("--max-id-bytes"), first.toString());
    assertEquals(Outcome.OUTCOME_GRANTED, second.getAcquire().getOutcome());
  }

  @Test
  void anOrgBeyondTheBoundIsResourceExhaustedNamingTheFlag() {
    admin.putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("beta").setConcurrencyLimit(1)).build());

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> admin.putOrg(
        PutOrgRequest.newBuilder().setOrg(Org.newBuilder().setOrgId("gamma")
            .setConcurrencyLimit(1)).build()));

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().endsWith("(server bound --max-orgs)"),
        e.getStatus().getDescription());
    assertEquals(2, admin.listOrgs(ListOrgsRequest.getDefaultInstance()).getOrgsCount());
  }

  @Test
  void anAcquireThatWouldBeHeldBeyondTheBoundIsResourceExhaustedNamingTheFlag() {
    grant("c1");
    assertEquals(Outcome.OUTCOME_HELD, calls.acquire(acquire("c2").build()).getOutcome());
    assertEquals(Outcome.OUTCOME_HELD, calls.acquire(acquire("c3").build()).getOutcome());

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> calls.acquire(acquire("c4").build()));

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().endsWith("(server bound --max-held-calls-per-org)"),
        e.getStatus().getDescription());
    assertEquals(2, status().getQueued());
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> calls.waitForSlot(WaitForSlotRequest.newBuilder().setOrgId("acme").setCallId("c4")
            .build()).hasNext());
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode(), "c4 was never taken");
    assertEquals(Outcome.OUTCOME_HELD, calls.acquire(acquire("c2").build()).getOutcome(),
        "a retry of a held call is still its state");
  }

  /**
   * The streams bound is HTTP/2's MAX_CONCURRENT_STREAMS: a client does not open more on the
   * connection until one ends, so the call over the bound waits and
   * starts as soon as a stream closes; another connection is not held back.
   */
  @Test
  void aCallOverTheStreamsBoundWaitsAndOtherConnectionsAreServed() throws Exception {
    grant("c1");
    calls.acquire(acquire("c2").build());
    List<ClientCallStreamObserver<WaitForSlotRequest>> streams = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      LinkedBlockingQueue<WaitForSlotResponse> events = new LinkedBlockingQueue<>();
      AdmissionServiceGrpc.newStub(channel).waitForSlot(
          WaitForSlotRequest.newBuilder().setOrgId("acme").setCallId("c2").build(),
          new ClientResponseObserver<WaitForSlotRequest, WaitForSlotResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WaitForSlotRequest> call) {
              streams.add(call);
            }

            @Override
            public void onNext(WaitForSlotResponse r) {
              events.add(r);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      assertTrue(events.poll(10, TimeUnit.SECONDS).hasHeld(), "stream " + i + " is open");
    }

    var waiting = AdmissionMonitorServiceGrpc.newFutureStub(channel)
        .withDeadlineAfter(20, TimeUnit.SECONDS)
        .getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId("acme").build());
    Thread.sleep(1000);
    assertFalse(waiting.isDone(), "a fourth call on the connection waits");
    assertEquals(1, AdmissionMonitorServiceGrpc.newBlockingStub(channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId("acme").build())
        .getStatus().getQueued(), "another connection is served");

    waiting.cancel(true);
  }

  @Test
  void aBoundOutOfRangeIsRefusedNamingTheFlag(@TempDir Path tmp) throws Exception {
    assertTrue(usage("--max-id-bytes", "200").contains("--max-id-bytes must be from 1 to 128, got 200"));
    assertTrue(usage("--max-orgs", "0").contains("--max-orgs must be at least 1, got 0"));
    assertTrue(usage("--max-held-calls-per-org", "-1")
        .contains("--max-held-calls-per-org must be at least 1, got -1"));
    assertTrue(usage("--max-streams-per-connection", "0")
        .contains("--max-streams-per-connection must be at least 1, got 0"));
    assertTrue(usage("--max-message-bytes", "100")
        .contains("--max-message-bytes must be at least 4096, got 100"));
    assertTrue(usage("--keepalive-time", "0s").contains("--keepalive-time"));
    Path config = tmp.resolve("orgs.json");
    Files.writeString(config, """
        {"orgs": [{"org": {"orgId": "a", "concurrencyLimit": 1}},
                  {"org": {"orgId": "b", "concurrencyLimit": 1}}]}""");
    String err = SecureDefaultTest.cannotStart("--in-memory", "--listen", "127.0.0.1:0",
        "--config", config.toString(), "--max-orgs", "1");
    assertTrue(err.startsWith("admission-server: --config " + config + ": max-orgs: "), err);
  }

  private static String usage(String... args) {
    java.io.StringWriter err = new java.io.StringWriter();
    List<String> all = new ArrayList<>(List.of("--in-memory", "--listen", "127.0.0.1:0"));
    all.addAll(List.of(args));
    picocli.CommandLine cli = new picocli.CommandLine(new Main())
        .setErr(new java.io.PrintWriter(err));
    assertEquals(picocli.CommandLine.ExitCode.USAGE, cli.execute(all.toArray(new String[0])),
        err.toString());
    return err.toString();
  }

  private ManagedChannel channel() {
    ManagedChannel c = Grpc.newChannelBuilder("127.0.0.1:" + server.port(),
        InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  private void grant(String callId) {
    AcquireResponse r = calls.acquire(acquire(callId).build());
    assertEquals(Outcome.OUTCOME_GRANTED, r.getOutcome());
  }

  private static AcquireRequest.Builder acquire(String callId) {
    return AcquireRequest.newBuilder().setOrgId("acme").setCallId(callId)
        .setCallType(CallType.CALL_TYPE_OUTBOUND);
  }

  /** The call's lease as a WaitForSlot opened on it now gives it. */
  private io.admission.v1.Lease lease(String callId) {
    return calls.waitForSlot(WaitForSlotRequest.newBuilder().setOrgId("acme").setCallId(callId)
        .build()).next().getDispatched();
  }

  private OrgStatus status() {
    return monitor.getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId("acme").build())
        .getStatus();
  }
}
