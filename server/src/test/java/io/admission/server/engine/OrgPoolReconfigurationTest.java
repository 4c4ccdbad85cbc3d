package io.admission.server.engine;

import io.admission.server.api.Refusals;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.PoolFixture.CHAT;
import static io.admission.server.engine.PoolFixture.OUTBOUND;
import static io.admission.server.engine.PoolFixture.WEBCALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Changing the org pool: changes take effect immediately and no call is ever dropped; the total
 * reserved across all agents cannot exceed the org's concurrency limit; removing an agent returns
 * its freed slots to the shared pool immediately; reserving every slot leaves a shared pool of 0.
 */
class OrgPoolReconfigurationTest {
  private static final String ORG = "acme";
  private final PoolFixture f = new PoolFixture();

  // ---- The sum of reservations never exceeds the limit --------------------------------------

  @Test
  void reservationOverTheLimitIsRefusedNamingTheTotalsAndChangesNothing() {
    f.org(ORG, 10);
    f.reserve(ORG, "A", WEBCALL, 4);
    f.reserve(ORG, "B", CHAT, 5);
    f.granted(ORG, "b1", "B", CHAT);
    StatusView.Org before = f.status(ORG);

    Rejection r = assertInstanceOf(Rejection.class, f.setReservation(ORG, "A", CHAT, 2));

    assertEquals(Rejection.Kind.FAILED_PRECONDITION, r.kind());
    assertEquals("slots", r.field());
    assertEquals(
        "reserving 2 chat slots for agent A would make 11 reserved in org acme, over its"
            + " concurrency limit of 10 (9 reserved now, 0 of them by this agent and call type)",
        Refusals.text(r));
    assertEquals(
        List.of(new Results.Reservation("A", WEBCALL, 4), new Results.Reservation("B", CHAT, 5)),
        assertInstanceOf(Results.OrgView.class, f.engine.getOrg(ORG)).reservations());
    assertStatusUnchanged(before);

    // Raising an existing reservation counts it once: 4 → 5 makes 10, exactly the limit.
    Results.ReservationChanged ok = f.reserve(ORG, "A", WEBCALL, 5);
    assertEquals(10, ok.reservedTotal());
    assertEquals(0, ok.sharedCapacity());
    Rejection over = assertInstanceOf(Rejection.class, f.setReservation(ORG, "A", WEBCALL, 6));
    assertTrue(Refusals.text(over).contains("would make 11 reserved"), Refusals.text(over));
    assertTrue(Refusals.text(over).contains("5 of them by this agent"), Refusals.text(over));
  }

  @Test
  void refusedReservationOfANewAgentLeavesNoTrace() {
    f.org(ORG, 3);
    assertInstanceOf(Rejection.class, f.setReservation(ORG, "Z", OUTBOUND, 4));
    assertEquals(List.of(), f.status(ORG).agents());
    assertEquals(List.of(),
        assertInstanceOf(Results.OrgView.class, f.engine.getOrg(ORG)).reservations());
  }

  @Test
  void limitBelowTheReservationsIsRefusedAndChangesNothing() {
    f.org(ORG, 10);
    f.reserve(ORG, "A", WEBCALL, 4);
    f.reserve(ORG, "B", OUTBOUND, 5);

    Rejection r =
        assertInstanceOf(Rejection.class, f.putOrg(ORG, 8, OptionalLong.of(PoolFixture.MINUTE)));

    assertEquals(Rejection.Kind.FAILED_PRECONDITION, r.kind());
    assertEquals("org.concurrency_limit", r.field());
    assertTrue(Refusals.text(r).contains("concurrency_limit 8 is below the 9 slots reserved"),
        Refusals.text(r));
    Results.OrgView view = assertInstanceOf(Results.OrgView.class, f.engine.getOrg(ORG));
    assertEquals(10, view.config().concurrencyLimit());
    assertEquals(OptionalLong.empty(), view.config().defaultLeaseTtlMillis(), "nothing changed");
    assertEquals(10, f.status(ORG).limit());

    // Exactly the reserved total is allowed: nothing is left shared.
    f.org(ORG, 9);
    f.assertPool(ORG, 0, 0, 0, 0);
  }

  // ---- Reducing never ends a call ---------------------------------------------------------

