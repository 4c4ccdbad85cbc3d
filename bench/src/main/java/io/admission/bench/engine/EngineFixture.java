package io.admission.bench.engine;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.IntStream;

/**
 * An engine filled to a given shape, driven through its public entry points only, as the loop drives it:
 * one thread (it owns the fixture), {@code now} passed in, events drained after every command.
 *
 * <p>Shape: {@code leases} live leases round-robin over the first {@code min(orgs, leases)} of {@code orgs}
 * orgs, on agent {@code bench}'s reserved slots; {@code held} calls round-robin over the first {@code
 * min(orgs, 100)}, queued behind a "filler" lease on the org's one shared slot. So the measured Release
 * consults a queue as deep as asked, which {@code bench}'s reserved slots never serve: nothing dispatches.
 * The clock advances a second per cycle, so the ended calls remembered (10 minutes) stay a few hundred
 * and forgetting is part of every cycle; leases never expire.
 */
public final class EngineFixture {
  /** 2026-11-01T00:00Z: any fixed instant; the engine never reads a clock. */
  public static final long START = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
  /** About 300 years: no lease of a benchmark ever expires. */
  static final long LEASE_TTL_MILLIS = 10_000_000_000_000L;
  /** Orgs that carry held calls: each needs one filler lease to make its pool full. */
  static final int MAX_ORGS_WITH_HELD = 100;

  final Engine engine = new Engine();
  private final String[] orgIds;
  /** Live leases, oldest first, in parallel rings (org index, call number): id strings would add collector work. */
  private final int[] ringOrg;
  private final long[] ringCall;
  private int ringPos;
  private long nextId;
  private long now = START;
  private long cycles;
  /** Ended calls the engine remembers: cycles per 10 minutes of its clock (one a second, unless asked). */
  private long remembered = Engine.REMEMBER_ENDED_MILLIS / 1_000;

  private EngineFixture(int orgs, int leases) {
    this.orgIds = IntStream.range(0, orgs).mapToObj(i -> "org-" + i).toArray(String[]::new);
    this.ringOrg = new int[leases];
    this.ringCall = new long[leases];
  }

  /** Builds the shape; every command's outcome is checked so a benchmark never measures errors. */
  public static EngineFixture build(int leases, int held, int orgs) {
    EngineFixture f = new EngineFixture(orgs, leases);
    int orgsWithLeases = Math.min(orgs, leases);
    int orgsWithHeld = held == 0 ? 0 : Math.min(orgs, MAX_ORGS_WITH_HELD);
    for (int i = 0; i < orgs; i++) {
      int reserved = i < orgsWithLeases ? leases / orgsWithLeases + (i < leases % orgsWithLeases ? 1 : 0) : 0;
      expect(f.engine.putOrg(new Commands.PutOrg(org(f.orgIds[i], reserved + 1, OptionalLong.of(LEASE_TTL_MILLIS))),
          f.now), Results.OrgView.class);
      if (reserved > 0) {
        expect(f.engine.setReservation(
            new Commands.SetReservation(f.orgIds[i], "bench", CallType.INBOUND, reserved), f.now),
            Results.ReservationChanged.class);
      }
    }
    for (int n = 0; n < leases; n++) {
      int org = n % orgsWithLeases;
      long number = f.nextId++;
      expect(f.engine.acquire(f.acquire(org, callId(number), "bench"), f.now), Results.Granted.class);
      f.ringOrg[n] = org;
      f.ringCall[n] = number;
    }
    for (int i = 0; i < orgsWithHeld; i++) {
      expect(f.engine.acquire(f.acquire(i, callId(f.nextId++), "filler"), f.now), Results.Granted.class);
    }
    for (int n = 0; n < held; n++) {
      expect(f.engine.acquire(f.acquire(n % orgsWithHeld, callId(f.nextId++), "filler"), f.now), Results.Held.class);
    }
    f.engine.drainEvents();
    return f;
  }

  /** Two decisions: Release the oldest bench lease, Acquire a new call granted on its slot; a value the JIT keeps. */
  public Object releaseThenAcquire() {
    advanceClock(1);
    Results.ReleaseResult released = engine.release(releaseOldest(), now);
    Results.AcquireResult acquired = engine.acquire(acquireInItsPlace(), now);
    engine.drainEvents();
    if (!(acquired instanceof Results.Granted)) {
      throw new IllegalStateException("expected a grant, got " + acquired + " after " + released);
    }
    return acquired;
  }

  /**
   * {@code cycles} cycles as the loop applies a turn's batch: the commands made first, then (if {@code
   * readAhead}) the engine {@link Engine#readAhead reads ahead} over them, then all applied at one time.
   */
  public Object turn(int cycles, boolean readAhead) {
    var batch = new ArrayList<Commands.Command<?>>(2 * cycles);
    for (int k = 0; k < cycles; k++) {
      batch.add(releaseOldest());
      batch.add(acquireInItsPlace());
    }
    if (readAhead) {
      engine.readAhead(batch);
    }
    advanceClock(cycles); // one time for the whole turn, as the loop stamps it
    Object last = null;
    for (Commands.Command<?> c : batch) {
      last = c.applyTo(engine, now);
      if (c instanceof Commands.Acquire && !(last instanceof Results.Granted)) {
        throw new IllegalStateException("expected a grant, got " + last);
      }
    }
    engine.drainEvents();
    return last;
  }

  /**
   * The base shape remembering about {@code remembered} ended calls, as a server ending {@code remembered / 600}
   * a second does; twice that many cycles run first, so the ended calls' log and index are at their steady size.
   */
  public static EngineFixture remembering(int remembered) {
    EngineFixture f = build(1_000, 0, 1);
    f.remembered = remembered;
    for (long n = 0, fill = 2L * remembered; n < fill; n++) {
      f.releaseThenAcquire();
    }
    return f;
  }

  // ---- Building blocks --------------------------------------------------------------------

  private void advanceClock(int n) {
    cycles += n;
    now = START + cycles * Engine.REMEMBER_ENDED_MILLIS / remembered;
  }

  private Commands.Release releaseOldest() {
    return new Commands.Release(orgIds[ringOrg[ringPos]], callId(ringCall[ringPos]));
  }

  /** An Acquire of a new call in the oldest lease's org, which takes that lease's place in the ring. */
  private Commands.Acquire acquireInItsPlace() {
    int org = ringOrg[ringPos];
    long number = nextId++;
    ringCall[ringPos] = number;
    ringPos = ringPos + 1 == ringCall.length ? 0 : ringPos + 1;
    return acquire(org, callId(number), "bench");
  }

  /** An org of {@code limit} slots with no reservations nor login or number limits. */
  static OrgConfig org(String id, int limit, OptionalLong leaseTtlMillis) {
    return new OrgConfig(id, limit, Optional.empty(), ZoneOffset.UTC, leaseTtlMillis, LoginLimits.INHERIT,
        NumberLimits.INHERIT);
  }

  /** Decimal ids from a counter, as unique as the call ids a switch sends. */
  private static String callId(long number) {
    return "call-" + number;
  }

  /** Agent bench's calls are inbound, on its reserved slots; the filler's outbound, on the shared pool. */
  private Commands.Acquire acquire(int org, String callId, String agent) {
    CallType type = agent.equals("bench") ? CallType.INBOUND : CallType.OUTBOUND;
    return new Commands.Acquire(orgIds[org], callId, agent, type, "", "", 0, 0);
  }

  static void expect(Object result, Class<?> type) {
    if (!type.isInstance(result)) {
      throw new IllegalStateException("expected " + type.getSimpleName() + ", got " + result);
    }
  }
}
