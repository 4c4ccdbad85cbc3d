package io.admission.server.engine;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.PoolFixture.CHAT;
import static io.admission.server.engine.PoolFixture.INBOUND;
import static io.admission.server.engine.PoolFixture.OUTBOUND;
import static io.admission.server.engine.PoolFixture.WEBCALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The org concurrency pool: the shared pool, reserved slots per (agent, call type), the four
 * sharing scenarios, and which waiter a freed slot goes to. Pool accounting is by count: a pair
 * running n calls with r reserved slots uses max(0, n - r) shared ones.
 */
class OrgPoolSharingTest {
  private static final String ORG = "acme";
  private final PoolFixture f = new PoolFixture();

  // ---- The shared pool --------------------------------------------------------------------

  /**
   * "Your org has 20 slots. Agent A is handling 15 calls and Agent B wants to make 10 calls. Agent
   * B can only get 5 slots ... The remaining 5 calls from Agent B will be queued." and "Calls are
   * dispatched in order as slots become available."
   */
  @Test
  void sharedPoolGrantsWhatIsFreeAndQueuesTheRestInOrder() {
    f.org(ORG, 20);
    f.grantMany(ORG, "a", 15, "A", OUTBOUND);

    for (int i = 1; i <= 5; i++) {
      assertEquals(SlotKind.SHARED, f.granted(ORG, "b" + i, "B", OUTBOUND).slotKind());
    }
    for (int i = 6; i <= 10; i++) {
      Results.Hold hold = f.held(ORG, "b" + i, "B", OUTBOUND);
      assertEquals(HoldReason.ORG_POOL_FULL, hold.reason());
      assertEquals(i - 5, hold.position(), "1-based place in the org's queue");
    }
    f.assertPool(ORG, 20, 20, 20, 5);
    assertEquals(List.of(), f.events(), "holding is an answer, not an event");

    // A's calls end one by one; each freed slot goes to B's oldest queued call.
    for (int k = 1; k <= 5; k++) {
      f.advance(PoolFixture.SECOND);
      assertEquals(Results.Released.Effect.RELEASED, f.release(ORG, "a" + k));
      List<Event> events = f.events();
      assertEquals(2, events.size(), () -> "lease ended, then one dispatch: " + events);
      assertInstanceOf(Event.LeaseEnded.class, events.get(0));
      Event.Dispatched d = assertInstanceOf(Event.Dispatched.class, events.get(1));
      assertEquals("b" + (5 + k), d.callId());
      assertEquals(f.now, d.lease().grantedAt());
      assertEquals(PoolFixture.T0, d.heldSince());
      assertTrue(f.isActive(ORG, "b" + (5 + k)));
      for (int later = 6 + k; later <= 10; later++) {
        assertEquals(later - 5 - k, f.positionOf(ORG, "b" + later), "positions move up");
      }
    }
    f.assertPool(ORG, 20, 20, 20, 0);
  }

  /** "The concurrency limit applies across all call types ... all share the same pool." */
  @Test
  void allFourCallTypesShareOnePool() {
    f.org(ORG, 4);
    f.granted(ORG, "w", "A", WEBCALL);
    f.granted(ORG, "c", "B", CHAT);
    f.granted(ORG, "o", "", OUTBOUND);
    f.granted(ORG, "i", "C", INBOUND);

    for (CallType type : CallType.values()) {
      assertEquals(HoldReason.ORG_POOL_FULL, f.held(ORG, "more-" + type, "D", type).reason());
    }
    f.assertPool(ORG, 4, 4, 4, 4);

    // A chat ending frees a slot for the oldest waiter, whatever its type.
    f.release(ORG, "c");
    assertEquals(List.of("more-WEBCALL"), f.dispatched());
    f.release(ORG, "i");
    assertEquals(List.of("more-CHAT"), f.dispatched());
  }

  // ---- Reserved slots ---------------------------------------------------------------------

