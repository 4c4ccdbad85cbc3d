package io.admission.server.engine;

import io.admission.server.api.Sentences;
import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.SECOND;
import static io.admission.server.engine.SeatFixture.at;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.dailyCap;
import static io.admission.server.engine.SeatFixture.dispatched;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static io.admission.server.engine.SeatFixture.org;
import static io.admission.server.engine.SeatFixture.waitEnded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The org's daily warm-up cap: the per-login checks run before it, so a held call never costs any
 * of the daily allowance; a call over the cap is denied with reason and reset time; the cap resets
 * at local midnight in the org's time zone, may ramp up by day, and counts outbound calls unless
 * configured otherwise.
 */
class DailyCapTest {
  private static final String NY = "America/New_York";
  private static final LocalDate START = LocalDate.of(2026, 6, 1);

  /** days 1–7: 2, days 8–14: 3, then 5 — the product's 50/150/500, scaled down. */
  private static DailyCap ramp(LocalDate start) {
    return new DailyCap(
        5, List.of(new DailyCap.RampStep(7, 2), new DailyCap.RampStep(14, 3)), start, Set.of());
  }

  // ---- Denial -----------------------------------------------------------------------------

  @Test
  void reachingTheCapDeniesWithTheCapAndTheResetTime() {
    long now = at("2026-06-16T10:00", NY);
    SeatFixture f = new SeatFixture(org().zone(NY).dailyCap(dailyCap(2)), now);
    f.granted(call("c1"), now);
    f.granted(call("c2"), now + 1);

    Results.Denial denial = f.denied(call("c3"), now + 2);

    assertEquals(DenialReason.DAILY_CAP, denial.reason());
    assertEquals(at("2026-06-17T00:00", NY), denial.retryAt());
    assertEquals(
        "denied: org acme reached its daily cap of 2 calls; it resets at midnight"
            + " America/New_York, 2026-06-17 04:00:00 UTC",
        Sentences.denial(denial));
    assertEquals(0, f.status(now + 2).queued(), "a denial is not queued");
    assertEquals(2, f.dailyUsed(now + 2), "a denial counts nothing");
    assertInstanceOf(
        Results.Ended.class, f.engine.watch(SeatFixture.ORG, "c3", now + 2), "remembered as ended");
  }

  @Test
  void theCountResetsAtLocalMidnightNotUtcMidnight() {
    long lateEvening = at("2026-06-16T23:00", NY);
    SeatFixture f = new SeatFixture(org().zone(NY).dailyCap(dailyCap(1)), lateEvening);
    f.granted(call("c1"), lateEvening);
    long utcMidnight = SeatFixture.utc("2026-06-17T00:00:00Z"); // 20:00 in New York, earlier
    assertTrue(utcMidnight < lateEvening);
    long midnight = at("2026-06-17T00:00", NY);

    f.denied(call("c2"), midnight - 1);
    assertEquals(1, f.dailyUsed(midnight - 1));
    assertEquals(0, f.dailyUsed(midnight));
    assertEquals(midnight + 24 * HOUR, f.status(midnight).daily().resetsAt());
    f.granted(call("c3"), midnight);
    assertEquals(1, f.dailyUsed(midnight));
    assertEquals(midnight + 24 * HOUR, f.denied(call("c4"), midnight + 1).retryAt());
  }

  @Test
  void resetsAtOfTheSpringForwardDayIs23HoursAfterItsStart() {
    long start = at("2026-03-08T00:00", NY);
    long noon = at("2026-03-08T12:00", NY);
    SeatFixture f = new SeatFixture(org().zone(NY).dailyCap(dailyCap(1)), noon);

    StatusView.Daily daily = f.status(noon).daily();

    assertEquals(23 * HOUR, daily.resetsAt() - start);
    assertEquals(SeatFixture.utc("2026-03-09T04:00:00Z"), daily.resetsAt());
    f.granted(call("c1"), noon);
    assertEquals(daily.resetsAt(), f.denied(call("c2"), noon + 1).retryAt());
    f.granted(call("c3"), daily.resetsAt());
  }

