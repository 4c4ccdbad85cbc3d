package io.admission.server.engine;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.dailyCap;
import static io.admission.server.engine.SeatFixture.dispatched;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static io.admission.server.engine.SeatFixture.numberLimits;
import static io.admission.server.engine.SeatFixture.org;
import static io.admission.server.engine.SeatFixture.waitEnded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The order of checks: login concurrency, login window, number concurrency, number hour, org
 * pool, calling hours, daily cap, number daily cap; a held call costs nothing and is re-checked
 * from the first rule when it comes up. The per-login rules fix the key part: both checks run
 * before the daily warm-up cap, so a held call never costs any of the daily allowance.
 */
class CheckOrderTest {
  private static final String NUM = "+15551230000";

  @Test
  void theOrderedListIsTheDocumentedOrder() {
    assertEquals(
        List.of(
            ConcurrencyWindowLimit.LOGINS,
            ConcurrencyWindowLimit.NUMBERS,
            OrgPoolLimit.INSTANCE,
            CallingHoursLimit.INSTANCE,
            DailyCapLimit.INSTANCE,
            NumberDailyCapLimit.INSTANCE),
        Limits.ORDER);
    List<HoldReason> holds = new java.util.ArrayList<>();
    Limits.ORDER.forEach(l -> holds.addAll(l.holdReasons()));
    assertEquals(
        List.of(HoldReason.LOGIN_CONCURRENCY, HoldReason.LOGIN_RATE, HoldReason.NUMBER_CONCURRENCY,
            HoldReason.NUMBER_RATE, HoldReason.ORG_POOL_FULL),
        holds, "each holding check in its place; the denying ones come after");
  }

  /**
   * Every limit full at once: org pool 1 (in use), login at 1/1 and 1/1 per hour, number at 1/1
   * concurrent and 1 per hour and per day, daily cap 1 (used). Then limits are switched off one at
   * a time, from the first check on, and the next call shows the next reason.
   */
  @Test
  void eachLimitIsReportedOnlyWhenAllEarlierOnesPass() {
    SeatFixture f =
        new SeatFixture(
            org().limit(1).dailyCap(dailyCap(1)).numberDefaults(numberLimits(1, 1, 1)), T0);
    f.setLoginLimits("alice", loginLimits(1, 1, HOUR), T0);
    f.granted(call("first").login("alice").number(NUM), T0);

    assertEquals(HoldReason.LOGIN_CONCURRENCY, reasonOf(f, "r1"));
    f.setLoginLimits("alice", loginLimits(0, 1, HOUR), T0);
    assertEquals(HoldReason.LOGIN_RATE, reasonOf(f, "r2"));
    f.setLoginLimits("alice", loginLimits(0, 0, HOUR), T0);
    assertEquals(HoldReason.NUMBER_CONCURRENCY, reasonOf(f, "r3"));
    f.setNumberLimits(NUM, numberLimits(null, null, 0), T0);
    assertEquals(HoldReason.NUMBER_RATE, reasonOf(f, "r4"));
    f.setNumberLimits(NUM, numberLimits(null, 0, 0), T0);
    assertEquals(HoldReason.ORG_POOL_FULL, reasonOf(f, "r5"));
    // Each change above re-checked the calls held before it: all five now wait on the pool.
    assertEquals(5, f.status(T0).heldByReason()[HoldReason.ORG_POOL_FULL.ordinal()]);
    for (String id : List.of("r1", "r2", "r3", "r4", "r5")) {
      f.release(id, T0);
    }
    f.putOrg(org().limit(2).dailyCap(dailyCap(1)).numberDefaults(numberLimits(1, 1, 1)), T0);
    assertEquals(DenialReason.DAILY_CAP, f.denied(call("d1").login("alice").number(NUM), T0).reason());
    f.putOrg(org().limit(2).dailyCap(dailyCap(2)).numberDefaults(numberLimits(1, 1, 1)), T0);
    assertEquals(
        DenialReason.NUMBER_DAILY_CAP, f.denied(call("d2").login("alice").number(NUM), T0).reason());
    f.setNumberLimits(NUM, numberLimits(0, 0, 0), T0);
    f.granted(call("ok").login("alice").number(NUM), T0);
  }

  private static HoldReason reasonOf(SeatFixture f, String callId) {
    return f.held(call(callId).login("alice").number(NUM), T0).reason();
  }