  /**
   * "If Agent A has 12 reserved slots but is only using 4, those 8 empty reserved slots are not
   * available to Agent B — they're held for Agent A."
   */
  @Test
  void idleReservedSlotsAreNeverLentToAnotherAgent() {
    f.org(ORG, 20);
    f.reserve(ORG, "A", WEBCALL, 12);
    f.grantMany(ORG, "a", 4, "A", WEBCALL);

    f.grantMany(ORG, "b", 8, "B", WEBCALL); // the 8 shared slots
    Results.Hold hold = f.held(ORG, "b9", "B", WEBCALL);
    assertEquals(HoldReason.ORG_POOL_FULL, hold.reason());
    f.held(ORG, "b10", "B", CHAT);
    f.held(ORG, "b11", "", WEBCALL);
    f.assertPool(ORG, 12, 8, 8, 3);
    f.assertAgent(ORG, "A", WEBCALL, 12, 4, 4, 0);

    // Even with A fully idle its 12 slots stay A's.
    for (int i = 1; i <= 4; i++) {
      f.release(ORG, "a" + i);
    }
    assertEquals(List.of(), f.dispatched());
    assertTrue(f.isHeld(ORG, "b9"));
    f.assertPool(ORG, 8, 8, 8, 3);

    // ... and A still gets them at once, past B's queue.
    assertEquals(SlotKind.RESERVED, f.granted(ORG, "a5", "A", WEBCALL).slotKind());
  }

  /**
   * The four scenarios and "an agent running n calls of type t with r reserved uses min(n, r)
   * reserved and max(0, n − r) shared slots" as a table; leases say which part of the pool they
   * took at grant time.
   */
  @ParameterizedTest(name = "limit {0}, {1} reserved, {2} running -> {3} reserved + {4} shared")
  @CsvSource({
    // limit, reserved, running, using reserved, using shared
    "20, 10,  7,  7, 0", // Scenario 1: within its reservation
    "20, 10, 14, 10, 4", // Scenario 2: exceeding its reservation
    "20, 10, 10, 10, 0",
    "20,  0,  6,  0, 6", // Scenario 4 with room: no reservation, only shared
    "13, 10, 13, 10, 3", // reserved full, takes the whole shared remainder
    "10, 10, 10, 10, 0", // everything reserved: shared capacity 0
  })
  void agentUsesItsReservationFirstThenShared(
      int limit, int reserved, int running, int usingReserved, int usingShared) {
    f.org(ORG, limit);
    if (reserved > 0) {
      f.reserve(ORG, "A", OUTBOUND, reserved);
    }
    List<Results.Lease> leases = f.grantMany(ORG, "a", running, "A", OUTBOUND);

    for (int i = 0; i < running; i++) {
      assertEquals(i < reserved ? SlotKind.RESERVED : SlotKind.SHARED, leases.get(i).slotKind(),
          "lease of a" + (i + 1));
    }
    f.assertAgent(ORG, "A", OUTBOUND, reserved, running, usingReserved, usingShared);
    StatusView.Agent a = f.agent(ORG, "A");
    assertEquals(List.of(usingReserved, usingShared, reserved),
        List.of(a.usingReserved(), a.usingShared(), a.reservedTotal()));
    f.assertPool(ORG, running, limit - reserved, usingShared, 0);
  }

  /**
   * Scenario 3: "Shared pool has 5 slots, all in use. Agent B has 8 reserved and is running 6
   * calls → Agent B gets its 6 calls through reserved slots, no shared needed."
   */
  @Test
  void scenario3_fullSharedPoolDoesNotStopAnAgentWithinItsReservation() {
    f.org(ORG, 13);
    f.reserve(ORG, "B", OUTBOUND, 8);
    f.grantMany(ORG, "c", 5, "C", OUTBOUND);
    f.held(ORG, "c6", "C", OUTBOUND); // the shared pool is full

    for (Results.Lease lease : f.grantMany(ORG, "b", 6, "B", OUTBOUND)) {
      assertEquals(SlotKind.RESERVED, lease.slotKind());
    }
    f.assertAgent(ORG, "B", OUTBOUND, 8, 6, 6, 0);
    f.assertPool(ORG, 11, 5, 5, 1);
    assertTrue(f.isHeld(ORG, "c6"), "B's reserved slots are not C's");
  }