  @Test
  void resetsAtOfTheFallBackDayIs25HoursAfterItsStart() {
    long start = at("2026-11-01T00:00", NY);
    long lateNight = at("2026-11-01T23:30", NY);
    SeatFixture f = new SeatFixture(org().zone(NY).dailyCap(dailyCap(1)), start);

    assertEquals(25 * HOUR, f.status(start).daily().resetsAt() - start);
    assertEquals(SeatFixture.utc("2026-11-02T05:00:00Z"), f.status(start).daily().resetsAt());
    f.granted(call("c1"), start + 2 * HOUR); // 01:00 EDT, before the clocks go back
    Results.Denial denial = f.denied(call("c2"), lateNight);
    assertEquals(start + 25 * HOUR, denial.retryAt());
    assertEquals(1, f.dailyUsed(start + 25 * HOUR - 1));
    f.granted(call("c3"), start + 25 * HOUR);
  }

  @Test
  void theDayIsTheOrgsLocalDayWhenTheZoneChanges() {
    long now = SeatFixture.utc("2026-06-16T23:00:00Z"); // 19:00 New York, 08:00 next day Tokyo
    SeatFixture f = new SeatFixture(org().zone(NY).dailyCap(dailyCap(1)), now);
    f.granted(call("c1"), now);
    f.denied(call("c2"), now);

    f.putOrg(org().zone("Asia/Tokyo").dailyCap(dailyCap(1)), now + 1);

    assertEquals(0, f.dailyUsed(now + 1), "17 Jun in Tokyo: a new day");
    assertEquals(SeatFixture.utc("2026-06-17T15:00:00Z"), f.status(now + 1).daily().resetsAt());
    f.granted(call("c3"), now + 1);
  }

  // ---- Warm-up ramp -----------------------------------------------------------------------

  @ParameterizedTest(name = "{0}: ramp day {1}, cap {2}")
  @CsvSource({
    "2026-05-20, 1, 2", // before the start date: never more than day 1
    "2026-06-01, 1, 2",
    "2026-06-07, 7, 2",
    "2026-06-08, 8, 3",
    "2026-06-14, 14, 3",
    "2026-06-15, 15, 5",
    "2027-01-01, 215, 5",
  })
  void rampStepsCountFromTheStartDate(LocalDate day, int rampDay, int cap) {
    assertEquals(rampDay, ramp(START).rampDay(day));
    assertEquals(cap, ramp(START).capOn(day));
  }

  @Test
  void withoutARampTheCapIsFlatAndThereIsNoRampDay() {
    DailyCap flat = dailyCap(7);
    assertEquals(0, flat.rampDay(LocalDate.of(2026, 6, 16)));
    assertEquals(7, flat.capOn(LocalDate.of(2026, 6, 16)));
  }

  @Test
  void onRampDay8TheFourthCallIsDeniedNamingTheWarmUpDay() {
    long now = at("2026-06-08T09:00", NY);
    SeatFixture f = new SeatFixture(org().zone(NY).dailyCap(ramp(START)), now);
    for (int i = 0; i < 3; i++) {
      f.granted(call("c" + i), now + i);
    }

    Results.Denial denial = f.denied(call("c3"), now + 3);

    assertEquals(
        "denied: org acme reached its daily cap of 3 calls (warm-up day 8); it resets at midnight"
            + " America/New_York, 2026-06-09 04:00:00 UTC",
        Sentences.denial(denial));
    assertEquals(new StatusView.Daily(3, 3, at("2026-06-09T00:00", NY), 8), f.status(now + 3).daily());
  }

