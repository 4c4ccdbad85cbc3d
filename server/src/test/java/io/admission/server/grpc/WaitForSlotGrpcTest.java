package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.SECOND;
import static io.admission.server.grpc.GrpcFixture.T0;
import static io.admission.server.grpc.GrpcFixture.assertCode;
import static io.admission.server.grpc.GrpcFixture.call;
import static io.admission.server.grpc.GrpcFixture.dur;
import static io.admission.server.grpc.GrpcFixture.ts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireResponse;
import io.admission.v1.HoldReason;
import io.admission.v1.Lease;
import io.admission.v1.Outcome;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.WaitCancelled;
import io.admission.v1.WaitExpired;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * WaitForSlot over gRPC: the first event is the call's current state; dispatch is pushed the
 * moment a slot frees; a stream may be cancelled and reopened without losing anything.
 */
class WaitForSlotGrpcTest {
  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  /** Org "acme" with one slot, taken by c-1; c-2 is held behind it since T0 + 1 s. */
  private void oneRunningOneHeld() {
    f.putOrg("acme", 1);
    f.acquire("acme", "c-1");
    f.at(SECOND);
    assertEquals(Outcome.OUTCOME_HELD, f.acquire("acme", "c-2").getOutcome());
  }

  @Test
  void firstEventIsHeldThenDispatchedWhenASlotFreesAndTheStreamEnds() {
    oneRunningOneHeld();

    GrpcFixture.Watch w = f.watch("acme", "c-2");
    WaitForSlotResponse first = w.events().get(0);
    assertEquals(WaitForSlotResponse.EventCase.HELD, first.getEventCase());
    assertEquals(HoldReason.HOLD_REASON_ORG_POOL_FULL, first.getHeld().getReason());
    assertEquals(1, first.getHeld().getPosition());
    assertEquals(ts(T0 + SECOND), first.getHeld().getHeldSince());
    assertFalse(w.done.isDone(), "a held call's stream stays open");

    f.at(5 * SECOND);
    assertEquals(ReleaseEffect.RELEASE_EFFECT_RELEASED, f.release("acme", "c-1"));
    f.awaitEnd(w);

    assertTrue(w.completedNormally());
    assertEquals(2, w.events().size());
    Lease lease = w.events().get(1).getDispatched();
    assertEquals("acme", lease.getOrgId());
    assertEquals("c-2", lease.getCallId());
    assertEquals(ts(T0 + 5 * SECOND), lease.getGrantedAt());
    assertEquals(0, f.loop.watchedCalls());
  }

  @Test
  void twoStreamsOnOneCallBothGetTheDispatch() {
    oneRunningOneHeld();
    GrpcFixture.Watch a = f.watch("acme", "c-2");
    GrpcFixture.Watch b = f.watch("acme", "c-2");

    f.release("acme", "c-1");
    f.awaitEnd(a);
    f.awaitEnd(b);

    for (GrpcFixture.Watch w : new GrpcFixture.Watch[] {a, b}) {
      assertTrue(w.completedNormally());
      assertEquals(2, w.events().size());
      assertTrue(w.events().get(0).hasHeld());
      assertEquals("c-2", w.events().get(1).getDispatched().getCallId());
    }
    assertEquals(a.events().get(1), b.events().get(1));
  }

  @Test
  void cancellingOneOfTwoStreamsLeavesTheOtherWatching() {
    oneRunningOneHeld();
    GrpcFixture.Watch gone = f.watch("acme", "c-2");
    GrpcFixture.Watch stays = f.watch("acme", "c-2");
    gone.cancel();
    f.stepUntil(gone.done::isDone, "the cancelled stream to end");
    assertCode(Status.Code.CANCELLED, gone.error());
    assertEquals(1, f.loop.watchedCalls(), "c-2 is still watched");

    f.release("acme", "c-1");
    f.awaitEnd(stays);

    assertTrue(stays.completedNormally());
    assertEquals("c-2", stays.events().get(1).getDispatched().getCallId());
    assertEquals(1, gone.events().size());
  }