  /**
   * Scenario 4: "Agent C has 0 reserved. It can only use the shared pool. If the shared pool is
   * full, Agent C's calls are queued."
   */
  @Test
  void scenario4_agentWithoutReservationQueuesWhenSharedIsFull() {
    f.org(ORG, 12);
    f.reserve(ORG, "A", OUTBOUND, 7);
    f.grantMany(ORG, "b", 5, "B", INBOUND);

    Results.Hold hold = f.held(ORG, "c1", "C", OUTBOUND);
    assertEquals(HoldReason.ORG_POOL_FULL, hold.reason());
    assertEquals(1, hold.position());
    assertEquals(
        "held: all 5 shared slots of org acme are in use; it starts when a slot frees",
        Sentences.hold(hold));
    assertNull(f.agent(ORG, "C"), "an agent with only a held call uses nothing");
    assertEquals(SlotKind.RESERVED, f.granted(ORG, "a1", "A", OUTBOUND).slotKind());

    f.release(ORG, "b3");
    assertEquals(List.of("c1"), f.dispatched());
    f.assertAgent(ORG, "C", OUTBOUND, 0, 1, 0, 1);
  }

  /**
   * "Agent A receives 3 more calls → reserved slots are full, so it takes 3 slots from the shared
   * pool. Shared pool is now empty."
   */
  @Test
  void agentWithFullReservationTakesFromSharedUntilSharedIsEmpty() {
    f.org(ORG, 13);
    f.reserve(ORG, "A", OUTBOUND, 10);
    f.grantMany(ORG, "a", 10, "A", OUTBOUND);
    f.assertPool(ORG, 10, 3, 0, 0);

    for (int i = 11; i <= 13; i++) {
      assertEquals(SlotKind.SHARED, f.granted(ORG, "a" + i, "A", OUTBOUND).slotKind());
    }
    f.assertPool(ORG, 13, 3, 3, 0);
    f.assertAgent(ORG, "A", OUTBOUND, 10, 13, 10, 3);

    Results.Hold own = f.held(ORG, "a14", "A", OUTBOUND);
    assertEquals(
        "held: agent A's 10 reserved outbound slots are full and all 3 shared slots of org acme"
            + " are in use; it starts when a slot frees",
        Sentences.hold(own));
    f.held(ORG, "b1", "B", OUTBOUND);
  }

  /** Reservations are per call type; an agent's total is the sum over types. */
  @Test
  void reservationsArePerCallTypeAndSumPerAgent() {
    f.org(ORG, 6);
    f.reserve(ORG, "A", WEBCALL, 2);
    Results.ReservationChanged changed = f.reserve(ORG, "A", CHAT, 3);
    assertEquals(5, changed.reservedTotal());
    assertEquals(1, changed.sharedCapacity());
    Results.OrgView view = assertInstanceOf(Results.OrgView.class, f.engine.getOrg(ORG));
    assertEquals(
        List.of(new Results.Reservation("A", WEBCALL, 2), new Results.Reservation("A", CHAT, 3)),
        view.reservations());

    for (Results.Lease lease : f.grantMany(ORG, "w", 2, "A", WEBCALL)) {
      assertEquals(SlotKind.RESERVED, lease.slotKind());
    }
    assertEquals(SlotKind.SHARED, f.granted(ORG, "w3", "A", WEBCALL).slotKind());
    // A's 3 idle chat slots do not serve A's webcalls.
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(ORG, "w4", "A", WEBCALL).reason());
    for (Results.Lease lease : f.grantMany(ORG, "c", 3, "A", CHAT)) {
      assertEquals(SlotKind.RESERVED, lease.slotKind());
    }