  @Test
  void reducingAReservationWhileCallsRunEndsNothingAndAppliesToTheNextCall() {
    f.org(ORG, 10);
    f.reserve(ORG, "A", OUTBOUND, 6);
    f.grantMany(ORG, "a", 6, "A", OUTBOUND);
    f.grantMany(ORG, "b", 4, "B", OUTBOUND); // shared (4) full

    Results.ReservationChanged changed = f.reserve(ORG, "A", OUTBOUND, 2);

    assertEquals(8, changed.sharedCapacity());
    assertEquals(List.of(), f.events(), "no call ends");
    for (int i = 1; i <= 6; i++) {
      assertTrue(f.isActive(ORG, "a" + i));
    }
    f.assertAgent(ORG, "A", OUTBOUND, 2, 6, 2, 4); // by count: 4 of A's calls are shared now
    f.assertPool(ORG, 10, 8, 8, 0);
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(ORG, "a7", "A", OUTBOUND).reason());
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(ORG, "b5", "B", OUTBOUND).reason());

    // Down to 0: A's six calls all count as shared, over the shared capacity, and still run.
    f.reserve(ORG, "A", OUTBOUND, 0);
    assertEquals(List.of(), f.events());
    f.assertPool(ORG, 10, 10, 10, 2);
    f.assertAgent(ORG, "A", OUTBOUND, 0, 6, 0, 6);
  }

  @Test
  void reducingTheLimitWhileCallsRunEndsNothingAndDispatchesOnlyBelowTheNewLimit() {
    f.org(ORG, 10);
    f.grantMany(ORG, "b", 8, "B", OUTBOUND);

    f.org(ORG, 5);

    assertEquals(List.of(), f.events(), "no call ends");
    f.assertPool(ORG, 8, 5, 8, 0);
    assertEquals(5, f.status(ORG).limit());
    f.held(ORG, "c1", "C", OUTBOUND);
    for (int i = 1; i <= 3; i++) {
      f.release(ORG, "b" + i);
      assertEquals(List.of(), f.dispatched(), "in use " + (8 - i) + " is not below 5");
    }
    f.release(ORG, "b4");
    assertEquals(List.of("c1"), f.dispatched());
    f.assertPool(ORG, 5, 5, 5, 0);
  }

  /**
   * "Reserved slots are guaranteed": after the limit shrank below what runs, an agent still
   * within its reservation starts at once, while agents without one wait below the new limit.
   */
  @Test
  void reservationIsHonouredEvenWhileTheOrgIsOverAReducedLimit() {
    f.org(ORG, 10);
    f.reserve(ORG, "A", OUTBOUND, 2);
    f.grantMany(ORG, "b", 8, "B", OUTBOUND);
    f.org(ORG, 4);
    f.assertPool(ORG, 8, 2, 8, 0);

    assertEquals(SlotKind.RESERVED, f.granted(ORG, "a1", "A", OUTBOUND).slotKind());
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(ORG, "c1", "C", OUTBOUND).reason());
    f.assertPool(ORG, 9, 2, 8, 1);
  }

  // ---- Raising dispatches at once ---------------------------------------------------------

  @Test
  void raisingTheLimitDispatchesWaitersAtOnceInOrder() {
    f.org(ORG, 2);
    f.grantMany(ORG, "b", 2, "B", OUTBOUND);
    f.held(ORG, "x1", "X", CHAT);
    f.held(ORG, "y1", "Y", WEBCALL);
    f.held(ORG, "x2", "X", CHAT);

    f.org(ORG, 4);

    List<Event> events = f.events();
    assertEquals(List.of("x1", "y1"), PoolFixture.dispatchedIn(events));
    for (Event e : events) {
      Event.Dispatched d = assertInstanceOf(Event.Dispatched.class, e);
      assertEquals(f.now, d.lease().grantedAt());
      assertEquals(SlotKind.SHARED, d.lease().slotKind());
    }
    assertEquals(1, f.positionOf(ORG, "x2"));
    f.assertPool(ORG, 4, 4, 4, 1);
  }

  /**
   * A new reservation serves that agent's waiters of that type at once — they are under their
   * reservation, which is always honoured — and only them.
   */
  @Test
  void raisingAReservationDispatchesThatPairsWaitersAtOnce() {
    f.org(ORG, 6);
    f.grantMany(ORG, "a", 2, "A", OUTBOUND);
    f.grantMany(ORG, "b", 4, "B", OUTBOUND);
    f.held(ORG, "b5", "B", OUTBOUND);
    f.held(ORG, "a3", "A", OUTBOUND);
    f.held(ORG, "a-chat", "A", CHAT);
    f.held(ORG, "a4", "A", OUTBOUND);

    // A's 2 running calls move onto the new reservation, so nothing frees for anyone else.
    f.reserve(ORG, "A", OUTBOUND, 2);
    assertEquals(List.of(), f.dispatched());
    f.assertPool(ORG, 6, 4, 4, 4);

    f.reserve(ORG, "A", OUTBOUND, 4);
    assertEquals(List.of("a3", "a4"), f.dispatched(), "only A's outbound waiters, oldest first");
    f.assertAgent(ORG, "A", OUTBOUND, 4, 4, 4, 0);
    // B's 4 calls keep running on what is now a 2-slot shared pool: in use is 8 of 6 until they
    // end, as after any reduction; no one else starts before then.
    f.assertPool(ORG, 8, 2, 4, 2);
    assertTrue(f.isHeld(ORG, "b5"));
    assertTrue(f.isHeld(ORG, "a-chat"));
    assertEquals(List.of(1, 2), List.of(f.positionOf(ORG, "b5"), f.positionOf(ORG, "a-chat")));
  }

  // ---- Remove agent -----------------------------------------------------------------------

  @Test
  void removingAnAgentReturnsItsSlotsToSharedAtOnceAndDispatchesWaiters() {
    f.org(ORG, 10);
    f.reserve(ORG, "A", OUTBOUND, 3);
    f.reserve(ORG, "A", CHAT, 2);
    f.granted(ORG, "a1", "A", OUTBOUND);
    f.grantMany(ORG, "b", 5, "B", WEBCALL);
    f.holdMany(ORG, "w", 4, "B", WEBCALL);

    Results.AgentRemoved removed =
        assertInstanceOf(Results.AgentRemoved.class, f.removeAgent(ORG, "A"));

    assertEquals(5, removed.freedSlots());
    assertEquals(10, removed.sharedCapacity());
    // A's running call stays and now counts as shared: 6 of 10 shared in use, 4 free.
    assertEquals(List.of("w1", "w2", "w3", "w4"), f.dispatched());
    assertTrue(f.isActive(ORG, "a1"));
    f.assertAgent(ORG, "A", OUTBOUND, 0, 1, 0, 1);
    f.assertPool(ORG, 10, 10, 10, 0);
    assertEquals(List.of(),
        assertInstanceOf(Results.OrgView.class, f.engine.getOrg(ORG)).reservations());
    assertEquals(0, f.agent(ORG, "A").reservedTotal());
  }

  @Test
  void removingAnUnknownAgentFreesNothing() {
    f.org(ORG, 10);
    f.reserve(ORG, "A", OUTBOUND, 3);
    Results.AgentRemoved removed =
        assertInstanceOf(Results.AgentRemoved.class, f.removeAgent(ORG, "nobody"));
    assertEquals(0, removed.freedSlots());
    assertEquals(7, removed.sharedCapacity());
  }

  // ---- Everything reserved ----------------------------------------------------------------

  /**
   * "If you reserve all your slots, the shared pool becomes 0. Agents can still work, but they
   * can't exceed their reservations even if other agents are idle."
   */
  @Test
  void reservingEverySlotLeavesNoSharedPool() {
    f.org(ORG, 6);
    f.reserve(ORG, "A", OUTBOUND, 3);
    Results.ReservationChanged changed = f.reserve(ORG, "B", OUTBOUND, 3);
    assertEquals(0, changed.sharedCapacity());

    f.grantMany(ORG, "a", 3, "A", OUTBOUND);
    Results.Hold hold = f.held(ORG, "a4", "A", OUTBOUND);
    assertEquals(
        "held: agent A's 3 reserved outbound slots are full and org acme has no shared slots"
            + " (all 6 are reserved); it starts when a slot frees",
        Sentences.hold(hold));
    Results.Hold noReservation = f.held(ORG, "c1", "C", OUTBOUND);
    assertEquals(
        "held: org acme has no shared slots (all 6 are reserved); it starts when a slot frees",
        Sentences.hold(noReservation));
    f.held(ORG, "a-chat", "A", CHAT); // reservations are per type
    f.assertPool(ORG, 3, 0, 0, 3);

    assertEquals(SlotKind.RESERVED, f.granted(ORG, "b1", "B", OUTBOUND).slotKind());
    f.release(ORG, "a1");
    assertEquals(List.of("a4"), f.dispatched(), "A's freed slot goes to A only");
    assertTrue(f.isHeld(ORG, "c1"));
  }

  private void assertStatusUnchanged(StatusView.Org before) {
    StatusView.Org after = f.status(ORG);
    assertEquals(
        List.of(before.limit(), before.inUse(), before.sharedCapacity(), before.sharedInUse(),
            before.queued()),
        List.of(after.limit(), after.inUse(), after.sharedCapacity(), after.sharedInUse(),
            after.queued()));
    assertEquals(before.agents(), after.agents());
  }
}
