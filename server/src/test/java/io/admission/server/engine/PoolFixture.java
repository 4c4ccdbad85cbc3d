package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A harness for the org-pool engine tests: an engine, a manual clock ({@link #now}, moved only by
 * {@link #advance}; nothing sleeps) and short ways to acquire, release and read the pool. Calls
 * name an agent and a call type but no login or number, so only the org pool decides.
 */
final class PoolFixture {
  static final long SECOND = 1_000L;
  static final long MINUTE = 60_000L;
  static final long HOUR = 3_600_000L;
  /** 3 Mar 2026 14:07:05 UTC: an arbitrary, unround start. */
  static final long T0 = Instant.parse("2026-03-03T14:07:05Z").toEpochMilli();

  static final CallType WEBCALL = CallType.WEBCALL;
  static final CallType CHAT = CallType.CHAT;
  static final CallType OUTBOUND = CallType.OUTBOUND;
  static final CallType INBOUND = CallType.INBOUND;

  final Engine engine = new Engine();
  long now = T0;

  /** An org without daily cap, login or number limits that matter here, and no default TTL. */
  static OrgConfig orgConfig(String orgId, int limit, OptionalLong defaultTtl) {
    return new OrgConfig(
        orgId, limit, Optional.empty(), ZoneOffset.UTC, defaultTtl, LoginLimits.INHERIT,
        NumberLimits.INHERIT);
  }

  /** Creates or changes an org with {@code limit} slots; fails if refused. */
  Results.OrgView org(String orgId, int limit) {
    return assertInstanceOf(Results.OrgView.class, putOrg(orgId, limit, OptionalLong.empty()));
  }

  Results.AdminResult putOrg(String orgId, int limit, OptionalLong defaultTtl) {
    return engine.putOrg(new Commands.PutOrg(orgConfig(orgId, limit, defaultTtl)), now);
  }

  Results.AdminResult setReservation(String org, String agent, CallType type, int slots) {
    return engine.setReservation(new Commands.SetReservation(org, agent, type, slots), now);
  }

  /** Reserves slots; fails if refused. */
  Results.ReservationChanged reserve(String org, String agent, CallType type, int slots) {
    return assertInstanceOf(
        Results.ReservationChanged.class, setReservation(org, agent, type, slots));
  }

  Results.AdminResult removeAgent(String org, String agent) {
    return engine.removeAgent(new Commands.RemoveAgent(org, agent), now);
  }

  // ---- Calls ------------------------------------------------------------------------------

  static Commands.Acquire request(
      String org, String call, String agent, CallType type, long ttl, long maxWait) {
    return new Commands.Acquire(org, call, agent, type, "", "", ttl, maxWait);
  }

  /** A request that also names a login (2 concurrent calls by default). */
  static Commands.Acquire withLogin(
      String org, String call, String agent, CallType type, String login) {
    return new Commands.Acquire(org, call, agent, type, login, "", 0, 0);
  }

  Results.AcquireResult acquire(String org, String call, String agent, CallType type) {
    return acquire(request(org, call, agent, type, 0, 0));
  }

  Results.AcquireResult acquire(Commands.Acquire request) {
    return engine.acquire(request, now);
  }

  Results.Lease granted(String org, String call, String agent, CallType type) {
    return granted(request(org, call, agent, type, 0, 0));
  }

  Results.Lease granted(Commands.Acquire request) {
    Results.AcquireResult r = acquire(request);
    if (!(r instanceof Results.Granted g)) {
      return fail(request.callId() + " should be granted but was " + r);
    }
    assertEquals(false, g.retry(), "a new call_id is no retry");
    return g.lease();
  }

  Results.Hold held(String org, String call, String agent, CallType type) {
    return held(request(org, call, agent, type, 0, 0));
  }

  Results.Hold held(Commands.Acquire request) {
    Results.AcquireResult r = acquire(request);
    if (!(r instanceof Results.Held h)) {
      return fail(request.callId() + " should be held but was " + r);
    }
    assertEquals(false, h.retry(), "a new call_id is no retry");
    return h.hold();
  }

  /** Starts {@code n} granted calls {@code prefix1..prefixN}; returns their leases. */
  List<Results.Lease> grantMany(String org, String prefix, int n, String agent, CallType type) {
    List<Results.Lease> leases = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      leases.add(granted(org, prefix + i, agent, type));
    }
    return leases;
  }

  /** Queues {@code n} held calls {@code prefix1..prefixN}; returns their holds. */
  List<Results.Hold> holdMany(String org, String prefix, int n, String agent, CallType type) {
    List<Results.Hold> holds = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      holds.add(held(org, prefix + i, agent, type));
    }
    return holds;
  }

  Results.ReleaseResult releaseResult(String org, String call) {
    return engine.release(new Commands.Release(org, call), now);
  }

  Results.Released.Effect release(String org, String call) {
    return assertInstanceOf(Results.Released.class, releaseResult(org, call)).effect();
  }

  Results.RenewResult renewResult(String org, long ttl, String... calls) {
    return engine.renew(new Commands.Renew(org, List.of(calls), ttl), now);
  }

  Results.Renewed renew(String org, long ttl, String... calls) {
    return assertInstanceOf(Results.Renewed.class, renewResult(org, ttl, calls));
  }

  // ---- Time and events --------------------------------------------------------------------

  /** Moves the clock and lets due timers fire, as the loop's Tick does. */
  void advance(long millis) {
    now += millis;
    engine.advance(now);
  }

  List<Event> events() {
    return engine.drainEvents();
  }

  /** The dispatched call ids since the last drain, in order (other events are dropped). */
  List<String> dispatched() {
    return dispatchedIn(events());
  }

  static List<String> dispatchedIn(List<Event> events) {
    List<String> ids = new ArrayList<>();
    for (Event e : events) {
      if (e instanceof Event.Dispatched d) {
        ids.add(d.callId());
      }
    }
    return ids;
  }

  // ---- Reading state ----------------------------------------------------------------------

  StatusView.Org status(String org) {
    return assertInstanceOf(StatusView.Org.class, engine.status(org, now));
  }

  /** An agent's line in the status, or null when the status does not list it. */
  StatusView.Agent agent(String org, String agent) {
    for (StatusView.Agent a : status(org).agents()) {
      if (a.agentId().equals(agent)) {
        return a;
      }
    }
    return null;
  }

  /** An agent's line for one call type, failing when it is not listed. */
  StatusView.AgentType agentType(String org, String agent, CallType type) {
    StatusView.Agent a = agent(org, agent);
    if (a == null) {
      return fail("agent " + agent + " not listed in " + status(org).agents());
    }
    for (StatusView.AgentType t : a.types()) {
      if (t.type() == type) {
        return t;
      }
    }
    return fail("agent " + agent + " has no " + type + " line in " + a);
  }

  Results.WatchResult watch(String org, String call) {
    return engine.watch(org, call, now);
  }

  Results.Hold holdOf(String org, String call) {
    return assertInstanceOf(Results.Held.class, watch(org, call)).hold();
  }

  int positionOf(String org, String call) {
    return holdOf(org, call).position();
  }

  boolean isActive(String org, String call) {
    return watch(org, call) instanceof Results.Granted;
  }

  boolean isHeld(String org, String call) {
    return watch(org, call) instanceof Results.Held;
  }

  Results.Ended endedOf(String org, String call) {
    return assertInstanceOf(Results.Ended.class, watch(org, call));
  }

  /** Asserts the org-level numbers of the Concurrency page. */
  void assertPool(String org, int inUse, int sharedCapacity, int sharedInUse, int queued) {
    StatusView.Org s = status(org);
    assertEquals(
        List.of(inUse, sharedCapacity, sharedInUse, queued),
        List.of(s.inUse(), s.sharedCapacity(), s.sharedInUse(), s.queued()),
        "[in_use, shared_capacity, shared_in_use, queued] of " + org);
  }

  /** Asserts one agent's use of one call type: reserved, active, using reserved, using shared. */
  void assertAgent(String org, String agent, CallType type, int reserved, int active,
      int usingReserved, int usingShared) {
    StatusView.AgentType t = agentType(org, agent, type);
    assertEquals(
        List.of(reserved, active, usingReserved, usingShared),
        List.of(t.reserved(), t.active(), t.usingReserved(), t.usingShared()),
        "[reserved, active, using_reserved, using_shared] of " + agent + " " + type);
  }
}
