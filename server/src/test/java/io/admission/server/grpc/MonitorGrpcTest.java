package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.HOUR;
import static io.admission.server.grpc.GrpcFixture.T0;
import static io.admission.server.grpc.GrpcFixture.call;
import static io.admission.server.grpc.GrpcFixture.dur;
import static io.admission.server.grpc.GrpcFixture.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.admission.v1.AgentStatus;
import io.admission.v1.AgentTypeStatus;
import io.admission.v1.CallType;
import io.admission.v1.HoldCount;
import io.admission.v1.HoldReason;
import io.admission.v1.LoginLevel;
import io.admission.v1.LoginStatus;
import io.admission.v1.OrgStatus;
import io.admission.v1.SetReservationRequest;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** AdmissionMonitorService and gRPC health over the in-process transport. */
class MonitorGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void orgStatusShowsThePoolAgentsAndLogins() {
    f.putOrg("acme", 3);
    f.await(f.admin.setReservation(SetReservationRequest.newBuilder().setOrgId("acme")
        .setAgentId("adam").setCallType(CallType.CALL_TYPE_WEBCALL).setSlots(1).build()));
    f.acquire(call("acme", "c-1").setAgentId("adam").setLoginId("alice"));
    f.acquire(call("acme", "c-2").setAgentId("adam"));
    f.acquire(call("acme", "c-3").setAgentId("zoe").setCallType(CallType.CALL_TYPE_CHAT));
    f.acquire(call("acme", "c-4")); // held: the shared pool (2) is full

    OrgStatus s = f.status("acme");

    assertEquals("acme", s.getOrgId());
    assertEquals(3, s.getLimit());
    assertEquals(3, s.getInUse());
    assertEquals(2, s.getSharedCapacity());
    assertEquals(2, s.getSharedInUse());
    assertEquals(1, s.getQueued());
    assertEquals(ts(T0), s.getAsOf());
    assertEquals(List.of(HoldCount.newBuilder()
        .setReason(HoldReason.HOLD_REASON_ORG_POOL_FULL).setCount(1).build()), s.getHeldByReasonList());
    assertEquals(List.of(
        AgentStatus.newBuilder()
            .setAgentId("adam").setUsingReserved(1).setUsingShared(1).setReservedTotal(1)
            .addTypes(AgentTypeStatus.newBuilder().setCallType(CallType.CALL_TYPE_WEBCALL)
                .setReserved(1).setActive(2).setUsingReserved(1).setUsingShared(1))
            .build(),
        AgentStatus.newBuilder()
            .setAgentId("zoe").setUsingReserved(0).setUsingShared(1).setReservedTotal(0)
            .addTypes(AgentTypeStatus.newBuilder().setCallType(CallType.CALL_TYPE_CHAT)
                .setReserved(0).setActive(1).setUsingReserved(0).setUsingShared(1))
            .build()),
        s.getAgentsList());
    assertEquals(List.of(LoginStatus.newBuilder()
        .setLoginId("alice")
        .setActive(1)
        .setMaxConcurrent(2)
        .setLastWindow(1)
        .setMaxPerWindow(250)
        .setWindow(dur(HOUR))
        .setLevel(LoginLevel.LOGIN_LEVEL_OK)
        .setLine("Active now: 1/2 concurrent · Last hour: 1/250")
        .setQueued(0)
        .build()), s.getLoginsList());
    assertEquals(0, s.getDaily().getCap(), "no daily cap");
    assertEquals(ts(Instant.parse("2026-03-04T00:00:00Z").toEpochMilli()), s.getDaily().getResetsAt());
  }

  @Test
  void healthReportsWhatTheServerSet() {
    var health = HealthGrpc.newBlockingStub(f.channel);
    HealthCheckRequest whole = HealthCheckRequest.newBuilder().setService("").build();

    f.health.setStatus("", ServingStatus.NOT_SERVING);
    assertEquals(ServingStatus.NOT_SERVING, health.check(whole).getStatus());

    f.health.setStatus("", ServingStatus.SERVING); // as Main does once state is loaded
    for (String name : AdmissionServices.NAMES) {
      f.health.setStatus(name, ServingStatus.SERVING);
    }
    assertEquals(ServingStatus.SERVING, health.check(whole).getStatus());
    for (String name : AdmissionServices.NAMES) {
      assertEquals(ServingStatus.SERVING,
          health.check(HealthCheckRequest.newBuilder().setService(name).build()).getStatus(), name);
    }
  }
}
