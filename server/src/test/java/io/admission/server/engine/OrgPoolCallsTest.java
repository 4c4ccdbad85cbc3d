package io.admission.server.engine;

import io.admission.server.api.Refusals;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.PoolFixture.CHAT;
import static io.admission.server.engine.PoolFixture.INBOUND;
import static io.admission.server.engine.PoolFixture.MINUTE;
import static io.admission.server.engine.PoolFixture.OUTBOUND;
import static io.admission.server.engine.PoolFixture.SECOND;
import static io.admission.server.engine.PoolFixture.T0;
import static io.admission.server.engine.PoolFixture.WEBCALL;
import static io.admission.server.engine.PoolFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A call's life in the org pool as clients see it: call_id is the idempotency key, a
 * retried Acquire never counts twice, Release is idempotent and cancels a held call, queue
 * positions are 1-based across the org, holds say what is full, unknown orgs are NOT_FOUND, and
 * {@code watch} gives the first event of a WaitForSlot stream.
 */
class OrgPoolCallsTest {
  private static final String ORG = "acme";
  private final PoolFixture f = new PoolFixture();

  // ---- Idempotent Acquire -----------------------------------------------------------------

  @Test
  void retriedAcquireOfAGrantedCallReturnsItsLeaseAndNeverCountsTwice() {
    f.org(ORG, 2);
    Results.Lease lease = f.granted(ORG, "c1", "A", OUTBOUND);
    f.advance(5 * SECOND);

    for (int i = 0; i < 3; i++) {
      Results.Granted again =
          assertInstanceOf(Results.Granted.class, f.acquire(ORG, "c1", "A", OUTBOUND));
      assertTrue(again.retry());
      assertEquals(lease, again.lease(), "the same lease, not a new grant");
    }
    f.assertPool(ORG, 1, 2, 1, 0);
    f.granted(ORG, "c2", "A", OUTBOUND);
    f.held(ORG, "c3", "A", OUTBOUND);
    assertEquals(List.of(), f.events());
  }