    StatusView.Agent a = f.agent(ORG, "A");
    assertEquals(5, a.reservedTotal());
    assertEquals(5, a.usingReserved());
    assertEquals(1, a.usingShared());
    f.assertAgent(ORG, "A", WEBCALL, 2, 3, 2, 1);
    f.assertAgent(ORG, "A", CHAT, 3, 3, 3, 0);
    f.assertPool(ORG, 6, 1, 1, 1);
  }

  // ---- Count-based accounting ---------------------------------------------------------------

  /**
   * When one of a pair's calls ends, a shared slot frees first if it was using any — even
   * when the call that ended had been granted on a reserved slot.
   */
  @Test
  void agentOverItsReservationFreesASharedSlotFirst() {
    f.org(ORG, 4);
    f.reserve(ORG, "A", OUTBOUND, 2);
    List<Results.Lease> a = f.grantMany(ORG, "a", 4, "A", OUTBOUND);
    assertEquals(SlotKind.RESERVED, a.get(0).slotKind());
    f.held(ORG, "b1", "B", OUTBOUND);
    f.assertPool(ORG, 4, 2, 2, 1);

    f.release(ORG, "a1"); // granted on a reserved slot, but A still runs 3 with 2 reserved

    List<Event> events = f.events();
    assertEquals(List.of("b1"), PoolFixture.dispatchedIn(events), "a shared slot freed");
    Event.Dispatched d = assertInstanceOf(Event.Dispatched.class, events.get(events.size() - 1));
    assertEquals(SlotKind.SHARED, d.lease().slotKind());
    f.assertAgent(ORG, "A", OUTBOUND, 2, 3, 2, 1);
    f.assertAgent(ORG, "B", OUTBOUND, 0, 1, 0, 1);
    f.assertPool(ORG, 4, 2, 2, 0);

    // A's next call needs a shared slot again: its 2 reserved are in use by count.
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(ORG, "a5", "A", OUTBOUND).reason());
  }

  /** And an agent within its reservation frees a reserved slot, which only it can use. */
  @Test
  void agentWithinItsReservationFreesAReservedSlot() {
    f.org(ORG, 3);
    f.reserve(ORG, "A", OUTBOUND, 2);
    f.grantMany(ORG, "a", 2, "A", OUTBOUND);
    f.granted(ORG, "b1", "B", OUTBOUND);
    f.held(ORG, "b2", "B", OUTBOUND);

    f.release(ORG, "a2");

    assertEquals(List.of(), f.dispatched(), "B cannot use A's freed reserved slot");
    f.assertAgent(ORG, "A", OUTBOUND, 2, 1, 1, 0);
    f.assertPool(ORG, 2, 1, 1, 1);
    assertEquals(SlotKind.RESERVED, f.granted(ORG, "a3", "A", OUTBOUND).slotKind());
  }

  // ---- Who gets a freed slot ----------------------------------------------------------------

  /**
   * A freed reserved slot of (agent, type) goes to that pair's oldest waiter; a freed shared slot
   * to the oldest waiter that may use shared.
   */
  @Test
  void freedReservedSlotGoesToThePairsOldestWaiterAndSharedToTheOldestOverall() {
    f.org(ORG, 3);
    f.reserve(ORG, "A", CHAT, 1);
    f.granted(ORG, "a-chat-1", "A", CHAT); // A's reserved chat slot
    f.granted(ORG, "b1", "B", CHAT);
    f.granted(ORG, "b2", "B", CHAT); // shared (2) full
    f.held(ORG, "b3", "B", CHAT);
    f.held(ORG, "a-web-1", "A", WEBCALL);
    f.held(ORG, "a-chat-2", "A", CHAT);
    f.held(ORG, "a-chat-3", "A", CHAT);

    f.release(ORG, "a-chat-1");
    assertEquals(List.of("a-chat-2"), f.dispatched(),
        "A's chat slot skips B's and A's webcall waiters, which are older");
    assertEquals(SlotKind.RESERVED, assertInstanceOf(Results.Granted.class,
        f.watch(ORG, "a-chat-2")).lease().slotKind());
    assertEquals(List.of(1, 2, 3), List.of(f.positionOf(ORG, "b3"),
        f.positionOf(ORG, "a-web-1"), f.positionOf(ORG, "a-chat-3")));

    f.release(ORG, "b1");
    assertEquals(List.of("b3"), f.dispatched(), "a shared slot: the oldest waiter overall");
    f.release(ORG, "b2");
    assertEquals(List.of("a-web-1"), f.dispatched());
    f.release(ORG, "b3");
    // A's one chat slot is in use, so its next chat waiter takes the freed shared slot.
    assertEquals(List.of("a-chat-3"), f.dispatched());
    f.assertAgent(ORG, "A", CHAT, 1, 2, 1, 1);
  }

  /**
   * One call ending can free a pool slot and a login at once; the older of the waiters for the
   * two goes first: dispatch is FIFO among the calls that the freed capacity can serve.
   */
  @Test
  void slotAndLoginFreedTogetherServeTheOlderWaiterFirst() {
    f.org(ORG, 3);
    f.granted(PoolFixture.withLogin(ORG, "x1", "A", OUTBOUND, "seat"));
    f.granted(PoolFixture.withLogin(ORG, "x2", "A", OUTBOUND, "seat"));
    f.granted(ORG, "n1", "B", OUTBOUND);
    assertEquals(HoldReason.LOGIN_CONCURRENCY,
        f.held(PoolFixture.withLogin(ORG, "y", "A", OUTBOUND, "seat")).reason());
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(ORG, "z", "B", OUTBOUND).reason());

    f.release(ORG, "x1"); // frees a slot and a place on the seat

    assertEquals(List.of("y"), f.dispatched(), "y waited longer than z");
    assertTrue(f.isHeld(ORG, "z"));
  }

  @Test
  void callFreedByItsLoginButFacingAFullPoolKeepsItsPlaceInTheOrgQueue() {
    f.org(ORG, 3);
    f.granted(PoolFixture.withLogin(ORG, "x1", "A", OUTBOUND, "seat"));
    f.granted(PoolFixture.withLogin(ORG, "x2", "A", OUTBOUND, "seat"));
    f.granted(ORG, "n1", "B", OUTBOUND);
    f.held(ORG, "z1", "B", OUTBOUND);
    f.held(PoolFixture.withLogin(ORG, "y", "A", OUTBOUND, "seat"));
    f.held(ORG, "z2", "B", OUTBOUND);

    f.release(ORG, "x1");

    // z1 takes the slot; y passes its login now but the pool is full: it waits there, at its place.
    List<Event> events = f.events();
    assertEquals(List.of("z1"), PoolFixture.dispatchedIn(events));
    Event.HoldChanged changed = assertInstanceOf(Event.HoldChanged.class, events.get(2));
    assertEquals("y", changed.callId());
    assertEquals(HoldReason.ORG_POOL_FULL, changed.hold().reason());
    assertEquals(List.of(1, 2), List.of(f.positionOf(ORG, "y"), f.positionOf(ORG, "z2")));

    f.release(ORG, "n1");
    assertEquals(List.of("y"), f.dispatched(), "y before z2, who came later");
  }

  /** When both a shared and a reserved slot could serve, FIFO decides the order of dispatch. */
  @Test
  void severalFreedSlotsAreDispatchedOldestFirst() {
    f.org(ORG, 2);
    f.granted(ORG, "x1", "X", OUTBOUND);
    f.granted(ORG, "x2", "X", OUTBOUND);
    f.held(ORG, "b1", "B", OUTBOUND);
    f.held(ORG, "a1", "A", OUTBOUND);
    f.held(ORG, "b2", "B", OUTBOUND);
    f.held(ORG, "a2", "A", OUTBOUND);

    f.org(ORG, 5); // 3 more shared slots
    assertEquals(List.of("b1", "a1", "b2"), f.dispatched());
    assertEquals(1, f.positionOf(ORG, "a2"));
  }
}
