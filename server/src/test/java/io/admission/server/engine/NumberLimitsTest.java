package io.admission.server.engine;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.at;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.dispatched;
import static io.admission.server.engine.SeatFixture.numberLimits;
import static io.admission.server.engine.SeatFixture.onlyDispatch;
import static io.admission.server.engine.SeatFixture.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Per-number (caller ID) caps: calls per local day (denied, retry at local midnight), calls per
 * rolling hour (held until the hour rolls) and concurrent calls (held until one ends).
 */
class NumberLimitsTest {
  private static final String NUM = "+15551230000";
  private static final String OTHER = "+15559990000";
  private static final String ZONE = "Europe/Berlin";

  // ---- max_per_day ------------------------------------------------------------------------

  @Test
  void maxPerDayDeniesUntilLocalMidnight() {
    long morning = at("2026-06-16T08:00", ZONE);
    SeatFixture f = new SeatFixture(org().zone(ZONE), morning);
    f.setNumberLimits(NUM, numberLimits(2, null, null), morning);
    f.granted(call("c1").number(NUM), morning);
    f.granted(call("c2").number(NUM), morning + 1);

    Results.Denial denial = f.denied(call("c3").number(NUM), morning + 2);

    long midnight = at("2026-06-17T00:00", ZONE);
    assertEquals(DenialReason.NUMBER_DAILY_CAP, denial.reason());
    assertEquals(midnight, denial.retryAt());
    assertEquals(
        "denied: number +15551230000 reached its cap of 2 calls today; it resets at midnight"
            + " Europe/Berlin, 2026-06-16 22:00:00 UTC",
        Sentences.denial(denial));
    f.granted(call("x1").number(OTHER), morning + 3); // other numbers are not affected
    f.granted(call("x2"), morning + 3);
    f.denied(call("c4").number(NUM), midnight - 1);
    f.granted(call("c5").number(NUM), midnight);
  }

