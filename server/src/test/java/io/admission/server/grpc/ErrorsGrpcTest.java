package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.MINUTE;
import static io.admission.server.grpc.GrpcFixture.SECOND;
import static io.admission.server.grpc.GrpcFixture.assertCode;
import static io.admission.server.grpc.GrpcFixture.assertInvalid;
import static io.admission.server.grpc.GrpcFixture.call;
import static io.admission.server.grpc.GrpcFixture.dur;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.admission.v1.AcquireRequest;
import io.admission.v1.CallType;
import io.admission.v1.DailyCap;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.RampStep;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RemoveAgentRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetReservationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Refusals over gRPC: bad input is INVALID_ARGUMENT naming the field in a google.rpc.BadRequest,
 * and nothing changes; unknown orgs, reused call_ids and over-reserving get their own codes.
 */
class ErrorsGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  /** Org "acme": 3 slots, 1 reserved for agent-1's web calls, c-1 running. */
  @BeforeEach
  void acmeWithOneCallRunning() {
    f.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(3)
        .setDefaultLeaseTtl(dur(MINUTE)).build());
    f.await(f.admin.setReservation(reservation("agent-1", 1)));
    f.acquire("acme", "c-1");
  }

  private static SetReservationRequest reservation(String agent, int slots) {
    return SetReservationRequest.newBuilder().setOrgId("acme").setAgentId(agent)
        .setCallType(CallType.CALL_TYPE_WEBCALL).setSlots(slots).build();
  }

  /** One bad request: a name for the report, the field it must name, and how to send it. */
  record BadInput(String name, String field, Function<GrpcFixture, Future<?>> send) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static BadInput acquire(String name, String field, AcquireRequest.Builder request) {
    return new BadInput(name, field, fx -> fx.admission.acquire(request.build()));
  }

  private static BadInput putOrg(String name, String field, Org.Builder org) {
    return new BadInput(name, field,
        fx -> fx.admin.putOrg(PutOrgRequest.newBuilder().setOrg(org).build()));
  }

  private static Org.Builder acme() {
    return Org.newBuilder().setOrgId("acme").setConcurrencyLimit(3);
  }

  static Stream<BadInput> badInputs() {
    return Stream.of(
        acquire("missing org_id", "org_id", call("", "c-9")),
        acquire("missing call_id", "call_id", call("acme", "")),
        acquire("call_id of 129 bytes", "call_id", call("acme", "x".repeat(129))),
        acquire("call_id of 65 two-byte characters", "call_id", call("acme", "é".repeat(65))),
        acquire("call_id with a control character", "call_id", call("acme", "c-\u00079")),
        acquire("call_id with a newline", "call_id", call("acme", "c-9\n")),
        acquire("CALL_TYPE_UNSPECIFIED", "call_type",
            call("acme", "c-9").setCallType(CallType.CALL_TYPE_UNSPECIFIED)),
        acquire("unknown call type", "call_type", call("acme", "c-9").setCallTypeValue(99)),
        acquire("lease_ttl of 500 ms", "lease_ttl", call("acme", "c-9").setLeaseTtl(dur(500))),
        acquire("lease_ttl over 7 days", "lease_ttl",
            call("acme", "c-9").setLeaseTtl(dur(8 * 24 * 60 * MINUTE))),
        acquire("max_wait negative", "max_wait",
            call("acme", "c-9").setMaxWait(Duration.newBuilder().setSeconds(-1))),
        acquire("max_wait zero", "max_wait", call("acme", "c-9").setMaxWait(dur(0))),
        acquire("agent_id with a control character", "agent_id",
            call("acme", "c-9").setAgentId("a\u0000")),
        new BadInput("Renew with no ids", "call_ids",
            fx -> fx.admission.renew(RenewRequest.newBuilder().setOrgId("acme").build())),
        new BadInput("Renew with an empty id", "call_ids[1]",
            fx -> fx.admission.renew(RenewRequest.newBuilder().setOrgId("acme")
                .addCallIds("c-1").addCallIds("").build())),
        new BadInput("Release without call_id", "call_id",
            fx -> fx.admission.release(ReleaseRequest.newBuilder().setOrgId("acme").build())),
        new BadInput("PutOrg without org", "org",
            fx -> fx.admin.putOrg(PutOrgRequest.getDefaultInstance())),
        putOrg("PutOrg concurrency_limit 0", "org.concurrency_limit", acme().setConcurrencyLimit(0)),
        putOrg("PutOrg bad time_zone", "org.time_zone", acme().setTimeZone("Mars/Olympus_Mons")),
        putOrg("PutOrg default_lease_ttl of 500 ms", "org.default_lease_ttl",
            acme().setDefaultLeaseTtl(dur(500))),
        putOrg("PutOrg bad daily_cap.start_date", "org.daily_cap.start_date",
            acme().setDailyCap(DailyCap.newBuilder().setCap(100).setStartDate("2026-02-30")
                .addRamp(RampStep.newBuilder().setThroughDay(7).setCap(10)))),
        putOrg("PutOrg ramp without start_date", "org.daily_cap.start_date",
            acme().setDailyCap(DailyCap.newBuilder().setCap(100)
                .addRamp(RampStep.newBuilder().setThroughDay(7).setCap(10)))),
        putOrg("PutOrg ramp steps not ascending", "org.daily_cap.ramp[1].through_day",
            acme().setDailyCap(DailyCap.newBuilder().setCap(100).setStartDate("2026-03-01")
                .addRamp(RampStep.newBuilder().setThroughDay(7).setCap(10))
                .addRamp(RampStep.newBuilder().setThroughDay(7).setCap(20)))),
        putOrg("PutOrg daily cap 0", "org.daily_cap.cap", acme().setDailyCap(DailyCap.newBuilder())),
        new BadInput("SetReservation CALL_TYPE_UNSPECIFIED", "call_type",
            fx -> fx.admin.setReservation(reservation("agent-1", 2).toBuilder()
                .setCallType(CallType.CALL_TYPE_UNSPECIFIED).build())),
        new BadInput("SetReservation without agent_id", "agent_id",
            fx -> fx.admin.setReservation(reservation("", 2))),
        new BadInput("RemoveAgent without agent_id", "agent_id",
            fx -> fx.admin.removeAgent(RemoveAgentRequest.newBuilder().setOrgId("acme").build())),
        new BadInput("SetLoginLimits window of 0", "limits.window",
            fx -> fx.admin.setLoginLimits(SetLoginLimitsRequest.newBuilder()
                .setOrgId("acme").setLoginId("alice")
                .setLimits(io.admission.v1.LoginLimits.newBuilder().setWindow(dur(0))).build())),
        new BadInput("GetOrg without org_id", "org_id",
            fx -> fx.admin.getOrg(GetOrgRequest.getDefaultInstance())),
        new BadInput("GetOrgStatus without org_id", "org_id",
            fx -> fx.monitor.getOrgStatus(GetOrgStatusRequest.getDefaultInstance())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInputs")
  void badInputIsInvalidArgumentNamingTheFieldAndChangesNothing(BadInput bad) {
    GetOrgResponse orgBefore = f.getOrg("acme");
    OrgStatus statusBefore = f.status("acme");

    StatusRuntimeException e = f.awaitError(bad.send().apply(f));

    assertInvalid(e, bad.field());
    assertEquals(orgBefore, f.getOrg("acme"));
    assertEquals(statusBefore, f.status("acme"));
  }

  /**
   * A value repeated in a refusal is cut short: the message travels in trailers, which clients
   * bound (8 KiB by default), so a huge value repeated whole turned the refusal into a transport
   * error at the client. Found by the fuzz test.
   */
  @Test
  void aHugeValueIsNotRepeatedWholeInItsRefusal() {
    String huge = "y".repeat(70_000);
    StatusRuntimeException zone = f.awaitError(f.admin.putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(3).setTimeZone(huge)).build()));
    assertInvalid(zone, "org.time_zone");
    assertEquals("org.time_zone: must be an IANA time zone such as \"America/New_York\", got \""
        + "y".repeat(64) + "…\" (70000 characters)", zone.getStatus().getDescription());
    StatusRuntimeException mask = f.awaitError(f.admin.updateOrg(io.admission.v1.UpdateOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("acme")).setUpdateMask(
            com.google.protobuf.FieldMask.newBuilder().addPaths(huge)).build()));
    assertInvalid(mask, "update_mask");
    assertTrue(mask.getStatus().getDescription().length() < 1_000, mask.getStatus()::getDescription);
    assertEquals(3, f.status("acme").getLimit(), "nothing changed");
  }

  @Test
  void unknownOrgIsNotFoundEverywhere() {
    assertCode(Status.Code.NOT_FOUND, f.awaitError(f.admission.acquire(call("nope", "c-1").build())));
    assertCode(Status.Code.NOT_FOUND, f.awaitError(f.admission.release(
        ReleaseRequest.newBuilder().setOrgId("nope").setCallId("c-1").build())));
    assertCode(Status.Code.NOT_FOUND, f.awaitError(f.admission.renew(
        RenewRequest.newBuilder().setOrgId("nope").addCallIds("c-1").build())));
    assertCode(Status.Code.NOT_FOUND, f.awaitError(f.admin.getOrg(
        GetOrgRequest.newBuilder().setOrgId("nope").build())));
    assertCode(Status.Code.NOT_FOUND, f.awaitError(f.admin.setReservation(
        reservation("agent-1", 1).toBuilder().setOrgId("nope").build())));
    assertCode(Status.Code.NOT_FOUND, f.awaitError(f.admin.removeAgent(
        RemoveAgentRequest.newBuilder().setOrgId("nope").setAgentId("agent-1").build())));
    assertCode(Status.Code.NOT_FOUND, f.awaitError(f.monitor.getOrgStatus(
        GetOrgStatusRequest.newBuilder().setOrgId("nope").build())));
    StatusRuntimeException e = f.awaitError(f.admin.setLoginLimits(SetLoginLimitsRequest.newBuilder()
        .setOrgId("nope").setLoginId("alice").build()));
    assertCode(Status.Code.NOT_FOUND, e);
    assertTrue(e.getStatus().getDescription().contains("nope"), e::toString);
  }

  @Test
  void theSameCallIdWithOtherParametersIsAlreadyExists() {
    OrgStatus before = f.status("acme");

    StatusRuntimeException e = f.awaitError(f.admission.acquire(
        call("acme", "c-1").setCallType(CallType.CALL_TYPE_CHAT).build()));

    assertCode(Status.Code.ALREADY_EXISTS, e);
    assertTrue(e.getStatus().getDescription().contains("c-1"), e::toString);
    assertEquals(before, f.status("acme"));
    assertCode(Status.Code.ALREADY_EXISTS, f.awaitError(f.admission.acquire(
        call("acme", "c-1").setLeaseTtl(dur(2 * MINUTE)).build())));
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire("acme", "c-1").getOutcome(), "same params: a retry");
  }

  @Test
  void aRetriedAcquireOfAnEndedCallSaysHowItEnded() {
    f.at(SECOND);
    f.release("acme", "c-1");
    f.at(10 * MINUTE - 1);

    StatusRuntimeException released = f.awaitError(f.admission.acquire(call("acme", "c-1").build()));
    assertCode(Status.Code.FAILED_PRECONDITION, released);
    String message = released.getStatus().getDescription();
    assertTrue(message.contains("c-1") && message.contains("released"), message);
    assertTrue(message.contains("2026-03-03 14:07:06 UTC"), "when it ended: " + message);
    assertEquals(0, f.status("acme").getInUse(), "never a second grant");

    f.acquire(call("acme", "c-2").setLeaseTtl(dur(5 * SECOND)));
    f.at(10 * MINUTE + 5 * SECOND);
    StatusRuntimeException expired = f.awaitError(f.admission.acquire(
        call("acme", "c-2").setLeaseTtl(dur(5 * SECOND)).build()));
    assertCode(Status.Code.FAILED_PRECONDITION, expired);
    assertTrue(expired.getStatus().getDescription().contains("expired"), expired::toString);

    f.acquire("acme", "c-3");
    f.acquire("acme", "c-4");
    f.acquire("acme", "c-5"); // held: agent-1's reserved slot is not for calls without an agent
    f.release("acme", "c-5");
    StatusRuntimeException cancelled = f.awaitError(f.admission.acquire(call("acme", "c-5").build()));
    assertCode(Status.Code.FAILED_PRECONDITION, cancelled);
    assertTrue(cancelled.getStatus().getDescription().contains("cancelled"), cancelled::toString);
  }

  @Test
  void reservingOverTheLimitIsFailedPreconditionNamingTheTotalsAndChangesNothing() {
    GetOrgResponse before = f.getOrg("acme");
    OrgStatus statusBefore = f.status("acme");

    StatusRuntimeException e = f.awaitError(f.admin.setReservation(reservation("agent-2", 3)));

    assertCode(Status.Code.FAILED_PRECONDITION, e);
    String message = e.getStatus().getDescription();
    assertTrue(message.contains("would make 4 reserved"), message);
    assertTrue(message.contains("concurrency limit of 3"), message);
    assertTrue(message.contains("1 reserved now"), message);
    assertEquals(before, f.getOrg("acme"));
    assertEquals(statusBefore, f.status("acme"));
  }

  @Test
  void aLimitBelowTheReservationsIsFailedPrecondition() {
    f.await(f.admin.setReservation(reservation("agent-2", 2)));
    GetOrgResponse before = f.getOrg("acme");

    StatusRuntimeException e = f.awaitError(f.admin.putOrg(PutOrgRequest.newBuilder()
        .setOrg(acme().setConcurrencyLimit(2)).build()));

    assertCode(Status.Code.FAILED_PRECONDITION, e);
    String message = e.getStatus().getDescription();
    assertTrue(message.contains("concurrency_limit 2") && message.contains("3 slots reserved"), message);
    assertEquals(before, f.getOrg("acme"));
  }
}
