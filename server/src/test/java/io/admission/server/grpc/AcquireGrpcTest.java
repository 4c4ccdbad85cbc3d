package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.HOUR;
import static io.admission.server.grpc.GrpcFixture.MINUTE;
import static io.admission.server.grpc.GrpcFixture.SECOND;
import static io.admission.server.grpc.GrpcFixture.T0;
import static io.admission.server.grpc.GrpcFixture.call;
import static io.admission.server.grpc.GrpcFixture.dur;
import static io.admission.server.grpc.GrpcFixture.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireResponse;
import io.admission.v1.CallType;
import io.admission.v1.Hold;
import io.admission.v1.HoldReason;
import io.admission.v1.Lease;
import io.admission.v1.Org;
import io.admission.v1.Outcome;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.RenewRequest;
import io.admission.v1.RenewResponse;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.SlotKind;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Acquire, Release and Renew over gRPC: what a switch sees in each answer. */
class AcquireGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void grantedCarriesTheWholeLease() {
    f.putOrg("acme", 5);
    f.await(f.admin.setReservation(SetReservationRequest.newBuilder()
        .setOrgId("acme").setAgentId("agent-7").setCallType(CallType.CALL_TYPE_OUTBOUND).setSlots(1)
        .build()));

    AcquireResponse r = f.acquire(call("acme", "c-1")
        .setAgentId("agent-7").setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLoginId("alice").setFromNumber("+15550100"));

    assertEquals(Outcome.OUTCOME_GRANTED, r.getOutcome());
    assertTrue(r.hasLease());
    assertFalse(r.getRetry());
    assertEquals(Lease.newBuilder()
        .setOrgId("acme")
        .setCallId("c-1")
        .setAgentId("agent-7")
        .setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLoginId("alice")
        .setFromNumber("+15550100")
        .setSlotKind(SlotKind.SLOT_KIND_RESERVED)
        .setGrantedAt(ts(T0))
        .setExpiresAt(ts(T0 + HOUR))
        .setTtl(dur(HOUR))
        .build(), r.getLease());