  @Test
  void retriedAcquireOfAHeldCallReturnsItsHoldAndKeepsItsPlace() {
    f.org(ORG, 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    Results.Hold first = f.held(ORG, "h1", "A", OUTBOUND);
    f.held(ORG, "h2", "B", OUTBOUND);
    f.advance(SECOND);

    Results.Held again = assertInstanceOf(Results.Held.class, f.acquire(ORG, "h1", "A", OUTBOUND));

    assertTrue(again.retry());
    assertEquals(first, again.hold());
    assertEquals(2, f.status(ORG).queued());
    assertEquals(2, f.positionOf(ORG, "h2"), "no second place in the queue");

    f.release(ORG, "c1");
    assertEquals(List.of("h1"), f.dispatched());
    Results.Granted afterDispatch =
        assertInstanceOf(Results.Granted.class, f.acquire(ORG, "h1", "A", OUTBOUND));
    assertTrue(afterDispatch.retry());
    assertEquals(T0 + SECOND, afterDispatch.lease().grantedAt());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "other agent,    B, OUTBOUND, 0, 0",
    "no agent,       '', OUTBOUND, 0, 0",
    "other type,     A, INBOUND,  0, 0",
    "other ttl,      A, OUTBOUND, 30000, 0",
    "other max_wait, A, OUTBOUND, 0, 30000",
  })
  void sameCallIdWithOtherParametersIsAlreadyExists(
      String what, String agent, CallType type, long ttl, long maxWait) {
    f.org(ORG, 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.held(ORG, "h1", "A", OUTBOUND);
    f.release(ORG, "h1"); // cancelled while held
    f.release(ORG, "c1"); // released
    f.granted(ORG, "e1", "A", OUTBOUND);
    f.events();

    for (String id : List.of("c1", "h1")) {
      Rejection r = assertInstanceOf(Rejection.class,
          f.acquire(request(ORG, id, agent, type, ttl, maxWait)), what + " on ended " + id);
      assertEquals(Rejection.Kind.ALREADY_EXISTS, r.kind());
      assertEquals("call_id", r.field());
      assertTrue(Refusals.text(r).contains("call_id " + id + " is already used"), Refusals.text(r));
    }
    f.held(ORG, "h2", "A", OUTBOUND);
    for (String id : List.of("e1", "h2")) { // active and held
      Rejection r = assertInstanceOf(Rejection.class,
          f.acquire(request(ORG, id, agent, type, ttl, maxWait)), what + " on " + id);
      assertEquals(Rejection.Kind.ALREADY_EXISTS, r.kind());
    }
    f.assertPool(ORG, 1, 1, 1, 1);
    assertEquals(List.of(), f.events());
  }

  @Test
  void endedCallRetriedWithinTenMinutesIsRefusedSayingHowItEndedThenForgotten() {
    f.org(ORG, 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.held(ORG, "h1", "A", OUTBOUND);
    f.advance(SECOND);
    f.release(ORG, "h1"); // cancelled while held
    f.release(ORG, "c1");
    long endedAt = f.now;

    f.advance(10 * MINUTE - 1);
    Rejection released = assertInstanceOf(Rejection.class, f.acquire(ORG, "c1", "A", OUTBOUND));
    assertEquals(Rejection.Kind.FAILED_PRECONDITION, released.kind());
    assertEquals("call_id", released.field());
    assertEquals("call c1 was released at 2026-03-03 14:07:06 UTC; a call_id is never granted"
        + " twice: use a new call_id", Refusals.text(released));
    Rejection cancelled = assertInstanceOf(Rejection.class, f.acquire(ORG, "h1", "A", OUTBOUND));
    assertTrue(Refusals.text(cancelled).contains("cancelled while held"), Refusals.text(cancelled));
    f.assertPool(ORG, 0, 1, 0, 0);

    f.advance(1); // ten minutes after the end: forgotten
    assertEquals(endedAt + 10 * MINUTE, f.now);
    assertEquals(Rejection.Kind.NOT_FOUND,
        assertInstanceOf(Rejection.class, f.watch(ORG, "c1")).kind());
    Results.Granted fresh =
        assertInstanceOf(Results.Granted.class, f.acquire(ORG, "c1", "B", CHAT));
    assertFalse(fresh.retry(), "a new call that happens to reuse the id");
    assertEquals(f.now, fresh.lease().grantedAt());
  }

  @Test
  void callIdsAreKeysWithinAnOrg() {
    f.org(ORG, 1);
    f.org("other", 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    Results.Lease there = f.granted("other", "c1", "B", CHAT);
    assertEquals("other", there.orgId());
    f.assertPool(ORG, 1, 1, 1, 0);
    f.assertPool("other", 1, 1, 1, 0);
  }

  // ---- Release ----------------------------------------------------------------------------

  @Test
  void releaseIsIdempotent() {
    f.org(ORG, 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.held(ORG, "h1", "A", OUTBOUND);

    assertEquals(Results.Released.Effect.RELEASED, f.release(ORG, "c1"));
    assertEquals(List.of("h1"), f.dispatched());
    assertEquals(Results.Released.Effect.NOT_ACTIVE, f.release(ORG, "c1"));
    assertEquals(Results.Released.Effect.NOT_ACTIVE, f.release(ORG, "never-seen"));
    assertEquals(List.of(), f.events(), "a second release changes nothing");
    f.assertPool(ORG, 1, 1, 1, 0);
    assertTrue(f.isActive(ORG, "h1"));
  }

  @Test
  void releasingAHeldCallCancelsItAndItLeavesTheQueue() {
    f.org(ORG, 1);
    f.granted(ORG, "c1", "A", OUTBOUND);
    f.held(ORG, "h1", "A", OUTBOUND);
    f.held(ORG, "h2", "B", CHAT);
    f.held(ORG, "h3", "C", WEBCALL);
    f.advance(SECOND);

    assertEquals(Results.Released.Effect.CANCELLED, f.release(ORG, "h2"));

    List<Event> events = f.events();
    assertEquals(1, events.size(), events::toString);
    Event.WaitEnded w = assertInstanceOf(Event.WaitEnded.class, events.get(0));
    assertEquals("h2", w.callId());
    assertEquals(EndReason.CANCELLED, w.ended().reason());
    assertEquals(T0, w.ended().heldSince());
    assertEquals(T0 + SECOND, w.ended().endedAt());
    assertFalse(Sentences.ended(w.ended()).isBlank());
    assertEquals(w.ended(), f.endedOf(ORG, "h2"));
    assertEquals(List.of(1, 2), List.of(f.positionOf(ORG, "h1"), f.positionOf(ORG, "h3")));
    f.assertPool(ORG, 1, 1, 1, 2);
    assertEquals(Results.Released.Effect.NOT_ACTIVE, f.release(ORG, "h2"));

    f.release(ORG, "c1");
    f.release(ORG, "h1");
    assertEquals(List.of("h1", "h3"), f.dispatched());
  }

  // ---- Queue positions and hold messages --------------------------------------------------

  @Test
  void queuePositionsAreOneBasedAcrossTheWholeOrg() {
    f.org(ORG, 1);
    f.org("other", 1);
    f.granted(ORG, "c1", "X", OUTBOUND);
    f.granted("other", "c1", "X", OUTBOUND);
    CallType[] types = {CHAT, OUTBOUND, WEBCALL, INBOUND};
    String[] agents = {"A", "B", "", "C"};
    for (int i = 0; i < 8; i++) {
      assertEquals(i + 1, f.held(ORG, "h" + i, agents[i % 4], types[(i / 2) % 4]).position());
    }
    assertEquals(1, f.held("other", "h0", "A", CHAT).position(), "each org has its own queue");
    assertEquals(8, f.status(ORG).queued());

    f.release(ORG, "h3");
    f.release(ORG, "c1");
    assertEquals(List.of("h0"), f.dispatched());
    int expected = 1;
    for (String id : List.of("h1", "h2", "h4", "h5", "h6", "h7")) {
      assertEquals(expected++, f.positionOf(ORG, id), id);
    }
  }

  @Test
  void holdMessagesSayWhatIsFullInWords() {
    f.org(ORG, 3);
    f.reserve(ORG, "A", CHAT, 1);
    f.granted(ORG, "a1", "A", CHAT);
    f.grantMany(ORG, "b", 2, "B", WEBCALL);

    List<Results.Hold> holds = List.of(
        f.held(ORG, "a2", "A", CHAT), f.held(ORG, "a3", "A", INBOUND), f.held(ORG, "n1", "", CHAT));
    for (Results.Hold hold : holds) {
      String m = Sentences.hold(hold);
      assertTrue(m.startsWith("held: "), m);
      assertTrue(m.contains("shared slots of org acme are in use"), m);
      assertTrue(m.contains("when a slot frees"), m);
      assertEquals(HoldReason.ORG_POOL_FULL, hold.reason());
      assertEquals(java.util.OptionalLong.empty(), hold.readyAt(), "waits for a call to end");
    }
    String own = Sentences.hold(f.holdOf(ORG, "a2"));
    assertTrue(own.contains("agent A's 1 reserved chat slots are full"), own);
    assertFalse(Sentences.hold(f.holdOf(ORG, "a3")).toLowerCase(Locale.ROOT).contains("reserved"),
        "A has no inbound reservation");
  }

  // ---- Unknown org ------------------------------------------------------------------------

  @Test
  void unknownOrgIsNotFoundEverywhere() {
    f.org(ORG, 1);
    List<Object> results = List.of(
        f.acquire("ghost", "c1", "A", OUTBOUND),
        f.releaseResult("ghost", "c1"),
        f.renewResult("ghost", 0, "c1"),
        f.setReservation("ghost", "A", OUTBOUND, 1),
        f.removeAgent("ghost", "A"),
        f.engine.getOrg("ghost"),
        f.engine.status("ghost", f.now),
        f.watch("ghost", "c1"));
    for (Object result : results) {
      Rejection r = assertInstanceOf(Rejection.class, result);
      assertEquals(Rejection.Kind.NOT_FOUND, r.kind());
      assertEquals("org_id", r.field());
      assertEquals("org ghost does not exist", Refusals.text(r));
    }
    assertEquals(1, f.engine.orgCount());
  }

  // ---- watch: the first event of WaitForSlot ----------------------------------------------

  @Test
  void watchGivesTheCurrentStateOrTheTerminalEvent() {
    f.org(ORG, 1);
    Results.Lease lease = f.granted(ORG, "c1", "A", OUTBOUND);
    Results.Hold hold = f.held(request(ORG, "h1", "A", OUTBOUND, 0, MINUTE));
    f.held(ORG, "h2", "A", OUTBOUND);

    Results.Granted g = assertInstanceOf(Results.Granted.class, f.watch(ORG, "c1"));
    assertEquals(lease, g.lease());
    Results.Held h = assertInstanceOf(Results.Held.class, f.watch(ORG, "h1"));
    assertEquals(hold, h.hold());
    assertEquals(Rejection.Kind.NOT_FOUND,
        assertInstanceOf(Rejection.class, f.watch(ORG, "never-seen")).kind());

    f.advance(MINUTE); // h1's max_wait passes
    f.release(ORG, "c1"); // h2 is dispatched
    f.events();

    Results.Ended c1 = f.endedOf(ORG, "c1");
    assertEquals(EndReason.RELEASED, c1.reason());
    assertEquals(lease, c1.lease(), "the lease it had");
    assertEquals(f.now, c1.endedAt());
    assertEquals(-1, c1.heldSince(), "never held");
    Results.Ended h1 = f.endedOf(ORG, "h1");
    assertEquals(EndReason.WAIT_EXPIRED, h1.reason());
    assertEquals(null, h1.lease());
    Results.Granted h2 = assertInstanceOf(Results.Granted.class, f.watch(ORG, "h2"));
    assertEquals(f.now, h2.lease().grantedAt());
  }
}
