package io.admission.server.engine;

import io.admission.server.api.Refusals;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.PoolFixture.HOUR;
import static io.admission.server.engine.PoolFixture.MINUTE;
import static io.admission.server.engine.PoolFixture.OUTBOUND;
import static io.admission.server.engine.PoolFixture.SECOND;
import static io.admission.server.engine.PoolFixture.T0;
import static io.admission.server.engine.PoolFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Leases and waiting: a granted call holds a lease with a TTL (the call's own, else the
 * org's default, else 1 h); Renew extends leases in batches; an expired lease frees its slot for
 * the next waiter; a held call with {@code max_wait} leaves the queue when it passes.
 */
class OrgPoolLeaseTest {
  private static final String ORG = "acme";
  private final PoolFixture f = new PoolFixture();

  // ---- TTL --------------------------------------------------------------------------------

  @Test
  void leaseTtlIsTheCallsOwnElseTheOrgDefaultElseOneHour() {
    f.org("plain", 5);
    Results.Lease plain = f.granted("plain", "c1", "A", OUTBOUND);
    assertEquals(HOUR, plain.ttlMillis());
    assertEquals(T0 + HOUR, plain.expiresAt());
    assertEquals(T0, plain.grantedAt());

    f.putOrg(ORG, 5, OptionalLong.of(90 * SECOND));
    Results.Lease orgDefault = f.granted(ORG, "c1", "A", OUTBOUND);
    assertEquals(90 * SECOND, orgDefault.ttlMillis());
    assertEquals(T0 + 90 * SECOND, orgDefault.expiresAt());

    Results.Lease own = f.granted(request(ORG, "c2", "A", OUTBOUND, 20 * SECOND, 0));
    assertEquals(20 * SECOND, own.ttlMillis());
    assertEquals(T0 + 20 * SECOND, own.expiresAt());
  }

  @Test
  void dispatchedCallGetsItsLeaseFromTheMomentOfDispatchWithTheDefaultInForceThen() {
    f.putOrg(ORG, 1, OptionalLong.of(MINUTE));
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.held(ORG, "c2", "A", OUTBOUND);
    f.advance(10 * SECOND);
    f.putOrg(ORG, 1, OptionalLong.of(5 * MINUTE));
    f.advance(10 * SECOND);

    f.release(ORG, "c1");

    Event.Dispatched d = assertInstanceOf(Event.Dispatched.class, f.events().get(1));
    assertEquals("c2", d.callId());
    assertEquals(T0 + 20 * SECOND, d.lease().grantedAt());
    assertEquals(5 * MINUTE, d.lease().ttlMillis());
    assertEquals(T0 + 20 * SECOND + 5 * MINUTE, d.lease().expiresAt());
    assertEquals(T0, d.heldSince());
  }

  // ---- Renew ------------------------------------------------------------------------------

  @Test
  void renewExtendsLeasesInABatchAndSaysWhichIdsItCouldNotRenew() {
    f.putOrg(ORG, 2, OptionalLong.of(MINUTE));
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.granted(request(ORG, "c2", "A", OUTBOUND, 2 * MINUTE, 0));
    f.advance(SECOND);
    f.release(ORG, "c2");
    f.granted(ORG, "c3", "B", OUTBOUND); // c2's slot
    f.held(ORG, "h1", "A", OUTBOUND);
    f.advance(30 * SECOND);
    f.events();

    Results.Renewed renewed = f.renew(ORG, 0, "c1", "never-seen", "h1", "c2", "c3");

    assertEquals(List.of("c1", "c3"),
        renewed.leases().stream().map(Results.Lease::callId).toList(), "in request order");
    for (Results.Lease lease : renewed.leases()) {
      assertEquals(MINUTE, lease.ttlMillis(), "each keeps its own TTL");
      assertEquals(f.now + MINUTE, lease.expiresAt());
    }
    assertEquals(List.of("never-seen", "c2"), renewed.unknownCallIds(), "never seen or ended");
    assertEquals(List.of("h1"), renewed.heldCallIds(), "renewing a held call is no error");
    assertTrue(f.isHeld(ORG, "h1"));

    // The old deadline passes without effect; the new one ends the lease.
    f.advance(MINUTE - 1);
    assertEquals(List.of(), f.events());
    f.advance(1);
    List<Event> events = f.events();
    // Both expire at once (c1 first: it arrived first), then h1 is dispatched into a freed slot.
    assertEquals(List.of("c1", "c3", "h1"), events.stream().map(Event::callId).toList());
    assertInstanceOf(Event.Dispatched.class, events.get(2));
  }

  @Test
  void renewWithATtlChangesTheLeasesTtl() {
    f.org(ORG, 2);
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.advance(MINUTE);

    Results.Lease lease = f.renew(ORG, 5 * MINUTE, "c1").leases().get(0);

    assertEquals(5 * MINUTE, lease.ttlMillis());
    assertEquals(f.now + 5 * MINUTE, lease.expiresAt());
    f.advance(2 * MINUTE);
    Results.Lease again = f.renew(ORG, 0, "c1").leases().get(0);
    assertEquals(f.now + 5 * MINUTE, again.expiresAt(), "the new TTL sticks");
    assertEquals(T0, again.grantedAt());
  }

  // ---- Expiry -----------------------------------------------------------------------------

  @Test
  void expiredLeaseFreesItsSlotForTheNextWaiter() {
    f.org(ORG, 1);
    f.granted(request(ORG, "c1", "A", OUTBOUND, 30 * SECOND, 0));
    f.held(ORG, "c2", "B", OUTBOUND);
    f.held(ORG, "c3", "B", OUTBOUND);

    f.advance(30 * SECOND - 1);
    assertEquals(List.of(), f.events());
    assertTrue(f.isActive(ORG, "c1"));

    f.advance(1);
    List<Event> events = f.events();
    assertEquals(2, events.size(), events::toString);
    Event.LeaseEnded ended = assertInstanceOf(Event.LeaseEnded.class, events.get(0));
    assertLeaseEnded(ORG, "c1", EndReason.EXPIRED, T0 + 30 * SECOND, ended);
    Event.Dispatched d = assertInstanceOf(Event.Dispatched.class, events.get(1));
    assertEquals("c2", d.callId());
    assertEquals(T0 + 30 * SECOND, d.lease().grantedAt());
    assertEquals(SlotKind.SHARED, d.lease().slotKind());

    assertEquals(EndReason.EXPIRED, f.endedOf(ORG, "c1").reason());
    assertEquals(1, f.positionOf(ORG, "c3"));
    f.assertPool(ORG, 1, 1, 1, 1);
    assertEquals(List.of("c1"), f.renew(ORG, 0, "c1").unknownCallIds(), "expired is unknown");
    Rejection retried = assertInstanceOf(Rejection.class,
        f.acquire(request(ORG, "c1", "A", OUTBOUND, 30 * SECOND, 0)));
    assertEquals(Rejection.Kind.FAILED_PRECONDITION, retried.kind());
    assertTrue(Refusals.text(retried).contains("expired"), Refusals.text(retried));
  }

  @Test
  void timersFireAtTheirOwnInstantsWhenTimeJumpsPastThem() {
    f.org(ORG, 1);
    f.granted(request(ORG, "c1", "A", OUTBOUND, 30 * SECOND, 0));
    f.held(request(ORG, "c2", "A", OUTBOUND, 20 * SECOND, 0));
    f.held(ORG, "c3", "A", OUTBOUND);

    f.advance(10 * MINUTE); // c1 expires at +30 s, c2 at +50 s, then c3 gets the slot

    List<Event> events = f.events();
    assertEquals(4, events.size(), events::toString);
    assertLeaseEnded(ORG, "c1", EndReason.EXPIRED, T0 + 30 * SECOND, events.get(0));
    assertEquals(T0 + 30 * SECOND,
        assertInstanceOf(Event.Dispatched.class, events.get(1)).lease().grantedAt());
    assertLeaseEnded(ORG, "c2", EndReason.EXPIRED, T0 + 50 * SECOND, events.get(2));
    Event.Dispatched c3 = assertInstanceOf(Event.Dispatched.class, events.get(3));
    assertEquals("c3", c3.callId());
    assertEquals(T0 + 50 * SECOND, c3.lease().grantedAt());
  }

  // ---- max_wait ---------------------------------------------------------------------------

  @Test
  void waiterWhoseMaxWaitPassesLeavesTheQueueAndOthersMoveUp() {
    f.org(ORG, 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.held(ORG, "w1", "A", OUTBOUND);
    Results.Hold w2 = f.held(request(ORG, "w2", "B", OUTBOUND, 0, MINUTE));
    f.held(ORG, "w3", "C", OUTBOUND);
    assertEquals(2, w2.position());
    assertEquals(OptionalLong.of(T0 + MINUTE), w2.waitDeadline());
    assertEquals(OptionalLong.empty(), f.holdOf(ORG, "w1").waitDeadline());

    f.advance(MINUTE - 1);
    assertEquals(List.of(), f.events());
    f.advance(1);

    List<Event> events = f.events();
    assertEquals(1, events.size(), events::toString);
    Event.WaitEnded ended = assertInstanceOf(Event.WaitEnded.class, events.get(0));
    assertEquals("w2", ended.callId());
    assertEquals(EndReason.WAIT_EXPIRED, ended.ended().reason());
    assertEquals(T0, ended.ended().heldSince());
    assertEquals(T0 + MINUTE, ended.ended().endedAt());
    assertEquals(null, ended.ended().lease());
    assertTrue(Sentences.ended(ended.ended()).contains("max_wait of 1 min passed"),
        Sentences.ended(ended.ended()));
    assertEquals(ended.ended(), f.endedOf(ORG, "w2"), "a late WaitForSlot sees the same end");
    assertEquals(2, f.positionOf(ORG, "w3"));
    f.assertPool(ORG, 1, 1, 1, 2);

    f.release(ORG, "c1");
    assertEquals(List.of("w1"), f.dispatched());
    f.release(ORG, "w1");
    assertEquals(List.of("w3"), f.dispatched(), "w2 left the queue for good");
  }

  @Test
  void maxWaitDoesNotApplyOnceDispatched() {
    f.org(ORG, 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.held(request(ORG, "w1", "A", OUTBOUND, 0, MINUTE));
    f.advance(30 * SECOND);
    f.release(ORG, "c1");
    assertEquals(List.of("w1"), f.dispatched());

    f.advance(10 * MINUTE);
    assertEquals(List.of(), f.events());
    assertTrue(f.isActive(ORG, "w1"));
  }

  /**
   * A lease ending at the very instant a waiter's max_wait passes frees its slot first, so the
   * waiter starts — however the two deadlines came about (here the lease's was set last).
   */
  @Test
  void slotFreedAtTheInstantAMaxWaitPassesGoesToThatWaiter() {
    f.org(ORG, 1);
    f.granted(request(ORG, "c1", "A", OUTBOUND, 2 * MINUTE, 0));
    f.held(request(ORG, "w1", "A", OUTBOUND, 0, 90 * SECOND));
    f.advance(30 * SECOND);
    f.renew(ORG, MINUTE, "c1"); // now also ends at T0 + 90 s

    f.advance(MINUTE);

    List<Event> events = f.events();
    assertEquals(2, events.size(), events::toString);
    assertInstanceOf(Event.LeaseEnded.class, events.get(0));
    assertEquals("w1", assertInstanceOf(Event.Dispatched.class, events.get(1)).callId());
  }

  private static void assertLeaseEnded(String org, String call, EndReason reason, long at, Event e) {
    Event.LeaseEnded ended = assertInstanceOf(Event.LeaseEnded.class, e);
    assertEquals(org, ended.orgId());
    assertEquals(call, ended.callId());
    assertEquals(reason, ended.reason());
    assertEquals(at, ended.at());
    assertEquals(call, ended.lease().callId(), "the event carries the call's lease");
  }
}