    Lease shared = f.acquire(call("acme", "c-2").setAgentId("agent-7")
        .setCallType(CallType.CALL_TYPE_OUTBOUND)).getLease();
    assertEquals(SlotKind.SLOT_KIND_SHARED, shared.getSlotKind(), "its one reserved slot is taken");
  }

  @Test
  void leaseTtlIsTheCallsOwnElseTheOrgDefaultElseOneHour() {
    f.putOrg("no-default", 5);
    f.putOrg(Org.newBuilder().setOrgId("ninety").setConcurrencyLimit(5)
        .setDefaultLeaseTtl(dur(90 * SECOND)).build());
    f.at(7 * SECOND);
    long now = T0 + 7 * SECOND;

    Lease hour = f.acquire("no-default", "c-1").getLease();
    assertEquals(dur(HOUR), hour.getTtl());
    assertEquals(ts(now), hour.getGrantedAt());
    assertEquals(ts(now + HOUR), hour.getExpiresAt());

    Lease orgDefault = f.acquire("ninety", "c-1").getLease();
    assertEquals(dur(90 * SECOND), orgDefault.getTtl());
    assertEquals(ts(now + 90 * SECOND), orgDefault.getExpiresAt());

    Lease own = f.acquire(call("ninety", "c-2").setLeaseTtl(dur(1500))).getLease();
    assertEquals(dur(1500), own.getTtl());
    assertEquals(ts(now + 1500), own.getExpiresAt());
  }

  @Test
  void heldSaysWhyInWordsWithItsPlaceAndSince() {
    f.putOrg("acme", 1);
    f.acquire("acme", "c-1");
    f.at(2 * SECOND);
    AcquireResponse first = f.acquire("acme", "c-2");
    f.at(3 * SECOND);
    AcquireResponse second = f.acquire(call("acme", "c-3").setMaxWait(dur(MINUTE)));

    assertEquals(Outcome.OUTCOME_HELD, first.getOutcome());
    Hold h = first.getHold();
    assertEquals(HoldReason.HOLD_REASON_ORG_POOL_FULL, h.getReason());
    assertTrue(h.getMessage().startsWith("held: "), h.getMessage());
    assertTrue(h.getMessage().contains("acme"), h.getMessage());
    assertEquals(1, h.getPosition());
    assertEquals(ts(T0 + 2 * SECOND), h.getHeldSince());
    assertFalse(h.hasReadyAt(), "waits for a call to end, not for a known moment");
    assertFalse(h.hasWaitDeadline(), "no max_wait");

    Hold h2 = second.getHold();
    assertEquals(2, h2.getPosition());
    assertEquals(ts(T0 + 3 * SECOND), h2.getHeldSince());
    assertEquals(ts(T0 + 3 * SECOND + MINUTE), h2.getWaitDeadline());

    // A retry is the current state: c-2 cancelled, so c-3 moves up to 1st.
    assertEquals(ReleaseEffect.RELEASE_EFFECT_CANCELLED, f.release("acme", "c-2"));
    AcquireResponse retry = f.acquire(call("acme", "c-3").setMaxWait(dur(MINUTE)));
    assertTrue(retry.getRetry());
    assertEquals(1, retry.getHold().getPosition());
    assertEquals(ts(T0 + 3 * SECOND), retry.getHold().getHeldSince(), "held_since never moves");
  }

  @Test
  void retriedAcquireOfAGrantedCallReturnsTheSameLeaseAndCountsNothing() {
    f.putOrg("acme", 2);
    Lease lease = f.acquire("acme", "c-1").getLease();
    f.at(5 * SECOND);

    AcquireResponse retry = f.acquire("acme", "c-1");

    assertEquals(Outcome.OUTCOME_GRANTED, retry.getOutcome());
    assertTrue(retry.getRetry());
    assertEquals(lease, retry.getLease());
    assertEquals(1, f.status("acme").getInUse());
  }

  @Test
  void releaseIsIdempotent() {
    f.putOrg("acme", 1);
    f.acquire("acme", "c-1");
    f.acquire("acme", "c-2");

    assertEquals(ReleaseEffect.RELEASE_EFFECT_CANCELLED, f.release("acme", "c-2"), "held");
    assertEquals(ReleaseEffect.RELEASE_EFFECT_NOT_ACTIVE, f.release("acme", "c-2"), "cancelled");
    assertEquals(ReleaseEffect.RELEASE_EFFECT_RELEASED, f.release("acme", "c-1"));
    assertEquals(ReleaseEffect.RELEASE_EFFECT_NOT_ACTIVE, f.release("acme", "c-1"), "released");
    assertEquals(ReleaseEffect.RELEASE_EFFECT_NOT_ACTIVE, f.release("acme", "never-seen"));

    assertEquals(0, f.status("acme").getInUse());
    assertEquals(0, f.status("acme").getQueued());
  }

  @Test
  void renewExtendsLeasesAndNamesWhatItCouldNot() {
    f.putOrg("acme", 3);
    Lease live = f.acquire("acme", "c-live").getLease();
    f.acquire(call("acme", "c-short").setLeaseTtl(dur(10 * SECOND)));
    f.acquire("acme", "c-done");
    f.release("acme", "c-done");
    f.at(11 * SECOND); // c-short's lease passes without a Renew
    assertEquals(1, f.status("acme").getInUse());
    f.acquire("acme", "c-fill-1");
    f.acquire("acme", "c-fill-2");
    assertEquals(Outcome.OUTCOME_HELD, f.acquire("acme", "c-held").getOutcome());

    f.at(MINUTE);
    RenewResponse r = f.await(f.admission.renew(RenewRequest.newBuilder()
        .setOrgId("acme")
        .addAllCallIds(List.of("c-live", "c-held", "c-short", "c-done", "c-never"))
        .build()));

    assertEquals(1, r.getLeasesCount());
    Lease renewed = r.getLeases(0);
    assertEquals("c-live", renewed.getCallId());
    assertEquals(live.getGrantedAt(), renewed.getGrantedAt());
    assertEquals(ts(T0 + MINUTE + HOUR), renewed.getExpiresAt(), "now + its own ttl");
    assertEquals(List.of("c-short", "c-done", "c-never"), r.getUnknownCallIdsList());
    assertEquals(List.of("c-held"), r.getHeldCallIdsList());

    // A Renew with a ttl sets the lease's ttl from now on.
    f.at(2 * MINUTE);
    Lease shorter = f.await(f.admission.renew(RenewRequest.newBuilder()
        .setOrgId("acme").addCallIds("c-live").setLeaseTtl(dur(30 * SECOND)).build())).getLeases(0);
    assertEquals(dur(30 * SECOND), shorter.getTtl());
    assertEquals(ts(T0 + 2 * MINUTE + 30 * SECOND), shorter.getExpiresAt());
  }

  @Test
  void aRenewedLeaseOutlivesItsFirstExpiry() {
    f.putOrg("acme", 1);
    f.acquire(call("acme", "c-1").setLeaseTtl(dur(10 * SECOND)));
    f.at(8 * SECOND);
    f.await(f.admission.renew(RenewRequest.newBuilder().setOrgId("acme").addCallIds("c-1").build()));

    f.at(15 * SECOND); // past the first expires_at, before the renewed one
    assertEquals(1, f.status("acme").getInUse());
    assertEquals(ReleaseEffect.RELEASE_EFFECT_RELEASED, f.release("acme", "c-1"));
  }

  @Test
  void anExpiredLeaseFreesItsSlotAndDispatchesTheWaiter() {
    f.putOrg("acme", 1);
    Lease lease = f.acquire(call("acme", "c-1").setLeaseTtl(dur(10 * SECOND))).getLease();
    f.at(SECOND);
    f.acquire("acme", "c-2");
    GrpcFixture.Watch w = f.watch("acme", "c-2");
    assertTrue(w.events().get(0).hasHeld());

    f.at(10 * SECOND - 1);
    assertEquals(1, w.events().size(), "not expired yet");

    f.at(10 * SECOND + 1);
    f.awaitEnd(w);
    assertTrue(w.completedNormally());
    assertEquals(2, w.events().size());
    Lease dispatched = w.events().get(1).getDispatched();
    assertEquals("c-2", dispatched.getCallId());
    assertEquals(lease.getExpiresAt(), dispatched.getGrantedAt(), "granted at the expiry instant");

    assertEquals(ReleaseEffect.RELEASE_EFFECT_NOT_ACTIVE, f.release("acme", "c-1"));
    RenewResponse renew = f.await(f.admission.renew(
        RenewRequest.newBuilder().setOrgId("acme").addCallIds("c-1").build()));
    assertEquals(List.of("c-1"), renew.getUnknownCallIdsList());
    assertEquals(1, f.status("acme").getInUse());
  }
}
