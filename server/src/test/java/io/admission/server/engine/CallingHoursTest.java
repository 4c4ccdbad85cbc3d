package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.admission.server.api.Sentences;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Calling hours: outside the org's local-time windows, calls of the restricted types are denied
 * until the next opening — across weekends, midnight and daylight-saving changes — and the check
 * comes after the org pool and before the daily cap.
 */
class CallingHoursTest {
  private static final String ORG = "acme";
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private final Engine engine = new Engine();
  private int calls;

  private static long utc(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  private static List<CallingHours.Window> weekdays(int start, int end) {
    List<CallingHours.Window> out = new ArrayList<>();
    for (DayOfWeek d = DayOfWeek.MONDAY; d != DayOfWeek.SATURDAY; d = d.plus(1)) {
      out.add(new CallingHours.Window(d, start, end));
    }
    return out;
  }

  private void org(int limit, Optional<DailyCap> cap, CallingHours hours, long now) {
    assertInstanceOf(Results.OrgView.class, engine.putOrg(new Commands.PutOrg(new OrgConfig(
        ORG, limit, cap, PARIS, OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT,
        hours)), now));
  }

  private void org(CallingHours hours, long now) {
    org(10, Optional.empty(), hours, now);
  }

  private Results.AcquireResult acquire(CallType type, long now) {
    return engine.acquire(new Commands.Acquire(
        ORG, "c" + ++calls, "", type, "", "", 0, 0), now);
  }

  private Results.Denial denied(CallType type, long now) {
    return assertInstanceOf(Results.Denied.class, acquire(type, now)).denial();
  }

  private void granted(CallType type, long now) {
    assertInstanceOf(Results.Granted.class, acquire(type, now));
  }

  @Test
  void outboundCallsOutsideTheWeekdayHoursAreDeniedUntilTheNextOpening() {
    org(new CallingHours(weekdays(9 * 60, 20 * 60), Set.of()), utc("2026-06-16T00:00:00Z"));
    // Tuesday 08:59 in Paris (summer time, UTC+2): closed until 09:00.
    Results.Denial d = denied(CallType.OUTBOUND, utc("2026-06-16T06:59:00Z"));
    assertEquals(DenialReason.CALLING_HOURS, d.reason());
    assertEquals(utc("2026-06-16T07:00:00Z"), d.retryAt());
    assertEquals("denied: org acme takes outbound calls only between 09:00 and 20:00"
        + " (Europe/Paris) on weekdays; it opens again at 2026-06-16 07:00:00 UTC",
        Sentences.denial(d));
    granted(CallType.OUTBOUND, utc("2026-06-16T07:00:00Z"));
    granted(CallType.OUTBOUND, utc("2026-06-16T17:59:59.999Z"));
    // Friday 20:00: closed for the weekend, until Monday 09:00.
    Results.Denial weekend = denied(CallType.OUTBOUND, utc("2026-06-19T18:00:00Z"));
    assertEquals(utc("2026-06-22T07:00:00Z"), weekend.retryAt());
    assertEquals(utc("2026-06-22T07:00:00Z"), denied(CallType.OUTBOUND, utc("2026-06-21T12:00:00Z")).retryAt());
  }

  @Test
  void typesThatAreNotRestrictedPass() {
    org(new CallingHours(weekdays(9 * 60, 20 * 60), Set.of()), utc("2026-06-16T00:00:00Z"));
    long night = utc("2026-06-16T01:00:00Z");
    granted(CallType.INBOUND, night);
    granted(CallType.CHAT, night);
    granted(CallType.WEBCALL, night);
    denied(CallType.OUTBOUND, night);

    org(new CallingHours(weekdays(9 * 60, 20 * 60), Set.of(CallType.INBOUND, CallType.CHAT)), night);
    granted(CallType.OUTBOUND, night);
    Results.Denial d = denied(CallType.CHAT, night);
    assertEquals("denied: org acme takes chat and inbound calls only between 09:00 and 20:00"
        + " (Europe/Paris) on weekdays; it opens again at 2026-06-16 07:00:00 UTC",
        Sentences.denial(d));
  }

  @Test
  void windowsEndingAndStartingAtMidnightJoin() {
    CallingHours hours = new CallingHours(List.of(
        new CallingHours.Window(DayOfWeek.MONDAY, 22 * 60, 24 * 60),
        new CallingHours.Window(DayOfWeek.TUESDAY, 0, 2 * 60)), Set.of());
    org(hours, utc("2026-06-15T00:00:00Z"));
    granted(CallType.OUTBOUND, utc("2026-06-15T20:00:00Z")); // Mon 22:00 local
    granted(CallType.OUTBOUND, utc("2026-06-15T21:59:59Z")); // Mon 23:59:59
    granted(CallType.OUTBOUND, utc("2026-06-15T22:00:00Z")); // Tue 00:00
    Results.Denial d = denied(CallType.OUTBOUND, utc("2026-06-16T00:00:00Z")); // Tue 02:00
    assertEquals(utc("2026-06-22T20:00:00Z"), d.retryAt(), "next Monday 22:00");
    assertEquals("denied: org acme takes outbound calls only in its calling hours (Mon 22:00–24:00,"
        + " Tue 00:00–02:00, Europe/Paris); it opens again at 2026-06-22 20:00:00 UTC",
        Sentences.denial(d));
  }

  @Test
  void springForwardOpensAWindowWhoseStartTheClockSkipsWhenTheClockJumps() {
    // Paris, Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    org(new CallingHours(List.of(new CallingHours.Window(DayOfWeek.SUNDAY, 2 * 60 + 30, 4 * 60)),
        Set.of()), utc("2026-03-28T00:00:00Z"));
    Results.Denial d = denied(CallType.OUTBOUND, utc("2026-03-29T00:59:00Z")); // 01:59 CET
    assertEquals(utc("2026-03-29T01:00:00Z"), d.retryAt(), "the clock jumps to 03:00, inside");
    granted(CallType.OUTBOUND, utc("2026-03-29T01:00:00Z"));
    // 04:00 CEST is 02:00 UTC: closed from then, until next Sunday 02:30 CEST.
    granted(CallType.OUTBOUND, utc("2026-03-29T01:59:59Z"));
    assertEquals(utc("2026-04-05T00:30:00Z"), denied(CallType.OUTBOUND, utc("2026-03-29T02:00:00Z")).retryAt());
  }

  @Test
  void fallBackOpensAWindowAgainWhenTheClockReadsItASecondTime() {
    // Paris, Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00 UTC.
    org(new CallingHours(List.of(new CallingHours.Window(DayOfWeek.SUNDAY, 2 * 60, 2 * 60 + 30)),
        Set.of()), utc("2026-10-24T00:00:00Z"));
    granted(CallType.OUTBOUND, utc("2026-10-25T00:00:00Z")); // 02:00 CEST
    Results.Denial d = denied(CallType.OUTBOUND, utc("2026-10-25T00:30:00Z")); // 02:30 CEST
    assertEquals(utc("2026-10-25T01:00:00Z"), d.retryAt(), "02:00 again, now CET");
    granted(CallType.OUTBOUND, utc("2026-10-25T01:29:00Z")); // 02:29 CET
    assertEquals(utc("2026-11-01T01:00:00Z"), denied(CallType.OUTBOUND, utc("2026-10-25T01:30:00Z")).retryAt());
  }

  @Test
  void checkedAfterThePoolAndBeforeTheDailyCap() {
    org(1, Optional.of(new DailyCap(1, List.of(), null, Set.of())),
        new CallingHours(weekdays(9 * 60, 20 * 60), Set.of()), utc("2026-06-16T07:00:00Z"));
    granted(CallType.INBOUND, utc("2026-06-16T07:00:00Z")); // the pool of 1 is full
    Results.AcquireResult held = acquire(CallType.OUTBOUND, utc("2026-06-16T07:00:01Z"));
    assertEquals(HoldReason.ORG_POOL_FULL,
        assertInstanceOf(Results.Held.class, held).hold().reason(), "the pool first");
    engine.release(new Commands.Release(ORG, "c1"), utc("2026-06-16T07:00:02Z"));
    // The held call started and used the daily cap of 1; after hours the hours speak first.
    engine.release(new Commands.Release(ORG, "c2"), utc("2026-06-16T07:30:00Z"));
    assertEquals(DenialReason.DAILY_CAP, denied(CallType.OUTBOUND, utc("2026-06-16T08:00:00Z")).reason());
    assertEquals(DenialReason.CALLING_HOURS, denied(CallType.OUTBOUND, utc("2026-06-16T19:00:00Z")).reason());
  }

  @Test
  void aHeldCallRecheckedAfterHoursIsDeniedAndTheMemoFollowsTheZone() {
    org(1, Optional.empty(), new CallingHours(weekdays(9 * 60, 20 * 60), Set.of()),
        utc("2026-06-16T17:00:00Z"));
    granted(CallType.OUTBOUND, utc("2026-06-16T17:00:00Z"));
    assertInstanceOf(Results.Held.class, acquire(CallType.OUTBOUND, utc("2026-06-16T17:30:00Z")));
    // c1's lease (1 h) expires at 18:00 UTC, 20:00 in Paris: c2, re-checked then, is denied.
    engine.advance(utc("2026-06-16T18:05:00Z"));
    Results.WatchResult w = engine.watch(ORG, "c2", utc("2026-06-16T18:05:00Z"));
    Results.Ended ended = assertInstanceOf(Results.Ended.class, w, w.toString());
    assertEquals(EndReason.DENIED, ended.reason());
    assertEquals(DenialReason.CALLING_HOURS, ended.denial().reason());

    // The same hours in New York: 20:30 in Paris is 14:30 there, inside.
    CallingHours hours = new CallingHours(weekdays(9 * 60, 20 * 60), Set.of());
    long at = utc("2026-06-16T18:30:00Z");
    assertEquals(false, hours.open(at, PARIS));
    assertEquals(true, hours.open(at, ZoneId.of("America/New_York")));
    assertEquals(false, hours.open(at, PARIS));
  }

  /** The memo against a plain minute-by-minute reading of the wall clock, over a DST week. */
  @Test
  void openAndNextChangeAgreeWithAMinuteByMinuteScan() {
    CallingHours hours = new CallingHours(List.of(
        new CallingHours.Window(DayOfWeek.SUNDAY, 2 * 60 + 15, 2 * 60 + 45),
        new CallingHours.Window(DayOfWeek.SUNDAY, 23 * 60, 24 * 60),
        new CallingHours.Window(DayOfWeek.MONDAY, 0, 60),
        new CallingHours.Window(DayOfWeek.WEDNESDAY, 9 * 60, 17 * 60)), Set.of());
    for (String start : List.of("2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z")) {
      long t0 = utc(start);
      for (long t = t0; t < t0 + 7 * 86_400_000L; t += 7 * 60_000L) {
        boolean open = hours.openAt(t, PARIS);
        assertEquals(open, hours.open(t, PARIS), "open at " + Instant.ofEpochMilli(t));
        long scan = t - t % 60_000L + 60_000L;
        while (hours.openAt(scan, PARIS) == open) {
          scan += 60_000L;
        }
        assertEquals(scan, hours.changesAt(t, PARIS), "next change after " + Instant.ofEpochMilli(t));
      }
    }
  }
}
