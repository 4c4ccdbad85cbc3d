package io.admission.server.engine;

import io.admission.server.engine.Results.AcquireResult;
import io.admission.server.engine.Results.AdminResult;
import io.admission.server.engine.Results.ReleaseResult;
import io.admission.server.engine.Results.RenewResult;
import io.admission.server.engine.Results.StatusResult;
import io.admission.server.engine.Results.WatchResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The admission engine: a deterministic state machine over {@link Commands}. Pure Java — no gRPC,
 * no threads, no I/O, no clock: every entry point takes the time the loop stamped on the command,
 * and the same commands at the same times give the same state, outcomes and events.
 *
 * <p>Owned by exactly one thread (the loop's); it is not thread-safe and never needs to be.
 *
 * <p>Cost per decision: hash lookups of org, call, agent, login and number, O(1) timer operations
 * (see {@link TimerQueue}) and O(log n) queue operations for held calls — nothing grows with the
 * number of orgs, leases or held calls beyond that.
 */
public final class Engine {
  /** A call is remembered for at least 10 minutes after it ends. */
  public static final long REMEMBER_ENDED_MILLIS = 10 * 60_000L;

  /**
   * What clients may make the engine hold: orgs, and held calls per org. Over a bound, a command
   * is refused (RESOURCE_EXHAUSTED) and changes nothing; a refused command is taken back from
   * the command log, so a replay never meets one. That is why a replay runs with {@link #NONE}
   * and the owner sets the bounds afterwards: a replay under a lower bound than the one the log
   * was written under would refuse commands that were applied, and decide differently.
   *
   * @param maxOrgs orgs at most
   * @param maxHeldPerOrg held calls per org at most: an Acquire that would be held beyond it is
   *     refused; a call that would be granted or denied is decided as ever
   */
  public record Bounds(int maxOrgs, int maxHeldPerOrg) {
    /** No bound: for replay, tests and benchmarks. */
    public static final Bounds NONE = new Bounds(Integer.MAX_VALUE, Integer.MAX_VALUE);

    /** The names of the bounds, as a refusal names them (the server's flags). */
    public static final String MAX_ORGS = "max-orgs";
    public static final String MAX_HELD_PER_ORG = "max-held-calls-per-org";

    public Bounds {
      if (maxOrgs < 1 || maxHeldPerOrg < 1) {
        throw new IllegalArgumentException("bounds must be at least 1: " + maxOrgs + ", " + maxHeldPerOrg);
      }
    }
  }

  final TimerQueue timers = new TimerQueue();
  private final Map<String, OrgState> orgs = new HashMap<>();
  private final TreeSet<String> orgIds = new TreeSet<>(); // ListOrgs pages in id order
  /** Orgs by serial, the short name an ended call's record uses for its org. */
  private final List<OrgState> orgsBySerial = new ArrayList<>();
  /** Calls that ended in the last {@link #REMEMBER_ENDED_MILLIS}, as compact records. */
  private final EndedCalls ended;
  private final List<Event> outbox = new ArrayList<>();
  private long nextSeq;
  private long lastNow = Long.MIN_VALUE;
  private Bounds bounds = Bounds.NONE;
  /** {@link #readAhead}'s scratch: the index hashes of a batch's call_ids. */
  private int[] aheadHashes = new int[256];
  /** What {@link #readAhead} read, kept so that its reads are not optimized away. */
  private long aheadRead;

  /**
   * An engine whose ended calls are filed under {@code idHashKey}. A server facing clients passes
   * a secret one, made outside the engine from a {@code SecureRandom} (see {@link IdHashKey}).
   */
  public Engine(IdHashKey idHashKey) {
    ended = new EndedCalls(orgsBySerial, idHashKey);
  }

  /** Bounds for the commands from now on (see {@link Bounds} for why not during a replay). */
  public void bound(Bounds bounds) {
    this.bounds = bounds;
  }

  /** An engine with the {@link IdHashKey#PUBLIC} key: reproducible, for tests and benchmarks. */
  public Engine() {
    this(IdHashKey.PUBLIC);
  }

  /**
   * Prepares for applying {@code batch}, in order, next; changes nothing. Each Acquire looks its
   * call_id up among millions of ended calls and each Release files one there, and at that size
   * every such lookup misses the CPU caches and waits on memory. Applied one by one, a batch waits
   * once per command, since each decision needs the lookup's answer before it can go on. Here the
   * batch's slots are read in one tight pass of independent loads, which the CPU overlaps, so a
   * batch waits about as long as for a few; the lookups then find their slots in the cache.
   *
   * <p>Measured with RememberedCallsBenchmark's loop turns at 3 M remembered calls, with and
   * without it side by side: 1.28× to 1.59× the decisions per second, over runs on a quiet and on
   * a loaded machine.
   */
  public void readAhead(List<? extends Commands.Command<?>> batch) {
    int n = 0;
    for (Commands.Command<?> c : batch) {
      String callId;
      if (c instanceof Commands.Acquire a) {
        callId = a.callId();
      } else if (c instanceof Commands.Release r) {
        callId = r.callId();
      } else {
        continue;
      }
      OrgState org = orgs.get(c.orgId());
      if (org != null) {
        if (n == aheadHashes.length) {
          aheadHashes = Arrays.copyOf(aheadHashes, 2 * n);
        }
        aheadHashes[n++] = ended.hash(org.serial, callId);
      }
    }
    aheadRead += ended.touch(aheadHashes, n);
  }

  // ---- Calls ------------------------------------------------------------------------------

  public AcquireResult acquire(Commands.Acquire c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return Rejection.unknownOrg(c.orgId());
    }
    Call existing = org.calls.get(c.callId());
    if (existing != null) {
      return retry(org, existing, c, now);
    }
    EndedCall endedCall = ended.find(org, c.callId());
    if (endedCall != null) {
      return retry(endedCall, c);
    }
    if (org.held.size() >= bounds.maxHeldPerOrg()) {
      Rejection full = org.refuseHold(c, nextSeq, bounds.maxHeldPerOrg(), now);
      if (full != null) {
        return full;
      }
    }
    Call call = new Call(
        org, c, nextSeq++, org.pool.pair(c.agentId(), c.callType()), org.login(c.loginId()),
        org.number(c.fromNumber()));
    Verdict v = org.decide(call, now);
    if (v instanceof Verdict.Hold) {
      return new Results.Held(org.holdView(call, now), false);
    } else if (v instanceof Verdict.Deny) {
      return new Results.Denied(call.denial);
    }
    return new Results.Granted(call.lease(), false);
  }

  /** call_id is the idempotency key: the same request gets the call's current state. */
  private AcquireResult retry(OrgState org, Call call, Commands.Acquire c, long now) {
    if (!call.sameRequest(c)) {
      return alreadyUsed(c, call.request());
    }
    return call.state == Call.State.ACTIVE
        ? new Results.Granted(call.lease(), true)
        : new Results.Held(org.holdView(call, now), true);
  }

  /** A retry of a call that has ended: a call_id is never granted twice. */
  private static AcquireResult retry(EndedCall call, Commands.Acquire c) {
    if (!call.sameRequest(c)) {
      return alreadyUsed(c, call.request());
    }
    return new Rejection(Rejection.Kind.FAILED_PRECONDITION, "call_id",
        new Rejection.CallEnded(c.callId(), call.reason(), call.endedAt()));
  }

  private static Rejection alreadyUsed(Commands.Acquire c, Commands.Acquire existing) {
    return new Rejection(Rejection.Kind.ALREADY_EXISTS, "call_id",
        new Rejection.CallIdUsed(c.orgId(), c.callId(), existing));
  }

  public ReleaseResult release(Commands.Release c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return Rejection.unknownOrg(c.orgId());
    }
    Call call = org.calls.get(c.callId()); // live calls only: an ended one is not active either
    if (call == null) {
      return new Results.Released(Results.Released.Effect.NOT_ACTIVE);
    }
    if (call.state == Call.State.HELD) {
      org.endHeld(call, EndReason.CANCELLED, now);
      return new Results.Released(Results.Released.Effect.CANCELLED);
    }
    org.endActive(call, EndReason.RELEASED, now);
    return new Results.Released(Results.Released.Effect.RELEASED);
  }

  public RenewResult renew(Commands.Renew c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return Rejection.unknownOrg(c.orgId());
    }
    List<Results.Lease> leases = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    List<String> held = new ArrayList<>();
    for (String id : c.callIds()) {
      Call call = org.calls.get(id);
      if (call != null && call.state == Call.State.ACTIVE) {
        org.renew(call, c.leaseTtlMillis(), now);
        leases.add(call.lease());
      } else if (call != null && call.state == Call.State.HELD) {
        held.add(id);
      } else {
        unknown.add(id);
      }
    }
    return new Results.Renewed(leases, unknown, held);
  }

  /** The call's current state, for the first event of a WaitForSlot stream. Changes nothing. */
  public WatchResult watch(String orgId, String callId, long now) {
    OrgState org = orgs.get(orgId);
    if (org == null) {
      return Rejection.unknownOrg(orgId);
    }
    Call call = org.calls.get(callId);
    if (call != null) {
      return call.state == Call.State.HELD
          ? new Results.Held(org.holdView(call, now), true)
          : new Results.Granted(call.lease(), true);
    }
    EndedCall endedCall = ended.find(org, callId);
    if (endedCall != null) {
      return endedCall.view();
    }
    return new Rejection(
        Rejection.Kind.NOT_FOUND, "call_id", new Rejection.UnknownCall(orgId, callId));
  }

  // ---- Configuration ----------------------------------------------------------------------

  public AdminResult putOrg(Commands.PutOrg c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.org().orgId());
    if (org == null) {
      if (orgs.size() >= bounds.maxOrgs()) {
        return tooManyOrgs(c.org().orgId(), 1);
      }
      return orgView(addOrg(c.org()), true);
    }
    return reconfigure(org, c.org(), now);
  }

  private Rejection tooManyOrgs(String orgId, int adding) {
    return new Rejection(Rejection.Kind.RESOURCE_EXHAUSTED, Bounds.MAX_ORGS,
        new Rejection.OrgBound(orgId, adding, orgs.size(), bounds.maxOrgs()));
  }

  /** Changes only the named settings, merged onto the org as it is now (never creates it). */
  public AdminResult updateOrg(Commands.UpdateOrg c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return Rejection.unknownOrg(c.orgId());
    }
    OrgConfig before = org.config;
    AdminResult result = reconfigure(org, OrgField.merge(before, c.values(), c.fields()), now);
    return result instanceof Rejection ? result : new Results.OrgUpdated(before, org.config);
  }

  /** New settings for an existing org: they apply at once, and may let waiters go. */
  /**
   * Before the login_defaults' window may change: drops the starts that left each login's
   * current window (see SlidingWindowLog for what a changed window then counts).
   */
  private static void forgetLeftStarts(OrgState org, long now) {
    for (Login login : org.logins.values()) { // each on its own: hash order cannot leak
      login.forgetLeftStarts(org, now);
    }
  }

  private AdminResult reconfigure(OrgState org, OrgConfig config, long now) {
    if (config.concurrencyLimit() < org.pool.reservedTotal) {
      return new Rejection(
          Rejection.Kind.FAILED_PRECONDITION,
          "org.concurrency_limit",
          new Rejection.LimitBelowReserved(
              config.orgId(), config.concurrencyLimit(), org.pool.reservedTotal, false));
    }
    forgetLeftStarts(org, now);
    org.reconfigure(config);
    // A larger limit or looser defaults may let waiters go; never ends a running call.
    org.settle(org.blockersWithWaiters(), now);
    org.forgetIdle(now); // windows and the time zone may have moved when counts end
    return orgView(org, false);
  }

  /**
   * Deletes an org and everything under it, once it has no live call: a deleted org with a
   * running lease or a waiting call would strand them (their timers, streams and slots would point
   * at nothing), so the operator releases or cancels them first. Unknown orgs are not an error.
   */
  public AdminResult deleteOrg(Commands.DeleteOrg c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return new Results.OrgDeleted(c.orgId(), false);
    }
    if (!org.calls.isEmpty()) {
      int held = org.held.size();
      int active = org.calls.size() - held;
      return new Rejection(
          Rejection.Kind.FAILED_PRECONDITION,
          "org_id",
          new Rejection.OrgHasCalls(c.orgId(), active, held));
    }
    removeOrg(org);
    return new Results.OrgDeleted(c.orgId(), true);
  }

  /**
   * Forgets an org with no live calls. Its only timers left are login and number window timers
   * (call timers go with their calls); they are cancelled, or they would fire into an org created
   * later with the same id. Its ended calls stay in {@link EndedCalls} until they age out, filed
   * under its serial, which no other org ever gets: a new org of the same id never finds them,
   * and a snapshot skips them (it captures only the orgs in {@link #orgIds}). Their records still
   * name the serial, so it keeps a bare stand-in org (id and settings only) in its place.
   */
  private void removeOrg(OrgState org) {
    for (Limit limit : Limits.ALL) {
      limit.forget(org, timers);
    }
    String orgId = org.config.orgId();
    orgs.remove(orgId);
    orgIds.remove(orgId);
    orgsBySerial.set(org.serial, new OrgState(this, org.config, org.serial));
  }

  public AdminResult setReservation(Commands.SetReservation c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return Rejection.unknownOrg(c.orgId());
    }
    Pool pool = org.pool;
    Pool.Pair pair = pool.pair(c.agentId(), c.callType());
    int total = pool.reservedTotal - pair.reserved + c.slots();
    if (total > pool.limit) {
      pool.forgetIfIdle(pair.agent);
      return new Rejection(
          Rejection.Kind.FAILED_PRECONDITION,
          "slots",
          new Rejection.ReservedOverLimit(c.orgId(), c.agentId(), c.callType(), c.slots(), total,
              pool.limit, pool.reservedTotal, pair.reserved));
    }
    org.setReserved(pair, c.slots());
    org.settle(List.of(pair, pool), now);
    pool.forgetIfIdle(pair.agent);
    return new Results.ReservationChanged(
        new Results.Reservation(c.agentId(), c.callType(), c.slots()),
        pool.reservedTotal,
        pool.sharedCapacity());
  }

  public AdminResult removeAgent(Commands.RemoveAgent c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return Rejection.unknownOrg(c.orgId());
    }
    Pool pool = org.pool;
    Pool.Agent agent = pool.agents.get(c.agentId());
    int freed = 0;
    if (agent != null) {
      freed = agent.reservedTotal();
      for (Pool.Pair pair : agent.byType) {
        org.setReserved(pair, 0);
      }
      org.settle(List.of(pool), now); // the freed slots are shared now
      pool.forgetIfIdle(agent);
    }
    return new Results.AgentRemoved(freed, pool.sharedCapacity());
  }

  public AdminResult setLoginLimits(Commands.SetLoginLimits c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return Rejection.unknownOrg(c.orgId());
    }
    Login login = org.login(c.loginId());
    login.forgetLeftStarts(org, now); // its window may change: see SlidingWindowLog
    login.override = c.limits();
    org.settle(List.of(login), now);
    Results.LoginLimitsChanged changed =
        new Results.LoginLimitsChanged(login.override, login.limits(org));
    org.forgetWhenIdle(login, now);
    return changed;
  }

  public AdminResult setNumberLimits(Commands.SetNumberLimits c, long now) {
    now = advance(now);
    OrgState org = orgs.get(c.orgId());
    if (org == null) {
      return Rejection.unknownOrg(c.orgId());
    }
    CallerNumber number = org.number(c.number());
    number.override = c.limits();
    org.settle(List.of(number), now);
    Results.NumberLimitsChanged changed =
        new Results.NumberLimitsChanged(number.override, number.limits(org));
    org.forgetWhenIdle(number, now);
    return changed;
  }

  /**
   * A whole config file as one change: checks every org of it against the current state first,
   * then applies all of it — or refuses with the first problem and changes nothing. See {@link
   * Commands.ApplyConfig} for what it sets and what it leaves alone.
   */
  public AdminResult applyConfig(Commands.ApplyConfig c, long now) {
    now = advance(now);
    Rejection refusal = configRefusal(c);
    if (refusal != null) {
      return refusal;
    }
    List<Results.OrgView> applied = new ArrayList<>(c.orgs().size());
    for (Commands.OrgSetup setup : c.orgs()) {
      applied.add(applySetup(setup, now));
    }
    return new Results.ConfigApplied(applied);
  }

  /**
   * Why {@link #applyConfig} would refuse {@code c} now, or null; reads only. Fields are named by
   * their place in the config file ({@code orgs[1].reservations[0].slots}). The loop's owner may
   * ask before the loop starts, so that a refused file never reaches the command log.
   */
  public Rejection configRefusal(Commands.ApplyConfig c) {
    Map<String, Integer> seen = new HashMap<>(); // looked up only, never iterated
    String firstNew = null;
    int adding = 0;
    for (int i = 0; i < c.orgs().size(); i++) {
      Commands.OrgSetup setup = c.orgs().get(i);
      String at = "orgs[" + i + "]";
      Integer first = seen.putIfAbsent(setup.org().orgId(), i);
      if (first != null) {
        // Two entries for one org would make the result depend on their order: say so instead.
        return Rejection.invalid(at + ".org.org_id",
            new Rejection.Repeated("orgs", setup.org().orgId(), null, first));
      }
      Rejection r = ConfigCheck.refusal(setup, orgs.get(setup.org().orgId()), at);
      if (r != null) {
        return r;
      }
      if (!orgs.containsKey(setup.org().orgId()) && adding++ == 0) {
        firstNew = setup.org().orgId();
      }
    }
    if (adding > 0 && orgs.size() + (long) adding > bounds.maxOrgs()) {
      return tooManyOrgs(firstNew, adding);
    }
    return null;
  }

  /** One checked org of a config: nothing here can refuse. */
  private Results.OrgView applySetup(Commands.OrgSetup setup, long now) {
    OrgState org = orgs.get(setup.org().orgId());
    boolean created = org == null;
    if (created) {
      org = addOrg(setup.org());
    } else {
      forgetLeftStarts(org, now); // before any login's window may change
      org.reconfigure(setup.org());
    }
    // The limit and the reservations may pass through a state where the reservations exceed the
    // limit; nothing decides in between, and the end state was checked.
    for (Results.Reservation r : setup.reservations()) {
      Pool.Pair pair = org.pool.pair(r.agentId(), r.callType());
      org.setReserved(pair, r.slots());
      org.pool.forgetIfIdle(pair.agent);
    }
    for (Results.LoginOverride l : setup.loginOverrides()) {
      org.login(l.loginId()).override = l.limits();
    }
    for (Results.NumberOverride n : setup.numberOverrides()) {
      org.number(n.number()).override = n.limits();
    }
    // Any of it may let waiters go; never ends a running call.
    org.settle(org.blockersWithWaiters(), now);
    org.forgetIdle(now);
    return orgView(org, created);
  }

  public AdminResult getOrg(String orgId) {
    OrgState org = orgs.get(orgId);
    return org == null ? Rejection.unknownOrg(orgId) : orgView(org, false);
  }

  /** Orgs after {@code afterOrgId} (exclusive; empty for the first page), in id order. */
  public AdminResult listOrgs(String afterOrgId, int pageSize) {
    List<OrgConfig> page = new ArrayList<>(Math.min(pageSize, orgIds.size()));
    var tail = afterOrgId.isEmpty() ? orgIds : orgIds.tailSet(afterOrgId, false);
    for (String id : tail) {
      if (page.size() == pageSize) {
        return new Results.OrgPage(page, page.get(page.size() - 1).orgId());
      }
      page.add(orgs.get(id).config);
    }
    return new Results.OrgPage(page, "");
  }

  static Results.OrgView orgView(OrgState org, boolean created) {
    List<Results.Reservation> reservations = new ArrayList<>();
    for (Pool.Agent agent : org.pool.agents.values()) {
      for (Pool.Pair pair : agent.byType) {
        if (pair.reserved > 0) {
          reservations.add(new Results.Reservation(agent.id, pair.type, pair.reserved));
        }
      }
    }
    reservations.sort(
        Comparator.comparing(Results.Reservation::agentId).thenComparing(Results.Reservation::callType));
    List<Results.LoginOverride> loginOverrides = new ArrayList<>();
    for (Login login : org.logins.values()) {
      if (!login.override.isEmpty()) {
        loginOverrides.add(new Results.LoginOverride(login.id, login.override));
      }
    }
    loginOverrides.sort(Comparator.comparing(Results.LoginOverride::loginId));
    List<Results.NumberOverride> numberOverrides = new ArrayList<>();
    for (CallerNumber number : org.numbers.values()) {
      if (!number.override.isEmpty()) {
        numberOverrides.add(new Results.NumberOverride(number.id, number.override));
      }
    }
    numberOverrides.sort(Comparator.comparing(Results.NumberOverride::number));
    return new Results.OrgView(org.config, reservations, loginOverrides, numberOverrides, created);
  }

  // ---- Status -----------------------------------------------------------------------------

  public StatusResult status(String orgId, long now) {
    OrgState org = orgs.get(orgId);
    return org == null ? Rejection.unknownOrg(orgId) : OrgStatusBuilder.build(org, now);
  }

  // ---- Time and events --------------------------------------------------------------------

  /**
   * Lets time pass up to {@code now}: fires due timers in (time, creation) order, each at its own
   * instant, then forgets calls that ended long enough ago. Returns the effective now, which
   * never goes back.
   */
  long advance(long now) {
    now = Math.max(now, lastNow);
    lastNow = now;
    List<TimerQueue.Due> due;
    while (!(due = timers.pollDue(now)).isEmpty()) {
      fireInstant(due);
    }
    ended.forgetEndedBy(now - REMEMBER_ENDED_MILLIS);
    return now;
  }

  /**
   * Fires the timers due at one instant, given in canonical order. Everything that frees room
   * (leases expiring, windows rolling) happens first, then one dispatch over all of it — FIFO among
   * the waiters that became eligible at that instant, whichever timer freed them — and only then
   * do the waits whose max_wait passes at that instant end: a call still waiting when its slot
   * frees gets it.
   */
  private void fireInstant(List<TimerQueue.Due> due) {
    long at = due.get(0).at();
    Map<String, List<Blocker>> freed = new TreeMap<>(); // orgs are independent; id order is stable
    List<TimerQueue.Due> waitDeadlines = new ArrayList<>();
    for (TimerQueue.Due t : due) {
      if (t.kind() == TimerQueue.Kind.WAIT_DEADLINE) {
        waitDeadlines.add(t);
      } else {
        fire(t, freed);
      }
    }
    freed.forEach((orgId, blockers) -> orgs.get(orgId).settle(blockers, at));
    for (TimerQueue.Due deadline : waitDeadlines) {
      Call call = (Call) deadline.target();
      if (call.state == Call.State.HELD) { // not dispatched just now
        deadline.org().endHeld(call, EndReason.WAIT_EXPIRED, at);
      }
    }
  }

  private void fire(TimerQueue.Due t, Map<String, List<Blocker>> freed) {
    OrgState org = t.org();
    if (t.kind() == TimerQueue.Kind.FORGET) {
      org.forgetTimerFired((ConcurrencyWindow) t.target(), t.at()); // frees no room
      return;
    }
    List<Blocker> orgFreed = freed.computeIfAbsent(org.config.orgId(), k -> new ArrayList<>());
    switch (t.kind()) {
      case LEASE_EXPIRY -> orgFreed.addAll(org.finishActive((Call) t.target(), EndReason.EXPIRED, t.at()));
      case WAIT_DEADLINE -> throw new IllegalStateException("wait deadlines end after dispatch");
      case FORGET -> throw new IllegalStateException("forget timers free nothing");
      case WINDOW -> {
        Blocker blocker = (Blocker) t.target();
        blocker.woken();
        orgFreed.add(blocker);
      }
    }
  }

  /** The earliest moment a timer is due, or {@link Long#MAX_VALUE}; the loop sleeps until then. */
  public long nextDeadline() {
    long next = timers.nextDeadline();
    long oldest = ended.oldestEndedAt();
    if (oldest != Long.MAX_VALUE) {
      next = Math.min(next, oldest + REMEMBER_ENDED_MILLIS);
    }
    return next;
  }

  /** Events since the last drain, in the order they happened. */
  public List<Event> drainEvents() {
    if (outbox.isEmpty()) {
      return List.of();
    }
    List<Event> out = List.copyOf(outbox);
    outbox.clear();
    return out;
  }

  void emit(Event event) {
    outbox.add(event);
  }

  void remember(EndedCall call) {
    ended.add(call);
  }

  // ---- Snapshot support (see Snapshots) ---------------------------------------------------

  /** The latest time the engine has seen (Long.MIN_VALUE before any): time never goes back. */
  public long lastNow() {
    return lastNow;
  }

  long nextSeq() {
    return nextSeq;
  }

  Iterable<String> orgIds() {
    return orgIds;
  }

  OrgState org(String orgId) {
    return orgs.get(orgId);
  }

  void restoreClock(long nextSeq, long lastNow) {
    this.nextSeq = nextSeq;
    this.lastNow = lastNow;
  }

  EndedCalls endedCalls() {
    return ended;
  }

  /** Every org ever added, by serial; a deleted one's serial holds a stand-in (see removeOrg). */
  List<OrgState> orgsBySerial() {
    return orgsBySerial;
  }

  OrgState addOrg(OrgConfig config) {
    OrgState org = new OrgState(this, config, orgsBySerial.size());
    orgsBySerial.add(org);
    orgs.put(config.orgId(), org);
    orgIds.add(config.orgId());
    return org;
  }

  /** Number of orgs; for tests and metrics. */
  public int orgCount() {
    return orgs.size();
  }
}