  @Test
  void theRampStepsUpAtLocalMidnight() {
    long day7 = at("2026-06-07T20:00", NY);
    SeatFixture f = new SeatFixture(org().zone(NY).dailyCap(ramp(START)), day7);
    f.granted(call("a"), day7);
    f.granted(call("b"), day7);
    f.denied(call("c"), day7);
    assertEquals(new StatusView.Daily(2, 2, at("2026-06-08T00:00", NY), 7), f.status(day7).daily());

    long day8 = at("2026-06-08T00:00", NY);
    assertEquals(new StatusView.Daily(0, 3, at("2026-06-09T00:00", NY), 8), f.status(day8).daily());
    for (int i = 0; i < 3; i++) {
      f.granted(call("d" + i), day8);
    }
    f.denied(call("d3"), day8);

    long day15 = at("2026-06-15T00:00", NY);
    for (int i = 0; i < 5; i++) {
      f.granted(call("e" + i), day15);
    }
    Results.Denial denial = f.denied(call("e5"), day15);
    assertTrue(Sentences.denial(denial).contains("daily cap of 5 calls;"), Sentences.denial(denial));
    assertFalse(Sentences.denial(denial).contains("warm-up"), "the ramp is over: " + Sentences.denial(denial));
  }

  @Test
  void rampDaysFollowTheOrgsLocalDate() {
    // 16:00 UTC on 7 Jun is already 01:00 on 8 Jun in Tokyo: ramp day 8.
    long now = SeatFixture.utc("2026-06-07T16:00:00Z");
    SeatFixture f = new SeatFixture(org().zone("Asia/Tokyo").dailyCap(ramp(START)), now);
    assertEquals(8, f.status(now).daily().rampDay());
    assertEquals(3, f.status(now).daily().cap());
  }

  // ---- Counted call types -----------------------------------------------------------------

  @Test
  void onlyOutboundCallsCountByDefault() {
    SeatFixture f = new SeatFixture(org().dailyCap(dailyCap(1)), SeatFixture.T0);
    long t = SeatFixture.T0;
    for (CallType type : List.of(CallType.INBOUND, CallType.WEBCALL, CallType.CHAT)) {
      for (int i = 0; i < 3; i++) {
        f.granted(call(type + "-" + i).type(type), t);
      }
    }
    assertEquals(0, f.dailyUsed(t));
    f.granted(call("out1"), t);
    assertEquals(1, f.dailyUsed(t));
    f.denied(call("out2"), t);
    f.granted(call("in-after").type(CallType.INBOUND), t); // never denied: not counted
    f.granted(call("chat-after").type(CallType.CHAT), t);
  }

  @Test
  void countedTypesAreConfigurable() {
    SeatFixture f =
        new SeatFixture(org().dailyCap(dailyCap(2, CallType.OUTBOUND, CallType.WEBCALL)), SeatFixture.T0);
    long t = SeatFixture.T0;
    f.granted(call("w1").type(CallType.WEBCALL), t);
    f.granted(call("o1"), t);
    assertEquals(DenialReason.DAILY_CAP, f.denied(call("w2").type(CallType.WEBCALL), t).reason());
    f.denied(call("o2"), t);
    f.granted(call("c1").type(CallType.CHAT), t);
    assertEquals(2, f.dailyUsed(t));
  }

  @Test
  void inboundOnlyCountingLetsOutboundThrough() {
    SeatFixture f = new SeatFixture(org().dailyCap(dailyCap(1, CallType.INBOUND)), SeatFixture.T0);
    long t = SeatFixture.T0;
    f.granted(call("i1").type(CallType.INBOUND), t);
    f.denied(call("i2").type(CallType.INBOUND), t);
    f.granted(call("o1"), t);
    f.granted(call("o2"), t);
  }

  @Test
  void withoutACapOutboundCallsAreStillCountedForTheMonitorAndNeverDenied() {
    SeatFixture f = new SeatFixture();
    long t = SeatFixture.T0;
    for (int i = 0; i < 10; i++) {
      f.granted(call("o" + i), t);
    }
    f.granted(call("i").type(CallType.INBOUND), t);
    StatusView.Daily daily = f.status(t).daily();
    assertEquals(10, daily.used());
    assertEquals(0, daily.cap());
    assertEquals(0, daily.rampDay());
    assertEquals(SeatFixture.utc("2026-06-17T00:00:00Z"), daily.resetsAt());
  }

  // ---- Held calls cost nothing ------------------------------------------------------------

