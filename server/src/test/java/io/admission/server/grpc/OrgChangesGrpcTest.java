package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.MINUTE;
import static io.admission.server.grpc.GrpcFixture.assertCode;
import static io.admission.server.grpc.GrpcFixture.assertInvalid;
import static io.admission.server.grpc.GrpcFixture.call;
import static io.admission.server.grpc.GrpcFixture.dur;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.FieldMask;
import com.google.rpc.PreconditionFailure;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.DailyCap;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.DeleteOrgResponse;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.LoginLimits;
import io.admission.v1.NumberLimits;
import io.admission.v1.Org;
import io.admission.v1.Outcome;
import io.admission.v1.RampStep;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.UpdateOrgRequest;
import io.admission.v1.UpdateOrgResponse;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * UpdateOrg (AIP-134 update_mask) and DeleteOrg over gRPC: an update changes only the fields its
 * mask names and an empty mask is refused; a delete is refused, naming the counts, while the org
 * has active or held calls, and succeeds without change on an unknown org.
 */
class OrgChangesGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  /** Every setting given, so that one lost by an update shows. */
  private static final Org FULL = Org.newBuilder()
      .setOrgId("acme")
      .setConcurrencyLimit(20)
      .setTimeZone("America/New_York")
      .setDefaultLeaseTtl(dur(2 * MINUTE))
      .setDailyCap(DailyCap.newBuilder().setCap(500).setStartDate("2026-03-01")
          .addRamp(RampStep.newBuilder().setThroughDay(7).setCap(50))
          .addCountedCallTypes(CallType.CALL_TYPE_OUTBOUND))
      .setLoginDefaults(LoginLimits.newBuilder().setMaxConcurrent(3).setMaxPerWindow(100))
      .setNumberDefaults(NumberLimits.newBuilder().setMaxPerDay(100).setMaxConcurrent(4))
      .build();

  private UpdateOrgResponse update(Org.Builder org, String... paths) {
    return f.await(f.admin.updateOrg(request(org, paths)));
  }

  private StatusRuntimeException updateError(Org.Builder org, String... paths) {
    return f.awaitError(f.admin.updateOrg(request(org, paths)));
  }

  private static UpdateOrgRequest request(Org.Builder org, String... paths) {
    return UpdateOrgRequest.newBuilder().setOrg(org)
        .setUpdateMask(FieldMask.newBuilder().addAllPaths(List.of(paths))).build();
  }

  private DeleteOrgResponse delete(String orgId) {
    return f.await(f.admin.deleteOrg(DeleteOrgRequest.newBuilder().setOrgId(orgId).build()));
  }

  private static Org.Builder acme() {
    return Org.newBuilder().setOrgId("acme");
  }

  // ---- UpdateOrg --------------------------------------------------------------------------

  @Test
  void updatingOnlyTheLimitKeepsTheDailyCapItsRampAndTheTimeZone() {
    f.putOrg(FULL);

    UpdateOrgResponse r = update(acme().setConcurrencyLimit(30), "concurrency_limit");

    Org expected = FULL.toBuilder().setConcurrencyLimit(30).build();
    assertEquals(expected, r.getOrg(), "the response is the org as stored, every setting");
    assertEquals(expected, f.getOrg("acme").getOrg());
    assertEquals(30, f.status("acme").getLimit());
  }

  @Test
  void eachPathChangesOnlyItsField() {
    f.putOrg(FULL);
    Org.Builder stored = FULL.toBuilder();

    update(acme().setDailyCap(DailyCap.newBuilder().setCap(900)), "daily_cap");
    stored.setDailyCap(DailyCap.newBuilder().setCap(900)
        .addCountedCallTypes(CallType.CALL_TYPE_OUTBOUND)); // the default, read back explicitly
    assertEquals(stored.build(), f.getOrg("acme").getOrg(), "daily_cap is replaced whole");

    update(acme().setTimeZone("Europe/Paris"), "time_zone");
    stored.setTimeZone("Europe/Paris");
    assertEquals(stored.build(), f.getOrg("acme").getOrg());

    update(acme().setDefaultLeaseTtl(dur(5 * MINUTE)), "default_lease_ttl");
    stored.setDefaultLeaseTtl(dur(5 * MINUTE));
    assertEquals(stored.build(), f.getOrg("acme").getOrg());

    update(acme().setLoginDefaults(LoginLimits.newBuilder().setMaxConcurrent(7)),
        "login_defaults.max_concurrent");
    stored.getLoginDefaultsBuilder().setMaxConcurrent(7);
    assertEquals(stored.build(), f.getOrg("acme").getOrg(), "max_per_window 100 is kept");

    update(acme().setLoginDefaults(LoginLimits.newBuilder().setWindow(dur(15 * MINUTE))),
        "login_defaults.window", "login_defaults.max_per_window");
    stored.getLoginDefaultsBuilder().setWindow(dur(15 * MINUTE)).clearMaxPerWindow();
    assertEquals(stored.build(), f.getOrg("acme").getOrg(), "a named sub-field left unset inherits");

    update(acme().setNumberDefaults(NumberLimits.newBuilder().setMaxPerHour(9)),
        "number_defaults.max_per_hour");
    stored.getNumberDefaultsBuilder().setMaxPerHour(9);
    assertEquals(stored.build(), f.getOrg("acme").getOrg());

    update(acme().setNumberDefaults(NumberLimits.newBuilder().setMaxPerDay(0)), "number_defaults");
    stored.setNumberDefaults(NumberLimits.newBuilder().setMaxPerDay(0));
    assertEquals(stored.build(), f.getOrg("acme").getOrg(), "a whole message is replaced whole");

    update(acme(), "login_defaults");
    stored.setLoginDefaults(LoginLimits.getDefaultInstance());
    assertEquals(stored.build(), f.getOrg("acme").getOrg());

    update(acme(), "daily_cap", "time_zone", "default_lease_ttl");
    stored.clearDailyCap().setTimeZone("UTC").clearDefaultLeaseTtl();
    assertEquals(stored.build(), f.getOrg("acme").getOrg(), "named and unset: the unset meaning");
  }

  @Test
  void starAloneReplacesEverySettingButNeverCreates() {
    f.putOrg(FULL);
    Org other = Org.newBuilder().setOrgId("acme").setConcurrencyLimit(4).build();
    assertEquals(other.toBuilder().setTimeZone("UTC")
            .setLoginDefaults(LoginLimits.getDefaultInstance())
            .setNumberDefaults(NumberLimits.getDefaultInstance()).build(),
        update(other.toBuilder(), "*").getOrg());
    assertCode(Status.Code.NOT_FOUND,
        updateError(other.toBuilder().setOrgId("ghost"), "*"));
    assertInvalid(updateError(acme().setConcurrencyLimit(3), "*", "time_zone"), "update_mask");
  }

  @Test
  void fieldsOutsideTheMaskAreIgnoredEvenWhenInvalid() {
    f.putOrg(FULL);
    Org.Builder org = acme().setConcurrencyLimit(0).setTimeZone("Mars/Olympus")
        .setLoginDefaults(LoginLimits.newBuilder().setMaxPerWindow(500_000_000))
        .setDefaultLeaseTtl(dur(5 * MINUTE));
    assertEquals(dur(5 * MINUTE), update(org, "default_lease_ttl").getOrg().getDefaultLeaseTtl());
  }

  @Test
  void anEmptyMaskIsInvalidNamingUpdateMask() {
    f.putOrg(FULL);
    assertInvalid(updateError(acme().setConcurrencyLimit(3)), "update_mask");
    assertEquals(FULL, f.getOrg("acme").getOrg());
  }

  @ParameterizedTest
  @ValueSource(strings = {"org_id", "concurrencyLimit", "daily_cap.cap", "login_defaults.nope",
      "reservations", "", "login_defaults."})
  void anUnknownPathOrOrgIdIsInvalidNamingUpdateMask(String path) {
    f.putOrg(FULL);
    StatusRuntimeException e = updateError(acme().setConcurrencyLimit(3), "concurrency_limit", path);
    assertInvalid(e, "update_mask");
    assertTrue(e.getStatus().getDescription().contains(path.equals("org_id")
        ? "org_id cannot be changed" : "unknown path \"" + path + "\""), e::toString);
    assertEquals(FULL, f.getOrg("acme").getOrg(), "nothing changed");
  }

  @Test
  void namedFieldsAreValidatedAsPutOrgValidatesThem() {
    f.putOrg(FULL);
    assertInvalid(updateError(acme().setConcurrencyLimit(0), "concurrency_limit"),
        "org.concurrency_limit");
    assertInvalid(updateError(acme().setTimeZone("Mars/Olympus"), "time_zone"), "org.time_zone");
    assertInvalid(updateError(acme().setDefaultLeaseTtl(dur(10)), "default_lease_ttl"),
        "org.default_lease_ttl");
    assertInvalid(updateError(acme().setDailyCap(DailyCap.newBuilder().setCap(10)
        .addRamp(RampStep.newBuilder().setThroughDay(3).setCap(5))), "daily_cap"),
        "org.daily_cap.start_date");
    assertInvalid(updateError(acme().setLoginDefaults(LoginLimits.newBuilder().setWindow(dur(10))),
        "login_defaults.window"), "org.login_defaults.window");
    assertInvalid(updateError(acme().setNumberDefaults(
        NumberLimits.newBuilder().setMaxPerHour(200_000_000)), "number_defaults"),
        "org.number_defaults.max_per_hour");
    assertInvalid(updateError(Org.newBuilder().setConcurrencyLimit(3), "concurrency_limit"),
        "org.org_id");
    assertInvalid(f.awaitError(f.admin.updateOrg(UpdateOrgRequest.newBuilder()
        .setUpdateMask(FieldMask.newBuilder().addPaths("time_zone")).build())), "org");
    assertEquals(FULL, f.getOrg("acme").getOrg(), "nothing changed");
  }

  @Test
  void updatingAnUnknownOrgIsNotFoundAndCreatesNothing() {
    assertCode(Status.Code.NOT_FOUND,
        updateError(acme().setConcurrencyLimit(3), "concurrency_limit"));
    assertCode(Status.Code.NOT_FOUND,
        f.awaitError(f.admin.getOrg(io.admission.v1.GetOrgRequest.newBuilder().setOrgId("acme").build())));
  }

  @Test
  void aLimitBelowTheReservationsIsFailedPreconditionNamingTheTotals() {
    f.putOrg(FULL);
    f.await(f.admin.setReservation(SetReservationRequest.newBuilder().setOrgId("acme")
        .setAgentId("A").setCallType(CallType.CALL_TYPE_OUTBOUND).setSlots(12).build()));

    StatusRuntimeException e =
        updateError(acme().setConcurrencyLimit(10).setTimeZone("UTC"), "concurrency_limit", "time_zone");

    assertCode(Status.Code.FAILED_PRECONDITION, e);
    assertTrue(e.getStatus().getDescription().contains(
        "concurrency_limit 10 is below the 12 slots reserved"), e::toString);
    assertEquals(FULL, f.getOrg("acme").getOrg(), "the time zone did not change either");
  }

  @Test
  void raisingTheLimitDispatchesAHeldCall() {
    f.putOrg("acme", 1);
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire("acme", "c1").getOutcome());
    assertEquals(Outcome.OUTCOME_HELD, f.acquire("acme", "c2").getOutcome());
    GrpcFixture.Watch w = f.watch("acme", "c2");

    update(acme().setConcurrencyLimit(2), "concurrency_limit");

    f.awaitEnd(w);
    assertTrue(w.events().get(w.events().size() - 1).hasDispatched(), w.events()::toString);
    assertEquals(2, f.status("acme").getInUse());
  }

  // ---- DeleteOrg --------------------------------------------------------------------------

  @Test
  void deletingWithActiveOrHeldCallsIsRefusedWithTheCountsAndChangesNothing() {
    f.putOrg("acme", 1);
    f.acquire("acme", "c1");
    f.acquire("acme", "c2");
    f.acquire("acme", "c3");

    StatusRuntimeException e =
        f.awaitError(f.admin.deleteOrg(DeleteOrgRequest.newBuilder().setOrgId("acme").build()));

    assertCode(Status.Code.FAILED_PRECONDITION, e);
    assertEquals("org acme has 1 active and 2 held calls; release or cancel them first",
        e.getStatus().getDescription());
    PreconditionFailure details = PreconditionFailure.newBuilder().build();
    try {
      details = StatusProto.fromThrowable(e).getDetails(0).unpack(PreconditionFailure.class);
    } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
      throw new AssertionError(ex);
    }
    assertEquals("org_id", details.getViolations(0).getSubject());
    assertEquals(1, f.status("acme").getInUse());
    assertEquals(2, f.status("acme").getQueued());
  }

  @Test
  void aDeletedOrgIsGoneAndOneCreatedAgainStartsEmpty() {
    f.putOrg(FULL);
    f.putOrg("beta", 2);
    f.await(f.admin.setReservation(SetReservationRequest.newBuilder().setOrgId("acme")
        .setAgentId("A").setCallType(CallType.CALL_TYPE_OUTBOUND).setSlots(3).build()));
    f.await(f.admin.setLoginLimits(SetLoginLimitsRequest.newBuilder().setOrgId("acme")
        .setLoginId("alice").setLimits(LoginLimits.newBuilder().setMaxConcurrent(1)).build()));
    f.acquire(call("acme", "c1").setCallType(CallType.CALL_TYPE_OUTBOUND));
    f.release("acme", "c1");

    assertTrue(delete("acme").getDeleted());

    assertCode(Status.Code.NOT_FOUND,
        f.awaitError(f.admin.getOrg(io.admission.v1.GetOrgRequest.newBuilder().setOrgId("acme").build())));
    assertEquals(List.of("beta"), f.await(f.admin.listOrgs(ListOrgsRequest.getDefaultInstance()))
        .getOrgsList().stream().map(Org::getOrgId).toList());
    assertFalse(delete("acme").getDeleted(), "deleting again succeeds, saying there was nothing");

    f.putOrg("acme", 5);
    var fresh = f.getOrg("acme");
    assertEquals(0, fresh.getReservationsCount());
    assertEquals(0, fresh.getLoginLimitsCount());
    assertEquals(0, f.status("acme").getDaily().getUsed());
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire("acme", "c1").getOutcome(),
        "a call_id used before the delete is usable again in the new org");
  }

  @Test
  void deletingAnUnknownOrgSucceedsAndABadIdIsInvalid() {
    assertFalse(delete("never").getDeleted());
    assertInvalid(f.awaitError(f.admin.deleteOrg(DeleteOrgRequest.getDefaultInstance())), "org_id");
  }

  @Test
  void anOpenWatchOrgStreamEndsWithNotFoundWhenItsOrgIsDeleted() {
    f.putOrg("acme", 2);
    List<Throwable> error = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<WatchOrgResponse> statuses = new java.util.concurrent.CopyOnWriteArrayList<>();
    AdmissionMonitorServiceGrpc.newStub(f.channel).watchOrg(
        WatchOrgRequest.newBuilder().setOrgId("acme").build(), new StreamObserver<>() {
          @Override
          public void onNext(WatchOrgResponse value) {
            statuses.add(value);
          }

          @Override
          public void onError(Throwable t) {
            error.add(t);
          }

          @Override
          public void onCompleted() {}
        });
    f.stepUntil(() -> statuses.size() == 1, "the first status");
    assertEquals(1, f.loop.watchedOrgs());

    delete("acme");
    f.at(200);

    f.stepUntil(() -> !error.isEmpty(), "the stream's end");
    assertEquals(Status.Code.NOT_FOUND, Status.fromThrowable(error.get(0)).getCode());
    assertEquals(0, f.loop.watchedOrgs(), "the ended stream is not kept for a later org of that id");
  }
}
