package io.admission.server.engine;

import io.admission.server.api.Refusals;

import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.ORG;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.dailyCap;
import static io.admission.server.engine.SeatFixture.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The engine's bounds: orgs, and held calls per org. Over one, a command is RESOURCE_EXHAUSTED
 * naming the bound and changes nothing; a command log of the accepted commands replays to the
 * same state without the bounds.
 */
class EngineBoundsTest {
  @Test
  void anAcquireThatWouldBeHeldBeyondTheBoundIsRefusedAndChangesNothing() {
    SeatFixture f = new SeatFixture(org().limit(1), T0);
    f.engine.bound(new Engine.Bounds(10, 2));
    f.granted(call("c1").login("alice"), T0);
    f.held(call("c2").login("bob"), T0 + 1);
    f.held(call("c3").agent("a1"), T0 + 2);
    f.tick(T0 + 3); // time passing is not the Acquire's doing
    f.engine.drainEvents();
    EngineSnapshot before = Snapshots.capture(f.engine);

    Rejection r = assertInstanceOf(Rejection.class,
        f.acquire(call("c4").login("carol").number("+1555").agent("a2"), T0 + 3));

    assertEquals(Rejection.Kind.RESOURCE_EXHAUSTED, r.kind());
    assertEquals("max-held-calls-per-org", r.field());
    assertEquals("call c4 would be held, but org acme already holds 2 calls, its bound of 2;"
        + " retry once held calls have been dispatched or cancelled", Refusals.text(r));
    EngineSnapshot after = Snapshots.capture(f.engine);
    assertEquals(before, after, "nothing changed, not even the next sequence number");
    assertEquals(List.of(), f.engine.drainEvents());
    assertTrue(!f.engine.org(ORG).logins.containsKey("carol")
        && !f.engine.org(ORG).numbers.containsKey("+1555")
        && !f.engine.org(ORG).pool.agents.containsKey("a2"), "no login, number or agent kept");
    // A retry of a held call is its state, not a new hold.
    assertInstanceOf(Results.Held.class, f.acquire(call("c2").login("bob"), T0 + 4));
  }

  @Test
  void callsThatCanStartOrAreDeniedAreDecidedAsEverAtTheBound() {
    SeatFixture f = new SeatFixture(org().limit(1).dailyCap(dailyCap(1)), T0);
    f.engine.bound(new Engine.Bounds(10, 1));
    f.engine.setReservation(new Commands.SetReservation(ORG, "vip", CallType.OUTBOUND, 1), T0);
    f.putOrg(org().limit(2).dailyCap(dailyCap(1)), T0);
    f.granted(call("c1").type(CallType.INBOUND), T0);
    f.held(call("c2").type(CallType.INBOUND), T0 + 1);

    f.granted(call("c3").agent("vip"), T0 + 2); // its reserved slot is free
    f.release("c3", T0 + 3);
    f.denied(call("c4").agent("vip"), T0 + 4); // the daily cap of 1 is spent
  }

  @Test
  void creatingAnOrgBeyondTheBoundIsRefused() {
    Engine engine = new Engine();
    engine.bound(new Engine.Bounds(2, 10));
    assertInstanceOf(Results.OrgView.class, engine.putOrg(put("a"), T0));
    assertInstanceOf(Results.OrgView.class, engine.putOrg(put("b"), T0));

    Rejection r = assertInstanceOf(Rejection.class, engine.putOrg(put("c"), T0));

    assertEquals(Rejection.Kind.RESOURCE_EXHAUSTED, r.kind());
    assertEquals("max-orgs", r.field());
    assertEquals("org c is not created: the server holds 2 orgs and one more would be over its"
        + " bound of 2; delete unused orgs first", Refusals.text(r));
    assertEquals(2, engine.orgCount());
    assertInstanceOf(Results.OrgView.class, engine.putOrg(put("a"), T0), "existing orgs change");
    assertInstanceOf(Results.OrgDeleted.class, engine.deleteOrg(new Commands.DeleteOrg("b"), T0));
    assertInstanceOf(Results.OrgView.class, engine.putOrg(put("c"), T0));
  }

  @Test
  void aConfigThatWouldAddOrgsBeyondTheBoundIsRefusedWhole() {
    Engine engine = new Engine();
    engine.bound(new Engine.Bounds(2, 10));
    engine.putOrg(put("a"), T0);
    Commands.ApplyConfig config = new Commands.ApplyConfig(List.of(setup("a"), setup("b"),
        setup("c")));

    Rejection r = assertInstanceOf(Rejection.class, engine.applyConfig(config, T0));

    assertEquals("max-orgs", r.field());
    assertTrue(Refusals.text(r).contains("2 more would be over its bound of 2"), Refusals.text(r));
    assertEquals(1, engine.orgCount());
  }

  /**
   * Refused commands are taken back from the command log, so the log holds only accepted ones:
   * replayed without bounds — as a restart does, whatever the bounds are then — they give the
   * same state and the same answers.
   */
  @Test
  void theAcceptedCommandsReplayToTheSameStateWithoutTheBounds() {
    Engine live = new Engine();
    live.bound(new Engine.Bounds(1, 1));
    List<Commands.Command<?>> log = new ArrayList<>();
    List<Object> answers = new ArrayList<>();
    List<Commands.Command<?>> commands = List.of(
        put(ORG), put("other"),
        acquire("c1"), acquire("c2"), acquire("c3"), new Commands.Release(ORG, "c1"),
        acquire("c4"), acquire("c5"));
    long now = T0;
    for (Commands.Command<?> c : commands) {
      Object answer = c.applyTo(live, now += 1000);
      if (!(answer instanceof Rejection)) {
        log.add(c);
        answers.add(answer);
      }
    }
    assertEquals(5, log.size(), "org other, c3 and c5 refused: " + log);

    Engine replayed = new Engine();
    List<Object> replayedAnswers = new ArrayList<>();
    now = T0;
    for (Commands.Command<?> c : commands) {
      now += 1000;
      if (log.contains(c)) {
        replayedAnswers.add(c.applyTo(replayed, now));
      }
    }
    assertEquals(answers, replayedAnswers);
    replayed.advance(now); // the time of the refused command at the end, as a restart's clock
    assertEquals(Snapshots.capture(live), Snapshots.capture(replayed));
    replayed.advance(now + HOUR);
    live.advance(now + HOUR);
    assertEquals(Snapshots.capture(live), Snapshots.capture(replayed));
  }

  private static Commands.Acquire acquire(String callId) {
    return new Commands.Acquire(ORG, callId, "", CallType.OUTBOUND, "", "", 0, 0);
  }

  private static Commands.PutOrg put(String orgId) {
    return new Commands.PutOrg(config(orgId));
  }

  private static OrgConfig config(String orgId) {
    return new OrgConfig(orgId, 1, Optional.empty(), ZoneOffset.UTC, OptionalLong.empty(),
        LoginLimits.INHERIT, NumberLimits.INHERIT);
  }

  private static Commands.OrgSetup setup(String orgId) {
    return new Commands.OrgSetup(config(orgId), List.of(), List.of(), List.of());
  }
}
