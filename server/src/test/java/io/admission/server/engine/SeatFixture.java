package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A small harness for the seat-compliance engine tests: one org, an engine driven with a manual
 * {@code long now} (nothing sleeps), and short ways to build requests and read outcomes.
 */
final class SeatFixture {
  static final String ORG = "acme";
  static final long SECOND = 1_000L;
  static final long MINUTE = 60_000L;
  static final long HOUR = 3_600_000L;
  static final long DAY = 24 * HOUR;
  /** 16 Jun 2026 09:30 UTC — deliberately not on a clock-hour boundary. */
  static final long T0 = Instant.parse("2026-06-16T09:30:00Z").toEpochMilli();

  final Engine engine = new Engine();

  // ---- Org configuration ------------------------------------------------------------------

  /** A mutable builder for {@link OrgConfig}; defaults: limit 100, UTC, 8 h leases, no caps. */
  static final class Org {
    int limit = 100;
    Optional<DailyCap> dailyCap = Optional.empty();
    ZoneId zone = ZoneId.of("UTC");
    long leaseTtl = 8 * HOUR;
    LoginLimits loginDefaults = LoginLimits.INHERIT;
    NumberLimits numberDefaults = NumberLimits.INHERIT;

    Org limit(int v) {
      limit = v;
      return this;
    }

    Org zone(String id) {
      zone = ZoneId.of(id);
      return this;
    }

    Org dailyCap(DailyCap v) {
      dailyCap = Optional.of(v);
      return this;
    }

    Org leaseTtl(long v) {
      leaseTtl = v;
      return this;
    }

    Org loginDefaults(LoginLimits v) {
      loginDefaults = v;
      return this;
    }

    Org numberDefaults(NumberLimits v) {
      numberDefaults = v;
      return this;
    }

    OrgConfig config() {
      return new OrgConfig(
          ORG, limit, dailyCap, zone, OptionalLong.of(leaseTtl), loginDefaults, numberDefaults);
    }
  }

  static Org org() {
    return new Org();
  }

  SeatFixture() {
    this(org(), T0);
  }

  SeatFixture(Org org, long now) {
    Results.AdminResult r = engine.putOrg(new Commands.PutOrg(org.config()), now);
    assertInstanceOf(Results.OrgView.class, r);
  }

  void putOrg(Org org, long now) {
    assertInstanceOf(Results.OrgView.class, engine.putOrg(new Commands.PutOrg(org.config()), now));
  }

  /** Login limits; a null field is left unset (inherits). */
  static LoginLimits loginLimits(Integer maxConcurrent, Integer maxPerWindow, Long windowMillis) {
    return new LoginLimits(
        maxConcurrent == null ? OptionalInt.empty() : OptionalInt.of(maxConcurrent),
        maxPerWindow == null ? OptionalInt.empty() : OptionalInt.of(maxPerWindow),
        windowMillis == null ? OptionalLong.empty() : OptionalLong.of(windowMillis));
  }

  /** Number caps; a null field is left unset (inherits). */
  static NumberLimits numberLimits(Integer maxPerDay, Integer maxPerHour, Integer maxConcurrent) {
    return new NumberLimits(
        maxPerDay == null ? OptionalInt.empty() : OptionalInt.of(maxPerDay),
        maxPerHour == null ? OptionalInt.empty() : OptionalInt.of(maxPerHour),
        maxConcurrent == null ? OptionalInt.empty() : OptionalInt.of(maxConcurrent));
  }

  /** A daily cap without a ramp that counts {@code counted} (empty: outbound only). */
  static DailyCap dailyCap(int cap, CallType... counted) {
    return new DailyCap(cap, List.of(), LocalDate.of(2026, 1, 1), Set.of(counted));
  }

  Results.LoginLimitsChanged setLoginLimits(String login, LoginLimits limits, long now) {
    return assertInstanceOf(
        Results.LoginLimitsChanged.class,
        engine.setLoginLimits(new Commands.SetLoginLimits(ORG, login, limits), now));
  }

  Results.NumberLimitsChanged setNumberLimits(String number, NumberLimits limits, long now) {
    return assertInstanceOf(
        Results.NumberLimitsChanged.class,
        engine.setNumberLimits(new Commands.SetNumberLimits(ORG, number, limits), now));
  }

  // ---- Calls ------------------------------------------------------------------------------

  /** An Acquire under construction: outbound, no agent, login, number or max_wait by default. */
  record Req(
      String callId, String agent, CallType type, String login, String number, long maxWait) {
    Req agent(String v) {
      return new Req(callId, v, type, login, number, maxWait);
    }

    Req type(CallType v) {
      return new Req(callId, agent, v, login, number, maxWait);
    }

    Req login(String v) {
      return new Req(callId, agent, type, v, number, maxWait);
    }

    Req number(String v) {
      return new Req(callId, agent, type, login, v, maxWait);
    }

    Req maxWait(long v) {
      return new Req(callId, agent, type, login, number, v);
    }

    Commands.Acquire command() {
      return new Commands.Acquire(ORG, callId, agent, type, login, number, 0, maxWait);
    }
  }