  @Test
  void aDispatchWhileNoStreamIsOpenIsNotLost() {
    oneRunningOneHeld();
    GrpcFixture.Watch first = f.watch("acme", "c-2");
    assertTrue(first.events().get(0).hasHeld());
    f.cancel(first);
    assertEquals(0, f.loop.watchedCalls());

    f.at(4 * SECOND);
    f.release("acme", "c-1"); // dispatches c-2 with nobody watching

    GrpcFixture.Watch reopened = f.awaitEnd(f.watch("acme", "c-2"));
    assertTrue(reopened.completedNormally());
    assertEquals(1, reopened.events().size(), "dispatched is its first and only event");
    Lease lease = reopened.events().get(0).getDispatched();
    assertEquals("c-2", lease.getCallId());
    assertEquals(ts(T0 + 4 * SECOND), lease.getGrantedAt());
    assertEquals(1, first.events().size(), "the cancelled stream saw nothing more");

    AcquireResponse retry = f.acquire("acme", "c-2");
    assertEquals(Outcome.OUTCOME_GRANTED, retry.getOutcome());
    assertTrue(retry.getRetry());
    assertEquals(lease, retry.getLease());
  }

  @Test
  void aCallCancelledWhileHeldEndsItsStreamAndLaterStreamsWithCancelled() {
    oneRunningOneHeld();
    GrpcFixture.Watch open = f.watch("acme", "c-2");

    f.at(3 * SECOND);
    assertEquals(ReleaseEffect.RELEASE_EFFECT_CANCELLED, f.release("acme", "c-2"));
    f.awaitEnd(open);
    assertTrue(open.completedNormally());
    assertEquals(2, open.events().size());
    WaitCancelled cancelled = open.events().get(1).getCancelled();
    assertEquals(ts(T0 + 3 * SECOND), cancelled.getCancelledAt());
    assertFalse(cancelled.getMessage().isEmpty());

    GrpcFixture.Watch later = f.awaitEnd(f.watch("acme", "c-2"));
    assertTrue(later.completedNormally());
    assertEquals(1, later.events().size());
    assertEquals(cancelled, later.events().get(0).getCancelled());
  }

  @Test
  void maxWaitPassingEndsTheWaitWithExpired() {
    oneRunningOneHeld();
    f.acquire(call("acme", "c-3").setMaxWait(dur(30 * SECOND)));
    GrpcFixture.Watch open = f.watch("acme", "c-3");
    assertEquals(ts(T0 + 31 * SECOND), open.events().get(0).getHeld().getWaitDeadline());

    f.at(31 * SECOND - 1);
    assertEquals(1, open.events().size(), "still waiting");
    f.at(40 * SECOND);
    f.awaitEnd(open);

    assertTrue(open.completedNormally());
    assertEquals(2, open.events().size());
    WaitExpired expired = open.events().get(1).getExpired();
    assertEquals(ts(T0 + SECOND), expired.getHeldSince());
    assertEquals(ts(T0 + 31 * SECOND), expired.getExpiredAt(), "at its deadline, not when noticed");
    assertTrue(expired.getMessage().contains("max_wait"), expired.getMessage());

    GrpcFixture.Watch later = f.awaitEnd(f.watch("acme", "c-3"));
    assertEquals(1, later.events().size());
    assertEquals(expired, later.events().get(0).getExpired());
    assertEquals(1, f.status("acme").getQueued(), "only c-2 still waits");
  }

  @Test
  void aGrantedCallThatWasReleasedReportsItsLease() {
    f.putOrg("acme", 1);
    Lease lease = f.acquire("acme", "c-1").getLease();
    f.at(2 * SECOND);
    f.release("acme", "c-1");

    GrpcFixture.Watch w = f.awaitEnd(f.watch("acme", "c-1"));

    assertTrue(w.completedNormally());
    assertEquals(1, w.events().size());
    assertEquals(lease, w.events().get(0).getDispatched());
  }

  @Test
  void aGrantedCallGetsItsLeaseAtOnce() {
    f.putOrg("acme", 1);
    Lease lease = f.acquire("acme", "c-1").getLease();

    GrpcFixture.Watch w = f.awaitEnd(f.watch("acme", "c-1"));

    assertTrue(w.completedNormally());
    assertEquals(1, w.events().size());
    assertEquals(lease, w.events().get(0).getDispatched());
  }

  @Test
  void unknownCallOrOrgIsNotFound() {
    f.putOrg("acme", 1);

    GrpcFixture.Watch call = f.awaitEnd(f.watch("acme", "never-seen"));
    assertCode(Status.Code.NOT_FOUND, call.error());
    assertTrue(call.events().isEmpty());

    GrpcFixture.Watch org = f.awaitEnd(f.watch("no-such-org", "c-1"));
    assertCode(Status.Code.NOT_FOUND, org.error());
  }

  @Test
  void missingCallIdIsInvalid() {
    GrpcFixture.Watch w = f.awaitEnd(f.watch("acme", ""));
    GrpcFixture.assertInvalid(w.error(), "call_id");
  }
}
