package io.admission.server.engine;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.SECOND;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.dispatched;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static io.admission.server.engine.SeatFixture.onlyDispatch;
import static io.admission.server.engine.SeatFixture.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The per-login rules: each login can run up to 2 calls at once and 250 calls an hour; a 3rd
 * simultaneous call, or the 251st within an hour, is held with a clear message rather than
 * rejected. Plus how login limits are configured.
 */
class LoginLimitsTest {

  // ---- 2 at a time ------------------------------------------------------------------------

  @Test
  void thirdConcurrentCallOfALoginIsHeldWithAClearMessage() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").login("alice"), T0);
    f.granted(call("c2").login("alice"), T0 + 1);

    Results.Hold hold = f.held(call("c3").login("alice"), T0 + 2);

    assertEquals(HoldReason.LOGIN_CONCURRENCY, hold.reason());
    assertEquals("held: login alice has 2/2 calls active; it starts when one ends", Sentences.hold(hold));
    assertEquals(OptionalLong.empty(), hold.readyAt(), "waits for a call to end, not a moment");
    assertEquals(1, hold.position());
    assertEquals(T0 + 2, hold.heldSince());
  }

  @Test
  void heldCallIsDispatchedTheMomentOneEnds() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").login("alice"), T0);
    f.granted(call("c2").login("alice"), T0);
    f.held(call("c3").login("alice"), T0 + SECOND);
    assertEquals(List.of(), f.tick(T0 + 10 * MINUTE), "nothing frees by time alone");

    assertEquals(Results.Released.Effect.RELEASED, f.release("c2", T0 + 10 * MINUTE));

    Results.Lease lease = onlyDispatch(f.events(), "c3");
    assertEquals(T0 + 10 * MINUTE, lease.grantedAt());
    assertEquals(2, f.loginLine("alice", T0 + 10 * MINUTE).active());
    assertEquals(0, f.status(T0 + 10 * MINUTE).queued());
  }

  @Test
  void heldCallsOfALoginGoFirstInFirstOutOneSlotAtATime() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").login("alice"), T0);
    f.granted(call("c2").login("alice"), T0);
    f.held(call("c3").login("alice"), T0 + 1);
    Results.Hold fourth = f.held(call("c4").login("alice"), T0 + 2);
    assertEquals(2, fourth.position());

    f.release("c1", T0 + 5);
    assertEquals(List.of("c3"), dispatched(f.events()));
    assertEquals(1, f.holdOf("c4", T0 + 5).position());

    f.release("c3", T0 + 6);
    assertEquals(List.of("c4"), dispatched(f.events()));
  }

  @Test
  void aLeaseThatExpiresFreesTheLoginSlotToo() {
    SeatFixture f = new SeatFixture(org().leaseTtl(30 * SECOND), T0);
    f.granted(call("c1").login("alice"), T0);
    f.granted(call("c2").login("alice"), T0 + 10 * SECOND);
    f.held(call("c3").login("alice"), T0 + 20 * SECOND);

    assertEquals(T0 + 30 * SECOND, f.engine.nextDeadline());
    List<Event> events = f.tick(T0 + 30 * SECOND);

    assertInstanceOf(Event.LeaseEnded.class, events.get(0));
    assertEquals(List.of("c3"), dispatched(events));
  }

  @Test
  void callsWithoutALoginAreNotLimitedPerLogin() {
    SeatFixture f = new SeatFixture();
    for (int i = 0; i < 5; i++) {
      f.granted(call("c" + i), T0);
    }
    assertEquals(List.of(), f.status(T0).logins());
  }

  // ---- 250 per rolling hour ---------------------------------------------------------------

  /** 250 starts, each released at once so that only the hourly limit can bite. */
  private static void start250(SeatFixture f, long first, long spacing) {
    for (int i = 0; i < 250; i++) {
      long t = first + i * spacing;
      f.granted(call("s" + i).login("alice"), t);
      f.release("s" + i, t);
    }
    f.events();
  }

  @Test
  void the251stCallWithinAnHourIsHeldUntilTheOldestStartLeavesTheWindow() {
    SeatFixture f = new SeatFixture();
    start250(f, T0, SECOND); // T0 .. T0+249 s
    long now = T0 + 30 * MINUTE; // the ended calls are forgotten by then: only the window is due

    Results.Hold hold = f.held(call("c251").login("alice"), now);

    assertEquals(HoldReason.LOGIN_RATE, hold.reason());
    assertEquals(OptionalLong.of(T0 + HOUR), hold.readyAt());
    assertEquals(
        "held: login alice started 250 calls in the last hour; room at 10:30:00 UTC",
        Sentences.hold(hold));
    assertEquals(T0 + HOUR, f.engine.nextDeadline(), "a timer waits for exactly that moment");

    assertEquals(List.of(), f.tick(T0 + HOUR - 1), "one millisecond early: still held");
    assertEquals(HoldReason.LOGIN_RATE, f.holdOf("c251", T0 + HOUR - 1).reason());

    Results.Lease lease = onlyDispatch(f.tick(T0 + HOUR), "c251");
    assertEquals(T0 + HOUR, lease.grantedAt());
    assertEquals(250, f.loginLine("alice", T0 + HOUR).lastWindow(), "s0 left, c251 came in");
  }

  @Test
  void anyCommandAtTheMomentTheWindowRollsDispatchesFirst() {
    SeatFixture f = new SeatFixture();
    start250(f, T0, SECOND);
    f.held(call("c251").login("alice"), T0 + 30 * MINUTE);

    // An unrelated Acquire at exactly readyAt: the timer fires first, at its own instant.
    f.granted(call("other").login("bob"), T0 + HOUR);

    Results.Lease lease = onlyDispatch(f.events(), "c251");
    assertEquals(T0 + HOUR, lease.grantedAt());
  }

  @Test
  void aLateTickDispatchesAtTheMomentTheWindowRolledNotLater() {
    SeatFixture f = new SeatFixture();
    start250(f, T0, SECOND);
    f.held(call("c251").login("alice"), T0 + 30 * MINUTE);

    Results.Lease lease = onlyDispatch(f.tick(T0 + 2 * HOUR), "c251");

    assertEquals(T0 + HOUR, lease.grantedAt());
  }

  @Test
  void windowRollsOneStartAtATimeAndEachRollAdmitsExactlyOne() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("alice", loginLimits(0, 3, 10 * MINUTE), T0);
    for (int i = 0; i < 3; i++) { // starts at T0, T0+1 min, T0+2 min
      f.granted(call("s" + i).login("alice"), T0 + i * MINUTE);
    }
    Results.Hold first = f.held(call("w1").login("alice"), T0 + 3 * MINUTE);
    f.held(call("w2").login("alice"), T0 + 3 * MINUTE + 1);
    f.held(call("w3").login("alice"), T0 + 3 * MINUTE + 2);
    assertEquals(OptionalLong.of(T0 + 10 * MINUTE), first.readyAt());

    assertEquals(T0 + 10 * MINUTE, f.engine.nextDeadline());
    assertEquals(List.of("w1"), dispatched(f.tick(T0 + 10 * MINUTE)));
    assertEquals(
        OptionalLong.of(T0 + 11 * MINUTE),
        f.holdOf("w2", T0 + 10 * MINUTE).readyAt(),
        "the next waiter now waits for the next oldest start");

    assertEquals(T0 + 11 * MINUTE, f.engine.nextDeadline());
    assertEquals(List.of(), dispatched(f.tick(T0 + 11 * MINUTE - 1)));
    assertEquals(List.of("w2"), dispatched(f.tick(T0 + 11 * MINUTE)));

    assertEquals(T0 + 12 * MINUTE, f.engine.nextDeadline());
    assertEquals(List.of("w3"), dispatched(f.tick(T0 + 12 * MINUTE)));
    assertEquals(3, f.loginLine("alice", T0 + 12 * MINUTE).lastWindow());
  }

  @Test
  void everyCallHeldOnlyByTheWindowIsDispatchedByTimeAlone() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("alice", loginLimits(0, 2, 10 * MINUTE), T0);
    f.granted(call("s0").login("alice"), T0);
    f.granted(call("s1").login("alice"), T0 + MINUTE);
    for (int i = 0; i < 5; i++) {
      f.held(call("w" + i).login("alice"), T0 + 2 * MINUTE);
    }

    // No release, no command: only the loop's ticks at the engine's own deadlines.
    List<String> order = new java.util.ArrayList<>();
    List<Long> at = new java.util.ArrayList<>();
    while (f.engine.nextDeadline() <= T0 + HOUR) {
      long t = f.engine.nextDeadline();
      for (String id : dispatched(f.tick(t))) {
        order.add(id);
        at.add(t);
      }
    }

    assertEquals(List.of("w0", "w1", "w2", "w3", "w4"), order);
    // Each start leaves 10 min after it was made: s0, s1, then the waiters' own starts.
    assertEquals(
        List.of(T0 + 10 * MINUTE, T0 + 11 * MINUTE, T0 + 20 * MINUTE, T0 + 21 * MINUTE, T0 + 30 * MINUTE),
        at);
  }

  @Test
  void theWindowIsExactNotBucketedByClockHour() {
    SeatFixture f = new SeatFixture(); // T0 is 09:30 UTC
    f.setLoginLimits("alice", loginLimits(0, 2, null), T0);
    f.granted(call("a").login("alice"), T0); // 09:30
    f.granted(call("b").login("alice"), T0 + 29 * MINUTE); // 09:59

    // 10:00 starts a new clock hour, but both starts are still within the last 60 minutes.
    Results.Hold hold = f.held(call("c").login("alice"), T0 + 30 * MINUTE);
    assertEquals(OptionalLong.of(T0 + HOUR), hold.readyAt());
    assertEquals(List.of(), f.tick(T0 + HOUR - 1));
    assertEquals(2, f.loginLine("alice", T0 + HOUR - 1).lastWindow());

    assertEquals(List.of("c"), dispatched(f.tick(T0 + HOUR)));
    // a left at 10:30 exactly; b still counts until 10:59, c from 10:30.
    assertEquals(2, f.loginLine("alice", T0 + HOUR).lastWindow());
    Results.Hold next = f.held(call("d").login("alice"), T0 + HOUR + 1);
    assertEquals(OptionalLong.of(T0 + 29 * MINUTE + HOUR), next.readyAt());
  }

  @Test
  void concurrencyIsCheckedBeforeRateAndAHeldCallThenWaitsForTheWindow() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("alice", loginLimits(2, 2, 10 * MINUTE), T0);
    f.granted(call("a").login("alice"), T0);
    f.granted(call("b").login("alice"), T0 + MINUTE);

    Results.Hold hold = f.held(call("c").login("alice"), T0 + 2 * MINUTE);
    assertEquals(HoldReason.LOGIN_CONCURRENCY, hold.reason(), "both limits full: concurrency first");

    // A call ends, but the window is still full: c now waits for the window, with a timer.
    f.release("a", T0 + 3 * MINUTE);
    List<Event> events = f.events();
    assertEquals(List.of(), dispatched(events));
    Results.Hold now = f.holdOf("c", T0 + 3 * MINUTE);
    assertEquals(HoldReason.LOGIN_RATE, now.reason());
    assertEquals(OptionalLong.of(T0 + 10 * MINUTE), now.readyAt());
    assertTrue(
        events.stream().anyMatch(e -> e instanceof Event.HoldChanged h && h.callId().equals("c")),
        "the stream hears that the call now waits for the window: " + events);
    assertEquals(T0 + 10 * MINUTE, f.engine.nextDeadline());

    assertEquals(List.of("c"), dispatched(f.tick(T0 + 10 * MINUTE)));
  }

  @Test
  void heldCallsCostNothingTowardTheWindow() {
    SeatFixture f = new SeatFixture();
    f.granted(call("a").login("alice"), T0);
    f.granted(call("b").login("alice"), T0);
    for (int i = 0; i < 5; i++) {
      f.held(call("h" + i).login("alice"), T0 + 1);
    }
    for (int i = 0; i < 5; i++) {
      f.release("h" + i, T0 + 2); // cancelled while held
    }
    assertEquals(2, f.loginLine("alice", T0 + 2).lastWindow());
  }

  @Test
  void customWindowOf15Minutes() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("alice", loginLimits(null, 2, 15 * MINUTE), T0);
    f.granted(call("a").login("alice"), T0);
    f.granted(call("b").login("alice"), T0 + MINUTE);
    f.release("a", T0 + MINUTE);

    Results.Hold hold = f.held(call("c").login("alice"), T0 + 2 * MINUTE);

    assertEquals(HoldReason.LOGIN_RATE, hold.reason());
    assertEquals(OptionalLong.of(T0 + 15 * MINUTE), hold.readyAt());
    assertTrue(Sentences.hold(hold).contains("in the last 15 min"), Sentences.hold(hold));
    assertEquals(
        "Active now: 1/2 concurrent · Last 15 min: 2/2", Sentences.monitorLine(f.loginLine("alice", T0 + 2 * MINUTE)));
    assertEquals(List.of("c"), dispatched(f.tick(T0 + 15 * MINUTE)));
  }

  // ---- Configuration ----------------------------------------------------------------------

  @Test
  void orgLoginDefaultsReplaceTheProductDefaults() {
    SeatFixture f = new SeatFixture(org().loginDefaults(loginLimits(3, 4, 30 * MINUTE)), T0);
    for (int i = 0; i < 3; i++) {
      f.granted(call("c" + i).login("alice"), T0);
    }
    Results.Hold hold = f.held(call("c3").login("alice"), T0);
    assertEquals("held: login alice has 3/3 calls active; it starts when one ends", Sentences.hold(hold));

    f.release("c0", T0 + 1);
    assertEquals(List.of("c3"), dispatched(f.events()));
    f.release("c1", T0 + 2); // 4 starts in the last 30 min now
    Results.Hold rate = f.held(call("c4").login("alice"), T0 + 3);
    assertEquals(HoldReason.LOGIN_RATE, rate.reason());
    assertEquals(OptionalLong.of(T0 + 30 * MINUTE), rate.readyAt());
  }

  @Test
  void unsetFieldsOfALoginOverrideInheritTheOrgDefaultsNotZero() {
    SeatFixture f = new SeatFixture(org().loginDefaults(loginLimits(3, 100, null)), T0);

    Results.LoginLimitsChanged changed =
        f.setLoginLimits("bob", loginLimits(1, null, null), T0);

    assertEquals(new LoginLimits.Effective(1, 100, HOUR), changed.effective());
    f.granted(call("b1").login("bob"), T0);
    assertEquals(HoldReason.LOGIN_CONCURRENCY, f.held(call("b2").login("bob"), T0).reason());
    // Another login keeps the org defaults.
    for (int i = 0; i < 3; i++) {
      f.granted(call("a" + i).login("alice"), T0);
    }
    f.held(call("a3").login("alice"), T0);
  }

  @Test
  void anEmptyOrgDefaultAndEmptyOverrideMeanTheProductDefaults() {
    SeatFixture f = new SeatFixture();
    Results.LoginLimitsChanged changed =
        f.setLoginLimits("bob", LoginLimits.INHERIT, T0);
    assertEquals(new LoginLimits.Effective(2, 250, HOUR), changed.effective());
    assertEquals(LoginLimits.INHERIT, changed.stored());
  }

  @Test
  void anExplicitZeroSwitchesALimitOff() {
    SeatFixture f = new SeatFixture(org().limit(1000), T0);
    f.setLoginLimits("robot", loginLimits(0, 0, null), T0);
    for (int i = 0; i < 300; i++) {
      f.granted(call("c" + i).login("robot"), T0 + i);
    }
    StatusView.LoginLine line = f.loginLine("robot", T0 + 300);
    assertEquals("Active now: 300 concurrent · Last hour: 300", Sentences.monitorLine(line));
    assertEquals(StatusView.Level.OK, line.level());
  }

  @Test
  void anOrgDefaultOfZeroSwitchesOffButALoginOverrideCanTurnItBackOn() {
    SeatFixture f = new SeatFixture(org().loginDefaults(loginLimits(0, null, null)), T0);
    for (int i = 0; i < 5; i++) {
      f.granted(call("a" + i).login("alice"), T0);
    }
    f.setLoginLimits("bob", loginLimits(2, null, null), T0);
    f.granted(call("b0").login("bob"), T0);
    f.granted(call("b1").login("bob"), T0);
    f.held(call("b2").login("bob"), T0);
  }

  @Test
  void raisingALoginLimitDispatchesAtOnceAndLoweringItInterruptsNothing() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").login("alice"), T0);
    f.granted(call("c2").login("alice"), T0);
    f.held(call("c3").login("alice"), T0);
    f.held(call("c4").login("alice"), T0);

    f.setLoginLimits("alice", loginLimits(3, null, null), T0 + 1);
    assertEquals(List.of("c3"), dispatched(f.events()));

    f.setLoginLimits("alice", loginLimits(1, null, null), T0 + 2);
    assertTrue(f.isActive("c1", T0 + 2) && f.isActive("c2", T0 + 2) && f.isActive("c3", T0 + 2));
    f.release("c1", T0 + 3);
    f.release("c2", T0 + 3);
    assertEquals(List.of(), dispatched(f.events()), "still 1 active against a limit of 1");
    f.release("c3", T0 + 4);
    assertEquals(List.of("c4"), dispatched(f.events()));
  }

  @Test
  void removingALoginOverrideFallsBackToTheDefaults() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("alice", loginLimits(5, null, null), T0);
    for (int i = 0; i < 4; i++) {
      f.granted(call("c" + i).login("alice"), T0);
    }
    Results.LoginLimitsChanged changed = f.setLoginLimits("alice", LoginLimits.INHERIT, T0 + 1);
    assertEquals(2, changed.effective().maxConcurrent());
    f.release("c0", T0 + 2);
    f.release("c1", T0 + 2);
    assertEquals(HoldReason.LOGIN_CONCURRENCY, f.held(call("c9").login("alice"), T0 + 3).reason());
  }

  @Test
  void changingOrgLoginDefaultsDispatchesHeldCalls() {
    SeatFixture f = new SeatFixture();
    f.granted(call("c1").login("alice"), T0);
    f.granted(call("c2").login("alice"), T0);
    f.held(call("c3").login("alice"), T0);

    f.putOrg(org().loginDefaults(loginLimits(3, null, null)), T0 + 1);

    assertEquals(List.of("c3"), dispatched(f.events()));
  }

  @Test
  void shorteningTheWindowLetsAWindowHeldCallGoAtOnce() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("alice", loginLimits(0, 1, HOUR), T0);
    f.granted(call("a").login("alice"), T0);
    f.held(call("b").login("alice"), T0 + 20 * MINUTE);

    f.setLoginLimits("alice", loginLimits(0, 1, 15 * MINUTE), T0 + 20 * MINUTE);

    assertEquals(List.of("b"), dispatched(f.events()));
  }

  @Test
  void lengtheningTheWindowMovesTheHeldCallsReadyAtAndItsTimer() {
    SeatFixture f = new SeatFixture();
    f.setLoginLimits("alice", loginLimits(0, 1, 15 * MINUTE), T0);
    f.granted(call("a").login("alice"), T0);
    assertEquals(OptionalLong.of(T0 + 15 * MINUTE), f.held(call("b").login("alice"), T0 + MINUTE).readyAt());

    f.setLoginLimits("alice", loginLimits(0, 1, 30 * MINUTE), T0 + 2 * MINUTE);
    assertEquals(List.of(), dispatched(f.tick(T0 + 15 * MINUTE)));
    assertEquals(OptionalLong.of(T0 + 30 * MINUTE), f.holdOf("b", T0 + 15 * MINUTE).readyAt());
    assertEquals(List.of("b"), dispatched(f.tick(T0 + 30 * MINUTE)));
  }

  // ---- Shared logins and independence ------------------------------------------------------

  @Test
  void tenAgentsSharingOneLoginShareItsTwoSlots() {
    SeatFixture f = new SeatFixture();
    for (int i = 0; i < 10; i++) {
      Results.AcquireResult r = f.acquire(call("c" + i).agent("agent" + i).login("front-desk"), T0);
      if (i < 2) {
        assertInstanceOf(Results.Granted.class, r);
      } else {
        assertEquals(
            HoldReason.LOGIN_CONCURRENCY, assertInstanceOf(Results.Held.class, r).hold().reason());
      }
    }
    assertEquals(8, f.status(T0).queued());
    assertEquals("Active now: 2/2 concurrent · Last hour: 2/250", Sentences.monitorLine(f.loginLine("front-desk", T0)));
  }

  @Test
  void tenAgentsWithTheirOwnLoginsEachGetTheirOwnBudget() {
    SeatFixture f = new SeatFixture();
    for (int i = 0; i < 10; i++) {
      f.granted(call("a" + i).agent("agent" + i).login("seat" + i), T0);
      f.granted(call("b" + i).agent("agent" + i).login("seat" + i), T0);
      assertEquals(
          HoldReason.LOGIN_CONCURRENCY,
          f.held(call("c" + i).agent("agent" + i).login("seat" + i), T0).reason());
    }
    assertEquals(20, f.status(T0).inUse());
    assertEquals(10, f.status(T0).logins().size());
  }

  @Test
  void aCallHeldByItsOwnLoginNeverHoldsBackAnotherLoginsCall() {
    SeatFixture f = new SeatFixture(org().limit(3), T0);
    f.granted(call("a1").login("alice"), T0);
    f.granted(call("a2").login("alice"), T0);
    f.held(call("a3").login("alice"), T0 + 1);

    Results.Lease lease = f.granted(call("b1").login("bob"), T0 + 2);

    assertEquals(SlotKind.SHARED, lease.slotKind());
    assertEquals(3, f.status(T0 + 2).inUse());
  }

  @Test
  void aFreedPoolSlotGoesToAnotherLoginWhileTheOlderCallStillWaitsForItsLogin() {
    SeatFixture f = new SeatFixture(org().limit(3), T0);
    f.granted(call("a1").login("alice"), T0);
    f.granted(call("a2").login("alice"), T0);
    f.granted(call("c1").login("carol"), T0);
    assertEquals(HoldReason.LOGIN_CONCURRENCY, f.held(call("a3").login("alice"), T0 + 1).reason());
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(call("b1").login("bob"), T0 + 2).reason());

    f.release("c1", T0 + 3);

    assertEquals(List.of("b1"), dispatched(f.events()));
    assertEquals(HoldReason.LOGIN_CONCURRENCY, f.holdOf("a3", T0 + 3).reason());
  }

  @Test
  void aCallHeldByItsLoginsWindowNeverHoldsBackAnotherLogin() {
    SeatFixture f = new SeatFixture(org().limit(2), T0);
    f.setLoginLimits("alice", loginLimits(0, 1, HOUR), T0);
    f.granted(call("a1").login("alice"), T0);
    f.release("a1", T0 + 1);
    f.held(call("a2").login("alice"), T0 + 2);
    f.granted(call("b1").login("bob"), T0 + 3);
    f.granted(call("b2").login("bob"), T0 + 3);
    assertFalse(f.isActive("a2", T0 + 3));
  }
}