  @Test
  void aDeniedCallIsNotQueuedAndCountsNothing() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(1, null, null), T0);
    f.granted(call("c1").number(NUM), T0);
    f.denied(call("c2").number(NUM), T0 + 1);
    f.denied(call("c3").number(NUM), T0 + 2);
    StatusView.NumberLine line = f.numberLine(NUM, T0 + 2);
    assertEquals(1, line.today());
    assertEquals(1, line.lastHour());
    assertEquals(0, f.status(T0 + 2).queued());
  }

  @Test
  void aCallHeldOnItsNumberThatComesUpAfterTheDayCapIsReachedIsDenied() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(2, null, 1), T0);
    f.granted(call("c1").number(NUM), T0);
    assertEquals(HoldReason.NUMBER_CONCURRENCY, f.held(call("c2").number(NUM), T0 + 1).reason());
    f.release("c1", T0 + 2);
    assertEquals(List.of("c2"), dispatched(f.events())); // 2 of 2 today
    f.held(call("c3").number(NUM), T0 + 3);

    f.release("c2", T0 + 4);

    Results.Ended ended = SeatFixture.waitEnded(f.events(), "c3");
    assertEquals(EndReason.DENIED, ended.reason());
    assertEquals(DenialReason.NUMBER_DAILY_CAP, ended.denial().reason());
    assertEquals(SeatFixture.utc("2026-06-17T00:00:00Z"), ended.denial().retryAt()); // UTC org
  }

  // ---- max_per_hour -----------------------------------------------------------------------

  @Test
  void maxPerHourHoldsUntilTheHourRollsAndATimerDispatches() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(null, 2, null), T0);
    f.granted(call("c1").number(NUM), T0);
    f.granted(call("c2").number(NUM), T0 + 5 * MINUTE);
    f.release("c1", T0 + 5 * MINUTE);
    f.release("c2", T0 + 5 * MINUTE);
    f.events();

    Results.Hold hold = f.held(call("c3").number(NUM), T0 + 20 * MINUTE);

    assertEquals(HoldReason.NUMBER_RATE, hold.reason());
    assertEquals(OptionalLong.of(T0 + HOUR), hold.readyAt());
    assertEquals(
        "held: number +15551230000 started 2 calls in the last hour; room at 10:30:00 UTC",
        Sentences.hold(hold));
    assertEquals(T0 + HOUR, f.engine.nextDeadline());
    assertEquals(List.of(), f.tick(T0 + HOUR - 1));
    Results.Lease lease = onlyDispatch(f.tick(T0 + HOUR), "c3");
    assertEquals(T0 + HOUR, lease.grantedAt());
  }

  @Test
  void numberHourRollsOneStartAtATime() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(null, 2, null), T0);
    f.granted(call("c1").number(NUM), T0);
    f.granted(call("c2").number(NUM), T0 + 10 * MINUTE);
    f.held(call("w1").number(NUM), T0 + 20 * MINUTE);
    f.held(call("w2").number(NUM), T0 + 20 * MINUTE);

    assertEquals(List.of("w1"), dispatched(f.tick(T0 + HOUR)));
    assertEquals(OptionalLong.of(T0 + 10 * MINUTE + HOUR), f.holdOf("w2", T0 + HOUR).readyAt());
    assertEquals(List.of(), dispatched(f.tick(T0 + 10 * MINUTE + HOUR - 1)));
    assertEquals(List.of("w2"), dispatched(f.tick(T0 + 10 * MINUTE + HOUR)));
  }

  @Test
  void everyCallHeldOnlyByTheNumbersHourIsDispatchedByTimeAlone() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(null, 1, null), T0);
    f.granted(call("s0").number(NUM), T0);
    for (int i = 0; i < 3; i++) {
      f.held(call("w" + i).number(NUM), T0 + MINUTE);
    }
    f.tick(T0 + 4 * HOUR);
    for (int i = 0; i < 3; i++) {
      assertTrue(f.isActive("w" + i, T0 + 4 * HOUR), "w" + i + " still held");
    }
  }

  @Test
  void aNumberHeldCallThatEndsConcurrencyButStillHitsTheHourWaitsForTheHour() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(null, 2, 2), T0);
    f.granted(call("c1").number(NUM), T0);
    f.granted(call("c2").number(NUM), T0 + MINUTE);
    assertEquals(HoldReason.NUMBER_CONCURRENCY, f.held(call("c3").number(NUM), T0 + 2 * MINUTE).reason());

    f.release("c1", T0 + 3 * MINUTE);

    Results.Hold hold = f.holdOf("c3", T0 + 3 * MINUTE);
    assertEquals(HoldReason.NUMBER_RATE, hold.reason());
    assertEquals(OptionalLong.of(T0 + HOUR), hold.readyAt());
    assertEquals(List.of("c3"), dispatched(f.tick(T0 + HOUR)));
  }

  // ---- max_concurrent ---------------------------------------------------------------------

  @Test
  void maxConcurrentHoldsUntilACallOfTheNumberEnds() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(null, null, 1), T0);
    f.granted(call("c1").number(NUM).login("alice"), T0);

    Results.Hold hold = f.held(call("c2").number(NUM).login("bob"), T0 + 1);

    assertEquals(HoldReason.NUMBER_CONCURRENCY, hold.reason());
    assertEquals(OptionalLong.empty(), hold.readyAt());
    assertEquals(
        "held: number +15551230000 has 1/1 calls active; it starts when one ends", Sentences.hold(hold));
    f.granted(call("c3").number(OTHER).login("bob"), T0 + 2);

    f.release("c1", T0 + 3);
    Results.Lease lease = onlyDispatch(f.events(), "c2");
    assertEquals(T0 + 3, lease.grantedAt());
  }

  // ---- Defaults and overrides -------------------------------------------------------------

  @Test
  void withoutAnyConfigurationNumbersHaveNoCaps() {
    SeatFixture f = new SeatFixture(org().limit(1000), T0);
    for (int i = 0; i < 500; i++) {
      f.granted(call("c" + i).number(NUM), T0 + i);
    }
    StatusView.NumberLine line = f.numberLine(NUM, T0 + 500);
    assertEquals(500, line.active());
    assertEquals(0, line.maxConcurrent());
    assertEquals(0, line.maxPerHour());
    assertEquals(0, line.maxPerDay());
  }

  @Test
  void orgNumberDefaultsApplyToEveryNumberAndOverridesInheritUnsetFields() {
    SeatFixture f = new SeatFixture(org().numberDefaults(numberLimits(10, 5, 1)), T0);

    Results.NumberLimitsChanged changed = f.setNumberLimits(NUM, numberLimits(null, null, 3), T0);

    assertEquals(new NumberLimits.Effective(10, 5, 3), changed.effective());
    f.granted(call("a1").number(NUM), T0);
    f.granted(call("a2").number(NUM), T0);
    f.granted(call("a3").number(NUM), T0);
    assertEquals(HoldReason.NUMBER_CONCURRENCY, f.held(call("a4").number(NUM), T0).reason());
    f.granted(call("b1").number(OTHER), T0);
    assertEquals(HoldReason.NUMBER_CONCURRENCY, f.held(call("b2").number(OTHER), T0).reason());
  }

  @Test
  void anExplicitZeroSwitchesANumberCapOffOverTheOrgDefault() {
    SeatFixture f = new SeatFixture(org().numberDefaults(numberLimits(1, 1, 1)), T0);
    f.setNumberLimits(NUM, numberLimits(0, 0, 0), T0);
    for (int i = 0; i < 5; i++) {
      f.granted(call("c" + i).number(NUM), T0);
    }
    f.granted(call("o1").number(OTHER), T0);
    f.held(call("o2").number(OTHER), T0);
  }

  @Test
  void raisingANumberCapDispatchesAtOnceAndRemovingTheOverrideRestoresTheDefault() {
    SeatFixture f = new SeatFixture(org().numberDefaults(numberLimits(null, null, 1)), T0);
    f.granted(call("c1").number(NUM), T0);
    f.held(call("c2").number(NUM), T0);

    f.setNumberLimits(NUM, numberLimits(null, null, 2), T0 + 1);
    assertEquals(List.of("c2"), dispatched(f.events()));

    Results.NumberLimitsChanged back = f.setNumberLimits(NUM, NumberLimits.INHERIT, T0 + 2);
    assertEquals(new NumberLimits.Effective(0, 0, 1), back.effective());
    assertEquals(HoldReason.NUMBER_CONCURRENCY, f.held(call("c3").number(NUM), T0 + 3).reason());
  }

  @Test
  void numberLinesShowUseAgainstCaps() {
    SeatFixture f = new SeatFixture();
    f.setNumberLimits(NUM, numberLimits(100, 20, 3), T0);
    f.granted(call("c1").number(NUM), T0);
    f.granted(call("c2").number(NUM), T0 + 1);
    f.release("c1", T0 + 2);

    StatusView.NumberLine line = f.numberLine(NUM, T0 + 2);

    assertEquals(new StatusView.NumberLine(NUM, 1, 3, 2, 20, 2, 100, 0), line);
    // A number with its own caps is listed even before it is used; unused others are not.
    f.setNumberLimits(OTHER, numberLimits(null, 1, null), T0 + 3);
    assertEquals(2, f.status(T0 + 3).numbers().size());
    f.setNumberLimits(OTHER, NumberLimits.INHERIT, T0 + 4);
    assertEquals(List.of(NUM), f.status(T0 + 4).numbers().stream().map(StatusView.NumberLine::number).toList());
  }

  @Test
  void theNumbersDayCountStartsAfreshAtLocalMidnight() {
    SeatFixture f = new SeatFixture(org().zone(ZONE), T0);
    f.setNumberLimits(NUM, numberLimits(1, null, null), T0);
    f.granted(call("c1").number(NUM), T0);
    long midnight = at("2026-06-17T00:00", ZONE);
    assertEquals(1, f.numberLine(NUM, midnight - 1).today());
    assertEquals(0, f.numberLine(NUM, midnight).today());
    assertTrue(Sentences.denial(f.denied(call("c2").number(NUM), midnight - 1)).contains("resets at midnight"));
    f.granted(call("c3").number(NUM), midnight);
  }
}
