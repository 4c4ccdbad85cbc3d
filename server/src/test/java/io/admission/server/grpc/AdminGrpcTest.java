package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.HOUR;
import static io.admission.server.grpc.GrpcFixture.MINUTE;
import static io.admission.server.grpc.GrpcFixture.call;
import static io.admission.server.grpc.GrpcFixture.dur;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.CallType;
import io.admission.v1.DailyCap;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.HoldReason;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.ListOrgsResponse;
import io.admission.v1.LoginLimits;
import io.admission.v1.LoginOverride;
import io.admission.v1.NumberLimits;
import io.admission.v1.NumberOverride;
import io.admission.v1.Org;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgResponse;
import io.admission.v1.RampStep;
import io.admission.v1.RemoveAgentRequest;
import io.admission.v1.RemoveAgentResponse;
import io.admission.v1.Reservation;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetLoginLimitsResponse;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetNumberLimitsResponse;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.SetReservationResponse;
import io.admission.v1.SlotKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** AdmissionAdminService over gRPC: what operators store and read back, and what it frees. */
class AdminGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  private SetReservationResponse reserve(String org, String agent, CallType type, int slots) {
    return f.await(f.admin.setReservation(SetReservationRequest.newBuilder()
        .setOrgId(org).setAgentId(agent).setCallType(type).setSlots(slots).build()));
  }

  private SetLoginLimitsResponse loginLimits(String org, String login, LoginLimits.Builder limits) {
    return f.await(f.admin.setLoginLimits(SetLoginLimitsRequest.newBuilder()
        .setOrgId(org).setLoginId(login).setLimits(limits).build()));
  }

  private SetNumberLimitsResponse numberLimits(String org, String number, NumberLimits.Builder limits) {
    return f.await(f.admin.setNumberLimits(SetNumberLimitsRequest.newBuilder()
        .setOrgId(org).setNumber(number).setLimits(limits).build()));
  }

  @Test
  void putOrgCreatesThenReplaces() {
    Org org = Org.newBuilder()
        .setOrgId("acme")
        .setConcurrencyLimit(20)
        .setTimeZone("America/New_York")
        .setDefaultLeaseTtl(dur(2 * MINUTE))
        .setDailyCap(DailyCap.newBuilder().setCap(500).setStartDate("2026-03-01")
            .addRamp(RampStep.newBuilder().setThroughDay(7).setCap(50))
            .addCountedCallTypes(CallType.CALL_TYPE_OUTBOUND))
        .setLoginDefaults(LoginLimits.newBuilder().setMaxConcurrent(3))
        .setNumberDefaults(NumberLimits.newBuilder().setMaxPerDay(100))
        .build();

    PutOrgResponse created = f.putOrg(org);
    assertTrue(created.getCreated());
    assertEquals(org, created.getOrg(), "stored as given");

    PutOrgResponse replaced = f.putOrg(org.toBuilder().setConcurrencyLimit(100).build());
    assertFalse(replaced.getCreated());
    assertEquals(100, replaced.getOrg().getConcurrencyLimit());
    assertEquals(replaced.getOrg(), f.getOrg("acme").getOrg());
    assertEquals(100, f.status("acme").getLimit());
  }

  @Test
  void getOrgReturnsReservationsAndOverridesSortedAndPutOrgKeepsThem() {
    f.putOrg("acme", 10);
    reserve("acme", "zoe", CallType.CALL_TYPE_CHAT, 2);
    reserve("acme", "adam", CallType.CALL_TYPE_INBOUND, 1);
    reserve("acme", "adam", CallType.CALL_TYPE_WEBCALL, 3);
    reserve("acme", "gone", CallType.CALL_TYPE_WEBCALL, 1);
    reserve("acme", "gone", CallType.CALL_TYPE_WEBCALL, 0); // 0 removes it
    loginLimits("acme", "bob", LoginLimits.newBuilder().setMaxPerWindow(50));
    loginLimits("acme", "alice", LoginLimits.newBuilder().setMaxConcurrent(0));
    loginLimits("acme", "carol", LoginLimits.newBuilder().setMaxConcurrent(5));
    loginLimits("acme", "carol", LoginLimits.newBuilder()); // empty removes the override
    numberLimits("acme", "+15550100", NumberLimits.newBuilder().setMaxPerHour(20));

    f.putOrg("acme", 12);
    GetOrgResponse got = f.getOrg("acme");

    assertEquals(12, got.getOrg().getConcurrencyLimit());
    assertEquals(List.of(
        Reservation.newBuilder().setAgentId("adam").setCallType(CallType.CALL_TYPE_WEBCALL).setSlots(3).build(),
        Reservation.newBuilder().setAgentId("adam").setCallType(CallType.CALL_TYPE_INBOUND).setSlots(1).build(),
        Reservation.newBuilder().setAgentId("zoe").setCallType(CallType.CALL_TYPE_CHAT).setSlots(2).build()),
        got.getReservationsList());
    assertEquals(List.of(
        LoginOverride.newBuilder().setLoginId("alice")
            .setLimits(LoginLimits.newBuilder().setMaxConcurrent(0)).build(),
        LoginOverride.newBuilder().setLoginId("bob")
            .setLimits(LoginLimits.newBuilder().setMaxPerWindow(50)).build()),
        got.getLoginLimitsList());
    assertTrue(got.getLoginLimits(0).getLimits().hasMaxConcurrent(), "an explicit 0 is kept");
    assertEquals(List.of(NumberOverride.newBuilder().setNumber("+15550100")
        .setLimits(NumberLimits.newBuilder().setMaxPerHour(20)).build()), got.getNumberLimitsList());
  }

  @Test
  void listOrgsPagesThroughEveryOrgInIdOrderExactlyOnce() {
    for (String id : List.of("delta", "alpha", "echo", "charlie", "bravo")) {
      f.putOrg(id, 1);
    }
    List<String> seen = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String token = "";
    do {
      ListOrgsResponse page = f.await(f.admin.listOrgs(
          ListOrgsRequest.newBuilder().setPageSize(2).setPageToken(token).build()));
      page.getOrgsList().forEach(o -> seen.add(o.getOrgId()));
      pageSizes.add(page.getOrgsCount());
      token = page.getNextPageToken();
    } while (!token.isEmpty() && pageSizes.size() < 10);

    assertEquals(List.of("alpha", "bravo", "charlie", "delta", "echo"), seen);
    assertEquals(List.of(2, 2, 1), pageSizes);

    ListOrgsResponse all = f.await(f.admin.listOrgs(ListOrgsRequest.getDefaultInstance()));
    assertEquals(5, all.getOrgsCount());
    assertTrue(all.getNextPageToken().isEmpty());
  }

  @Test
  void setReservationReportsTotalsAndShared() {
    f.putOrg("acme", 10);
    reserve("acme", "adam", CallType.CALL_TYPE_WEBCALL, 3);

    SetReservationResponse r = reserve("acme", "zoe", CallType.CALL_TYPE_CHAT, 2);

    assertEquals(Reservation.newBuilder().setAgentId("zoe").setCallType(CallType.CALL_TYPE_CHAT)
        .setSlots(2).build(), r.getReservation());
    assertEquals(5, r.getReservedTotal());
    assertEquals(5, r.getSharedCapacity());
  }

  @Test
  void removeAgentReturnsItsSlotsToTheSharedPoolAndDispatchesAWaiter() {
    f.putOrg("acme", 3);
    reserve("acme", "adam", CallType.CALL_TYPE_WEBCALL, 2);
    reserve("acme", "adam", CallType.CALL_TYPE_CHAT, 1);
    f.acquire(call("acme", "c-adam").setAgentId("adam"));
    assertEquals(Outcome.OUTCOME_HELD, f.acquire(call("acme", "c-zoe").setAgentId("zoe")).getOutcome());
    GrpcFixture.Watch w = f.watch("acme", "c-zoe");
    assertTrue(w.events().get(0).getHeld().getMessage().contains("no shared slots"),
        w.events().get(0).toString());

    RemoveAgentResponse r = f.await(f.admin.removeAgent(
        RemoveAgentRequest.newBuilder().setOrgId("acme").setAgentId("adam").build()));

    assertEquals(3, r.getFreedSlots());
    assertEquals(3, r.getSharedCapacity());
    f.awaitEnd(w);
    assertTrue(w.completedNormally());
    assertEquals(SlotKind.SLOT_KIND_SHARED, w.events().get(1).getDispatched().getSlotKind());
    assertEquals(0, f.getOrg("acme").getReservationsCount());
    assertEquals(2, f.status("acme").getInUse(), "adam's running call was not interrupted");

    RemoveAgentResponse again = f.await(f.admin.removeAgent(
        RemoveAgentRequest.newBuilder().setOrgId("acme").setAgentId("adam").build()));
    assertEquals(0, again.getFreedSlots());
  }

  @Test
  void setLoginLimitsReturnsStoredAndEffectiveLimits() {
    f.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(10)
        .setLoginDefaults(LoginLimits.newBuilder().setMaxPerWindow(100)).build());

    SetLoginLimitsResponse r = loginLimits("acme", "alice", LoginLimits.newBuilder().setMaxConcurrent(0));

    assertEquals(LoginLimits.newBuilder().setMaxConcurrent(0).build(), r.getLimits());
    assertTrue(r.getLimits().hasMaxConcurrent());
    assertFalse(r.getLimits().hasMaxPerWindow(), "unset stays unset: it inherits");
    assertEquals(LoginLimits.newBuilder()
        .setMaxConcurrent(0).setMaxPerWindow(100).setWindow(dur(HOUR)).build(), r.getEffective());

    SetLoginLimitsResponse bob = loginLimits("acme", "bob", LoginLimits.newBuilder().setWindow(dur(15 * MINUTE)));
    assertEquals(LoginLimits.newBuilder()
        .setMaxConcurrent(2).setMaxPerWindow(100).setWindow(dur(15 * MINUTE)).build(), bob.getEffective());
  }

  @Test
  void raisingALoginsLimitDispatchesItsHeldCall() {
    f.putOrg("acme", 10);
    f.acquire(call("acme", "c-1").setLoginId("alice"));
    f.acquire(call("acme", "c-2").setLoginId("alice"));
    var held = f.acquire(call("acme", "c-3").setLoginId("alice"));
    assertEquals(HoldReason.HOLD_REASON_LOGIN_CONCURRENCY, held.getHold().getReason());
    assertTrue(held.getHold().getMessage().contains("alice has 2/2"), held.getHold().getMessage());
    GrpcFixture.Watch w = f.watch("acme", "c-3");

    loginLimits("acme", "alice", LoginLimits.newBuilder().setMaxConcurrent(3));

    f.awaitEnd(w);
    assertEquals("c-3", w.events().get(1).getDispatched().getCallId());
  }

  @Test
  void setNumberLimitsReturnsStoredAndEffectiveCaps() {
    f.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(10)
        .setNumberDefaults(NumberLimits.newBuilder().setMaxPerDay(500)).build());

    SetNumberLimitsResponse r = numberLimits("acme", "+15550100", NumberLimits.newBuilder().setMaxPerHour(20));

    assertEquals(NumberLimits.newBuilder().setMaxPerHour(20).build(), r.getLimits());
    assertFalse(r.getLimits().hasMaxPerDay());
    assertEquals(NumberLimits.newBuilder().setMaxPerDay(500).setMaxPerHour(20).setMaxConcurrent(0).build(),
        r.getEffective());
    assertTrue(r.getEffective().hasMaxConcurrent(), "every effective field is set; 0 = no limit");
  }
}