  /** Cap 1; alice may run one call at a time; her inbound call (not counted) occupies her seat. */
  private static SeatFixture aliceBusy(long now) {
    SeatFixture f = new SeatFixture(org().dailyCap(dailyCap(1)).leaseTtl(24 * HOUR), now);
    f.setLoginLimits("alice", loginLimits(1, null, null), now);
    f.granted(call("in").type(CallType.INBOUND).login("alice"), now);
    return f;
  }

  @Test
  void aHeldCallCountsOnlyOnceItIsDispatched() {
    long t = SeatFixture.T0;
    SeatFixture f = aliceBusy(t);
    assertEquals(HoldReason.LOGIN_CONCURRENCY, f.held(call("out").login("alice"), t + 1).reason());
    assertEquals(0, f.dailyUsed(t + 1), "held: costs nothing");

    f.release("in", t + MINUTE);
    assertEquals(List.of("out"), dispatched(f.events()));
    assertEquals(1, f.dailyUsed(t + MINUTE), "dispatched: now it counts");
    f.denied(call("bob").login("bob"), t + MINUTE);
  }

  @Test
  void aHeldThenCancelledCallNeverCounts() {
    long t = SeatFixture.T0;
    SeatFixture f = aliceBusy(t);
    f.held(call("out").login("alice"), t + 1);

    assertEquals(Results.Released.Effect.CANCELLED, f.release("out", t + 2));

    assertEquals(0, f.dailyUsed(t + 2));
    f.granted(call("bob").login("bob"), t + 3);
    assertEquals(1, f.dailyUsed(t + 3));
  }

  @Test
  void aCallWhoseMaxWaitPassesNeverCounts() {
    long t = SeatFixture.T0;
    SeatFixture f = aliceBusy(t);
    Results.Hold hold = f.held(call("out").login("alice").maxWait(30 * SECOND), t);
    assertEquals(t + 30 * SECOND, hold.waitDeadline().getAsLong());

    Results.Ended ended = waitEnded(f.tick(t + 30 * SECOND), "out");

    assertEquals(EndReason.WAIT_EXPIRED, ended.reason());
    assertEquals(0, f.dailyUsed(t + 30 * SECOND));
    f.granted(call("bob").login("bob"), t + 31 * SECOND);
  }

  @Test
  void aHeldCallThatReachesTheCapWhenItComesUpIsDenied() {
    long t = SeatFixture.T0;
    SeatFixture f = aliceBusy(t);
    f.held(call("out").login("alice"), t + 1);
    f.granted(call("bob").login("bob"), t + 2); // uses the one call of the day

    f.release("in", t + 3);

    List<Event> events = f.events();
    assertEquals(List.of(), dispatched(events));
    Results.Ended ended = waitEnded(events, "out");
    assertEquals(EndReason.DENIED, ended.reason());
    assertEquals(DenialReason.DAILY_CAP, ended.denial().reason());
    assertEquals(SeatFixture.utc("2026-06-17T00:00:00Z"), ended.denial().retryAt());
    assertTrue(Sentences.ended(ended).contains("resets at midnight"), Sentences.ended(ended));
    assertEquals(1, f.dailyUsed(t + 3));
    assertEquals(0, f.status(t + 3).queued());
    // A WaitForSlot opened afterwards sees the same denial as its only event.
    Results.Ended watched =
        assertInstanceOf(Results.Ended.class, f.engine.watch(SeatFixture.ORG, "out", t + 4));
    assertEquals(ended.denial(), watched.denial());
  }

  @Test
  void aCallHeldPastMidnightCountsTowardTheDayItStarts() {
    long t = SeatFixture.T0;
    SeatFixture f = aliceBusy(t);
    f.held(call("out").login("alice"), t + 1);
    f.granted(call("bob").login("bob"), t + 2); // today's one call

    long midnight = SeatFixture.utc("2026-06-17T00:00:00Z");
    f.release("in", midnight + MINUTE);

    assertEquals(List.of("out"), dispatched(f.events()));
    assertEquals(1, f.dailyUsed(midnight + MINUTE));
  }
}
