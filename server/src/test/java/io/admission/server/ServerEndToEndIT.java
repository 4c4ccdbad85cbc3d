package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.HoldReason;
import io.admission.v1.LoginLimits;
import io.admission.v1.OrgStatus;
import io.admission.v1.Outcome;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Timestamps;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real jar over TCP with the demo config: acquire until held, watch the hold on WaitForSlot,
 * release, and see the dispatch pushed on the stream — what the README walks a new user through.
 */
class ServerEndToEndIT {
  private static ServerProcess server;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    server = ServerProcess.start("--in-memory", "--config", Path.of("..", "config", "demo.json").toString());
    channel = Grpc.newChannelBuilder(server.target(), InsecureChannelCredentials.create()).build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  @Test
  void healthIsServingOnceTheConfigIsLoaded() {
    HealthCheckResponse health = HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
    // Alone, it is its own leader: a client that prefers the leader sends it everything.
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService("admission.leader").build()).getStatus());
  }

  @Test
  void heldCallIsDispatchedOverWaitForSlotWhenASlotFrees() {
    var calls = AdmissionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    // "tiny" has a limit of 2 in the demo config.
    assertEquals(Outcome.OUTCOME_GRANTED, calls.acquire(acquire("e2e-1", "alice")).getOutcome());
    assertEquals(Outcome.OUTCOME_GRANTED, calls.acquire(acquire("e2e-2", "bob")).getOutcome());
    AcquireResponse third = calls.acquire(acquire("e2e-3", "carol"));
    assertEquals(Outcome.OUTCOME_HELD, third.getOutcome());
    assertEquals(HoldReason.HOLD_REASON_ORG_POOL_FULL, third.getHold().getReason());
    assertEquals(1, third.getHold().getPosition());
    assertFalse(third.getHold().getMessage().isEmpty());

    Iterator<WaitForSlotResponse> stream = calls.waitForSlot(
        WaitForSlotRequest.newBuilder().setOrgId("tiny").setCallId("e2e-3").build());
    assertTrue(stream.next().hasHeld(), "the first event is the current state: held");

    assertEquals(ReleaseEffect.RELEASE_EFFECT_RELEASED, calls.release(
        ReleaseRequest.newBuilder().setOrgId("tiny").setCallId("e2e-1").build()).getEffect());
    WaitForSlotResponse pushed = stream.next();
    assertTrue(pushed.hasDispatched(), "dispatch pushed when the slot freed: " + pushed);
    assertEquals("e2e-3", pushed.getDispatched().getCallId());
    assertFalse(stream.hasNext(), "dispatched ends the stream");

    OrgStatus status = AdmissionMonitorServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId("tiny").build()).getStatus();
    assertEquals(2, status.getInUse());
    assertEquals(0, status.getQueued());

    for (String id : new String[] {"e2e-2", "e2e-3"}) {
      calls.release(ReleaseRequest.newBuilder().setOrgId("tiny").setCallId(id).build());
    }
  }

  @Test
  void callHeldByTheLoginWindowIsDispatchedTheMomentTheWindowRolls() {
    var admin = AdmissionAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    var calls = AdmissionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    // One call per rolling 2 s for login "pacer" (concurrency switched off with an explicit 0).
    admin.setLoginLimits(SetLoginLimitsRequest.newBuilder().setOrgId("acme").setLoginId("pacer")
        .setLimits(LoginLimits.newBuilder().setMaxConcurrent(0).setMaxPerWindow(1)
            .setWindow(Duration.newBuilder().setSeconds(2)))
        .build());
    AcquireResponse first = calls.acquire(AcquireRequest.newBuilder().setOrgId("acme")
        .setCallId("pace-1").setCallType(CallType.CALL_TYPE_WEBCALL).setLoginId("pacer").build());
    assertEquals(Outcome.OUTCOME_GRANTED, first.getOutcome());
    AcquireResponse second = calls.acquire(AcquireRequest.newBuilder().setOrgId("acme")
        .setCallId("pace-2").setCallType(CallType.CALL_TYPE_WEBCALL).setLoginId("pacer").build());
    assertEquals(Outcome.OUTCOME_HELD, second.getOutcome());
    assertEquals(HoldReason.HOLD_REASON_LOGIN_RATE, second.getHold().getReason());
    Timestamp readyAt = second.getHold().getReadyAt();
    long grantedMillis = Timestamps.toMillis(first.getLease().getGrantedAt());
    assertEquals(grantedMillis + 2000, Timestamps.toMillis(readyAt), "ready when the start leaves the window");
    assertTrue(second.getHold().getMessage().contains("room at"), second.getHold().getMessage());

    Iterator<WaitForSlotResponse> stream = calls.waitForSlot(
        WaitForSlotRequest.newBuilder().setOrgId("acme").setCallId("pace-2").build());
    WaitForSlotResponse event = stream.next();
    if (event.hasHeld()) {
      event = stream.next(); // pushed by the loop's timer; nobody polls
    }
    assertTrue(event.hasDispatched(), event.toString());
    assertEquals(Timestamps.toMillis(readyAt), Timestamps.toMillis(event.getDispatched().getGrantedAt()),
        "dispatched at the exact moment the window rolled");
    calls.release(ReleaseRequest.newBuilder().setOrgId("acme").setCallId("pace-1").build());
    calls.release(ReleaseRequest.newBuilder().setOrgId("acme").setCallId("pace-2").build());
  }

  private static AcquireRequest acquire(String callId, String login) {
    return AcquireRequest.newBuilder()
        .setOrgId("tiny").setCallId(callId).setCallType(CallType.CALL_TYPE_OUTBOUND).setLoginId(login).build();
  }
}