  static Req call(String callId) {
    return new Req(callId, "", CallType.OUTBOUND, "", "", 0);
  }

  Results.AcquireResult acquire(Req r, long now) {
    return engine.acquire(r.command(), now);
  }

  Results.Lease granted(Req r, long now) {
    Results.AcquireResult result = acquire(r, now);
    if (!(result instanceof Results.Granted g)) {
      return fail(r.callId() + " should be granted at " + now + " but was " + result);
    }
    return g.lease();
  }

  Results.Hold held(Req r, long now) {
    Results.AcquireResult result = acquire(r, now);
    if (!(result instanceof Results.Held h)) {
      return fail(r.callId() + " should be held at " + now + " but was " + result);
    }
    return h.hold();
  }

  Results.Denial denied(Req r, long now) {
    Results.AcquireResult result = acquire(r, now);
    if (!(result instanceof Results.Denied d)) {
      return fail(r.callId() + " should be denied at " + now + " but was " + result);
    }
    return d.denial();
  }

  Results.Released.Effect release(String callId, long now) {
    return assertInstanceOf(
            Results.Released.class, engine.release(new Commands.Release(ORG, callId), now))
        .effect();
  }

  /** Lets time pass to {@code now}, as the loop's Tick does, and returns the new events. */
  List<Event> tick(long now) {
    engine.advance(now);
    return events();
  }

  /** Events since the last call, in order. */
  List<Event> events() {
    return engine.drainEvents();
  }

  /** The held call's current hold, as a WaitForSlot stream would first see it. */
  Results.Hold holdOf(String callId, long now) {
    return assertInstanceOf(Results.Held.class, engine.watch(ORG, callId, now)).hold();
  }

  /** Whether the call is running now. */
  boolean isActive(String callId, long now) {
    return engine.watch(ORG, callId, now) instanceof Results.Granted;
  }

  StatusView.Org status(long now) {
    return assertInstanceOf(StatusView.Org.class, engine.status(ORG, now));
  }

  /** The login's monitor line, failing when the login is not listed. */
  StatusView.LoginLine loginLine(String login, long now) {
    for (StatusView.LoginLine line : status(now).logins()) {
      if (line.loginId().equals(login)) {
        return line;
      }
    }
    return fail("login " + login + " not listed in " + status(now).logins());
  }

  StatusView.NumberLine numberLine(String number, long now) {
    for (StatusView.NumberLine line : status(now).numbers()) {
      if (line.number().equals(number)) {
        return line;
      }
    }
    return fail("number " + number + " not listed in " + status(now).numbers());
  }

  int dailyUsed(long now) {
    return status(now).daily().used();
  }

  // ---- Event assertions -------------------------------------------------------------------

  /**
   * Asserts that the only dispatch among {@code events} is {@code callId} and that no held call
   * ended its wait, and returns the lease. LeaseEnded and HoldChanged events may come with it.
   */
  static Results.Lease onlyDispatch(List<Event> events, String callId) {
    Results.Lease lease = null;
    for (Event e : events) {
      if (e instanceof Event.Dispatched d) {
        assertEquals(callId, d.callId(), () -> "expected one dispatch of " + callId + ": " + events);
        assertTrue(lease == null, () -> "dispatched twice: " + events);
        lease = d.lease();
      }
      assertFalse(e instanceof Event.WaitEnded, () -> "a wait ended: " + events);
    }
    if (lease == null) {
      return fail("expected a dispatch of " + callId + ": " + events);
    }
    return lease;
  }

  /** The dispatched call ids among {@code events}, in order. */
  static List<String> dispatched(List<Event> events) {
    List<String> ids = new ArrayList<>();
    for (Event e : events) {
      if (e instanceof Event.Dispatched d) {
        ids.add(d.callId());
      }
    }
    return ids;
  }

  /** The single WaitEnded event for {@code callId} among {@code events}. */
  static Results.Ended waitEnded(List<Event> events, String callId) {
    Results.Ended found = null;
    for (Event e : events) {
      if (e instanceof Event.WaitEnded w && w.callId().equals(callId)) {
        assertTrue(found == null, "two WaitEnded events for " + callId);
        found = w.ended();
      }
    }
    if (found == null) {
      return fail("no WaitEnded event for " + callId + " in " + events);
    }
    return found;
  }

  /** Epoch millis of a local date-time in {@code zone}. */
  static long at(String localDateTime, String zone) {
    return LocalDateTime.parse(localDateTime).atZone(ZoneId.of(zone)).toInstant().toEpochMilli();
  }

  static long utc(String instant) {
    return Instant.parse(instant).toEpochMilli();
  }
}