  @Test
  void aCallThatCouldNotStartAnywayIsHeldNotDeniedByTheDailyCap() {
    SeatFixture f = new SeatFixture(org().limit(1).dailyCap(dailyCap(1)), T0);
    f.granted(call("c1").login("bob"), T0); // daily cap reached, pool full

    assertEquals(HoldReason.ORG_POOL_FULL, f.held(call("c2").login("alice"), T0 + 1).reason());

    // When it comes up, the daily cap decides.
    f.release("c1", T0 + 2);
    assertEquals(DenialReason.DAILY_CAP, waitEnded(f.events(), "c2").denial().reason());
  }

  @Test
  void aCallHeldByTheLoginIsReCheckedFromTheFirstRuleAndMayThenWaitOnTheNumber() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(null, null, 1), T0);
    f.granted(call("a1").login("alice"), T0);
    f.granted(call("a2").login("alice"), T0);
    Results.Hold hold = f.held(call("a3").login("alice").number(NUM), T0 + 1);
    assertEquals(HoldReason.LOGIN_CONCURRENCY, hold.reason());
    f.granted(call("b1").login("bob").number(NUM), T0 + 2); // takes the number's one slot

    f.release("a1", T0 + 3);

    List<Event> events = f.events();
    assertEquals(List.of(), dispatched(events));
    Event.HoldChanged changed =
        events.stream()
            .filter(Event.HoldChanged.class::isInstance)
            .map(Event.HoldChanged.class::cast)
            .findFirst()
            .orElseThrow();
    assertEquals("a3", changed.callId());
    assertEquals(HoldReason.NUMBER_CONCURRENCY, changed.hold().reason());
    assertEquals(1, changed.hold().position(), "keeps its place");
    assertEquals(T0 + 1, changed.hold().heldSince());

    f.release("b1", T0 + 4);
    assertEquals(List.of("a3"), dispatched(f.events()));
  }

  @Test
  void aCallHeldOnItsNumberMayThenWaitOnItsLogin() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(null, null, 1), T0);
    f.granted(call("n1").login("bob").number(NUM), T0);
    assertEquals(HoldReason.NUMBER_CONCURRENCY, f.held(call("w").login("alice").number(NUM), T0).reason());
    f.granted(call("a1").login("alice"), T0 + 1);
    f.granted(call("a2").login("alice"), T0 + 1);

    f.release("n1", T0 + 2);
    assertEquals(List.of(), dispatched(f.events()));
    assertEquals(HoldReason.LOGIN_CONCURRENCY, f.holdOf("w", T0 + 2).reason());

    f.release("a1", T0 + 3);
    assertEquals(List.of("w"), dispatched(f.events()));
  }

  @Test
  void aPoolHeldCallThatFindsItsLoginFullWhenASlotFreesLetsTheNextPoolWaiterGo() {
    SeatFixture f = new SeatFixture(org().limit(3), T0);
    f.granted(call("x").login("carol"), T0);
    f.granted(call("a1").login("alice"), T0);
    f.granted(call("y").login("carol"), T0);
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(call("a2").login("alice"), T0 + 1).reason());
    assertEquals(HoldReason.ORG_POOL_FULL, f.held(call("b1").login("bob"), T0 + 2).reason());
    // alice's limit drops to 1: her held call can no longer start even when the pool frees.
    f.setLoginLimits("alice", loginLimits(1, null, null), T0 + 3);

    f.release("x", T0 + 4);

    assertEquals(List.of("b1"), dispatched(f.events()));
    assertEquals(HoldReason.LOGIN_CONCURRENCY, f.holdOf("a2", T0 + 4).reason());
  }

  @Test
  void heldCallsNeverCountTowardAnyCounter() {
    SeatFixture f =
        new SeatFixture(org().limit(1).dailyCap(dailyCap(5)).numberDefaults(numberLimits(5, 5, 5)), T0);
    f.granted(call("c1").login("alice").number(NUM), T0);
    for (int i = 0; i < 4; i++) {
      f.held(call("h" + i).login("alice").number(NUM), T0 + 1);
    }
    assertEquals(1, f.dailyUsed(T0 + 1));
    assertEquals(1, f.loginLine("alice", T0 + 1).lastWindow());
    StatusView.NumberLine number = f.numberLine(NUM, T0 + 1);
    assertEquals(1, number.today());
    assertEquals(1, number.lastHour());
    assertEquals(1, number.active());
  }

  // ---- Every hold and denial says what happened and when it clears -----------------------

  private static final Pattern CLOCK = Pattern.compile("room at \\d\\d:\\d\\d:\\d\\d UTC");

  @Test
  void everyHoldAndDenialMessageSaysWhenItClears() {
    SeatFixture f =
        new SeatFixture(
            org().limit(3).dailyCap(dailyCap(4)).numberDefaults(numberLimits(null, null, null)), T0);
    f.setLoginLimits("conc", loginLimits(1, 0, null), T0);
    f.setLoginLimits("rate", loginLimits(0, 1, null), T0);
    f.setNumberLimits("+1", numberLimits(null, null, 1), T0);
    f.setNumberLimits("+2", numberLimits(null, 1, null), T0);
    f.granted(call("c").login("conc"), T0);
    f.granted(call("r").login("rate"), T0);
    f.release("r", T0);
    f.granted(call("n1").number("+1"), T0);
    f.granted(call("n2").number("+2"), T0);
    f.release("n2", T0);

    assertClears(f.held(call("h1").login("conc"), T0 + 1), HoldReason.LOGIN_CONCURRENCY, "when one ends");
    assertClears(f.held(call("h2").login("rate"), T0 + 1), HoldReason.LOGIN_RATE, null);
    assertClears(f.held(call("h3").number("+1"), T0 + 1), HoldReason.NUMBER_CONCURRENCY, "when one ends");
    assertClears(f.held(call("h4").number("+2"), T0 + 1), HoldReason.NUMBER_RATE, null);
    f.granted(call("p").type(CallType.CHAT), T0 + 1); // the pool of 3 is full now
    assertClears(f.held(call("h5"), T0 + 1), HoldReason.ORG_POOL_FULL, "when a slot frees");

    // Denials: a fresh org with a daily cap of 2 and a number capped at 1 a day.
    SeatFixture g = new SeatFixture(org().dailyCap(dailyCap(2)), T0);
    g.setNumberLimits("+3", numberLimits(1, null, null), T0);
    g.granted(call("d0").number("+3").type(CallType.CHAT), T0);
    Results.Denial number = g.denied(call("d1").number("+3").type(CallType.CHAT), T0);
    assertEquals(DenialReason.NUMBER_DAILY_CAP, number.reason());
    assertTrue(
        Sentences.denial(number).contains("resets at midnight UTC, 2026-06-17 00:00:00 UTC"), Sentences.denial(number));
    g.granted(call("o1"), T0);
    g.granted(call("o2"), T0);
    Results.Denial daily = g.denied(call("o3"), T0);
    assertEquals(DenialReason.DAILY_CAP, daily.reason());
    assertTrue(Sentences.denial(daily).contains("daily cap of 2 calls"), Sentences.denial(daily));
    assertTrue(
        Sentences.denial(daily).contains("resets at midnight UTC, 2026-06-17 00:00:00 UTC"), Sentences.denial(daily));
  }

  private static void assertClears(Results.Hold hold, HoldReason reason, String words) {
    assertEquals(reason, hold.reason());
    assertFalse(Sentences.hold(hold).isBlank());
    assertTrue(Sentences.hold(hold).startsWith("held: "), Sentences.hold(hold));
    if (words != null) {
      assertTrue(Sentences.hold(hold).endsWith(words), Sentences.hold(hold));
      assertTrue(hold.readyAt().isEmpty());
    } else {
      assertTrue(CLOCK.matcher(Sentences.hold(hold)).find(), Sentences.hold(hold));
      assertTrue(hold.readyAt().isPresent());
    }
  }

  @Test
  void aRateHoldReadyOnAnotherUtcDayNamesTheDate() {
    long lateEvening = SeatFixture.utc("2026-06-16T23:50:00Z");
    SeatFixture f = new SeatFixture(org(), lateEvening);
    f.setLoginLimits("alice", loginLimits(0, 1, null), lateEvening);
    f.granted(call("a").login("alice"), lateEvening);
    Results.Hold hold = f.held(call("b").login("alice"), lateEvening + 5 * MINUTE);
    assertTrue(Sentences.hold(hold).endsWith("room at 2026-06-17 00:50:00 UTC"), Sentences.hold(hold));
  }
}
