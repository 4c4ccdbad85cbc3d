package io.admission.server.engine;

import io.admission.server.api.Refusals;

import io.admission.server.api.Sentences;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Seeded randomized test of the engine against {@link ReferenceModel}, a deliberately naive model
 * of the org pool with the checks around it: login concurrency and rate windows, per-number
 * concurrency, rolling-hour and daily caps, and the org daily cap. Both get the same random
 * commands — several orgs, agents, call types, logins and caller numbers, time moving by random
 * amounts (sometimes not at all, sometimes backwards, sometimes past the ten-minute memory) — and
 * after every step the test compares the answer, the events in order, every org's status and the
 * state of every call it ever named, then checks invariants on the engine's own output.
 *
 * <p>Limits change during an org's life: PutOrg replaces the limit (refused below the
 * reservations), the login and number defaults — login windows shorter and longer — and the daily
 * cap; SetLoginLimits and SetNumberLimits set a login's or number's own values or give them up.
 * Now and then the engine is snapshotted: the capture must leave it exactly as it was, the
 * restored engine must capture to the same snapshot, and the run goes on with either of the two,
 * so a snapshot that changed or lost anything shows up as a difference from the model.
 *
 * <p>Logins and numbers are checked to be kept exactly while something keeps them (a live call,
 * their own limits, a count that still counts), with a forget timer at the moment their last
 * count ends, and a restored engine keeps the same ones. Every other seed runs with small bounds
 * on orgs and held calls per org, in the engine and the model alike: a refusal must change
 * nothing, and the engine restored from a snapshot gets the bounds again, as the server does.
 *
 * <p>Replay one seed with {@code -DengineModel.seed=N}; change the run with {@code
 * -DengineModel.seeds=N}, {@code -DengineModel.first=N} and {@code -DengineModel.steps=N}. Every
 * failure names its seed. {@code -DengineModel.invariantsOnly=true} skips the comparison with the
 * model, to see what the invariants alone catch; {@code -DengineModel.stats=true} prints how
 * often each case came up; {@code -DengineModel.snapshotPercent=N} snapshots before N % of steps.
 */
class EngineModelTest {
  private static final long SECOND = 1_000L;
  private static final long MINUTE = 60_000L;
  /** 10 Mar 2025 00:00 UTC; each seed starts at a random moment of that day. */
  private static final long DAY0 = LocalDate.of(2025, 3, 10).atStartOfDay(ZoneOffset.UTC)
      .toInstant().toEpochMilli();
  private static final String[] AGENTS = {"", "a1", "a2", "a3"};
  /** l1 twice: a login busy enough to fill its rate window now and then. */
  private static final String[] LOGINS = {"", "l1", "l1", "l2", "l3"};
  private static final String[] NUMBERS = {"", "", "n1", "n2", "n3"};
  /**
   * Login windows, for the org defaults and the logins' own limits, changing during an org's life:
   * none of their small multiples equals a lease TTL or a max_wait, so window exits rarely coincide
   * with them to the millisecond.
   */
  private static final long[] WINDOWS = {35 * SECOND, 110 * SECOND, 170 * SECOND, 280 * SECOND};
  private static final CallType[] TYPES = CallType.values();
  private static final long[] TTLS = {0, 0, 20 * SECOND, MINUTE, 5 * MINUTE};
  private static final long[] MAX_WAITS = {0, 0, 0, 15 * SECOND, 90 * SECOND, 4 * MINUTE};

  /** Seconds before a run counts as hung (an engine looping forever fails, naming its seed). */
  private static final long TIMEOUT_SECONDS = Long.getLong("engineModel.timeoutSeconds", 300);
  /** How often (percent of steps) the engine is snapshotted before a step. */
  private static final int SNAPSHOT_PERCENT = Integer.getInteger("engineModel.snapshotPercent", 3);
  /** Only the engine-side invariants, without comparing to the model: to test the invariants. */
  private static final boolean INVARIANTS_ONLY = Boolean.getBoolean("engineModel.invariantsOnly");

  @Test
  void engineAgreesWithTheNaiveModel() throws InterruptedException {
    String one = System.getProperty("engineModel.seed");
    int steps = Integer.getInteger("engineModel.steps", 500);
    long first = one != null ? Long.parseLong(one) : Long.getLong("engineModel.first", 1);
    int seeds = one != null ? 1 : Integer.getInteger("engineModel.seeds", 200);
    Map<String, Integer> seen = new java.util.TreeMap<>();
    Run[] current = new Run[1];
    Throwable[] failure = new Throwable[1];
    // The runs go on a daemon thread so that an engine stuck in a loop fails this test, with its
    // seed, instead of hanging the build.
    Thread worker = new Thread(() -> {
      try {
        for (long seed = first; seed < first + seeds; seed++) {
          Run run = new Run(seed, steps);
          synchronized (current) {
            current[0] = run;
          }
          run.run();
          run.coverage.forEach((k, v) -> seen.merge(k, v, Integer::sum));
        }
      } catch (Throwable t) {
        failure[0] = t;
      }
    }, "engine-model");
    worker.setDaemon(true);
    worker.start();
    worker.join(TIMEOUT_SECONDS * 1000);
    if (worker.isAlive()) {
      synchronized (current) {
        fail("no answer within " + TIMEOUT_SECONDS + " s: seed " + current[0].seed + ", step "
            + current[0].step + " (replay: -DengineModel.seed=" + current[0].seed + ")");
      }
    }
    if (failure[0] instanceof Error e) {
      throw e;
    } else if (failure[0] != null) {
      throw new AssertionError(failure[0]);
    }
    if (one != null) {
      return;
    }
    if (Boolean.getBoolean("engineModel.stats")) {
      System.out.println("EngineModelTest coverage: " + seen);
    }
    if (seeds * (long) steps >= 20_000) {
      // A model test that never reaches a case proves nothing about it.
      for (String c : List.of("GRANTED retry=false", "GRANTED retry=true", "HELD retry=false",
          "HELD retry=true", "DENIED", "REJECT ALREADY_EXISTS", "REJECT FAILED_PRECONDITION",
          "REJECT NOT_FOUND", "RELEASED RELEASED", "RELEASED CANCELLED", "RELEASED NOT_ACTIVE",
          "RENEWED", "RESERVED", "REMOVED", "ORG", "LOGINLIMITS", "event DISPATCHED",
          "event HOLDCHANGED", "event WAITENDED WAIT_EXPIRED", "event WAITENDED CANCELLED",
          "event WAITENDED DENIED", "event LEASEENDED EXPIRED", "event LEASEENDED RELEASED",
          "dispatched RESERVED", "dispatched SHARED", "id reused after forgotten",
          "over capacity after a reduction", "renewed held", "renewed unknown", "NUMBERLIMITS",
          "held LOGIN_RATE", "held NUMBER_RATE", "held NUMBER_CONCURRENCY",
          "dispatched from LOGIN_RATE", "dispatched from NUMBER_RATE",
          "dispatched from NUMBER_CONCURRENCY", "dispatched by a login window rolling",
          "dispatched by a number window rolling",
          "hold changed LOGIN_RATE", "hold changed NUMBER_RATE", "DENIED NUMBER_DAILY_CAP",
          "DENIED DAILY_CAP", "DENIED CALLING_HOURS", "snapshot, live", "snapshot, restored",
          "window made shorter",
          "window made longer", "starts forgotten at a window change", "login forgotten",
          "number forgotten", "REJECT RESOURCE_EXHAUSTED max-held-calls-per-org",
          "REJECT RESOURCE_EXHAUSTED max-orgs")) {
        int times = seen.entrySet().stream().filter(e -> e.getKey().startsWith(c))
            .mapToInt(Map.Entry::getValue).sum();
        if (times < 10) {
          fail("the random commands reached \"" + c + "\" only " + times + " times: " + seen);
        }
      }
    }
  }

  /** One seed: the engine, the model, the random source, and what the test has seen. */
  private static final class Run {
    final long seed;
    final int steps;
    final Random random;
    /** The engine under test; after a snapshot, sometimes the one restored from it. */
    Engine engine = new Engine();
    final ReferenceModel model = new ReferenceModel();
    long now;
    int step;
    final ArrayDeque<String> trace = new ArrayDeque<>();
    /** Every call id named per org, with the request of its latest incarnation. */
    final Map<String, LinkedHashMap<String, Commands.Acquire>> named = new LinkedHashMap<>();
    final List<String> orgIds = new ArrayList<>();
    int nextCall;
    /** Invariant bookkeeping, from the engine's own output. */
    final Map<String, Boolean> overLimitAfterReduction = new HashMap<>();
    final Map<String, Integer> grantsOfIncarnation = new HashMap<>();
    final Map<String, Long> arrival = new HashMap<>();
    long arrivals;
    Map<String, Results.WatchResult> lastSeen = new HashMap<>();
    final Map<String, Integer> coverage = new HashMap<>();
    /** Each org's status as of the end of the current step. */
    final Map<String, StatusView.Org> lastStatus = new HashMap<>();
    /** Every other seed runs with small bounds, in the engine and the model alike. */
    final Engine.Bounds bounds;

    void cover(String what) {
      coverage.merge(what, 1, Integer::sum);
    }

    Run(long seed, int steps) {
      this.seed = seed;
      this.steps = steps;
      this.random = new Random(seed);
      this.now = DAY0 + (long) (random.nextDouble() * 86_400_000L);
      this.bounds = seed % 2 == 0 ? Engine.Bounds.NONE
          : new Engine.Bounds(3 + random.nextInt(3), 1 + random.nextInt(6));
      engine.bound(bounds);
      model.maxOrgs = bounds.maxOrgs();
      model.maxHeldPerOrg = bounds.maxHeldPerOrg();
    }

    void run() {
      try {
        for (int i = 1; i <= 3; i++) {
          String id = "o" + i;
          orgIds.add(id);
          named.put(id, new LinkedHashMap<>());
          apply(new Commands.PutOrg(randomOrg(id)));
        }
        for (step = 1; step <= steps; step++) {
          if (random.nextInt(100) < SNAPSHOT_PERCENT) {
            snapshot();
          }
          moveClock();
          apply(randomCommand());
        }
      } catch (RuntimeException | StackOverflowError e) {
        // An exception in the engine is a bug too: report it with its seed and the steps to it.
        throw new AssertionError("seed " + seed + ", step " + step + ": " + e
            + "\nlast steps:\n  " + String.join("\n  ", trace)
            + "\nreplay: -DengineModel.seed=" + seed + " -DengineModel.steps=" + step, e);
      }
    }

    // ---- Generating -----------------------------------------------------------------------

    void moveClock() {
      int r = random.nextInt(100);
      if (r < 10) {
        return; // same instant: ties
      } else if (r < 12) {
        now -= random.nextInt(5_000); // the loop never does this, but the engine must cope
      } else if (r < 75) {
        now += 1 + random.nextInt(5_000);
      } else if (r < 93) {
        now += 5 * SECOND + random.nextInt(55_000);
      } else if (r < 98) {
        now += MINUTE + random.nextInt(4 * 60_000);
      } else {
        now += 8 * MINUTE + random.nextInt(7 * 60_000);
      }
    }

    /** A new org, or new settings for one: a limit near the old one, the rest at random. */
    OrgConfig randomOrg(String id) {
      ReferenceModel.MOrg old = model.orgs.get(id);
      int limit = old == null ? 1 + random.nextInt(8)
          : Math.max(1, old.limit - 2 + random.nextInt(5));
      OptionalLong ttl = switch (random.nextInt(3)) {
        case 0 -> OptionalLong.empty();
        case 1 -> OptionalLong.of(45 * SECOND);
        default -> OptionalLong.of(2 * MINUTE);
      };
      // The window: usually kept, so that rate windows fill; sometimes shorter or longer, or left
      // unset (the product's hour).
      int w = random.nextInt(10);
      OptionalLong window = old != null && w < 6 ? OptionalLong.of(old.loginDefaultWindow)
          : w == 9 ? OptionalLong.empty() : OptionalLong.of(WINDOWS[random.nextInt(WINDOWS.length)]);
      int perWindow = random.nextInt(4);
      LoginLimits loginDefaults =
          new LoginLimits(
              OptionalInt.of(random.nextInt(4)),
              perWindow == 0 ? OptionalInt.of(0) : OptionalInt.of(2 + random.nextInt(2)),
              window);
      NumberLimits numberDefaults = new NumberLimits(
          smallCap(6, 3), smallCap(3, 2), smallCap(2, 1));
      Optional<DailyCap> cap = random.nextInt(3) == 0
          ? Optional.of(new DailyCap(3 + random.nextInt(25), List.of(), LocalDate.of(2025, 1, 1),
              Set.of()))
          : Optional.empty();
      return new OrgConfig(
          id, limit, cap, ZoneOffset.UTC, ttl, loginDefaults, numberDefaults, randomHours());
    }

    /**
     * Calling hours a third of the time: one to four windows on random days, on quarter hours,
     * some up to midnight, restricting outbound calls or a random pair of types.
     */
    CallingHours randomHours() {
      if (random.nextInt(3) != 0) {
        return CallingHours.NONE;
      }
      List<CallingHours.Window> windows = new java.util.ArrayList<>();
      for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
        int start = 15 * random.nextInt(4 * 24);
        int end = random.nextInt(4) == 0 ? 24 * 60 : start + 15 * (1 + random.nextInt(4 * 10));
        windows.add(new CallingHours.Window(java.time.DayOfWeek.of(1 + random.nextInt(7)), start,
            Math.min(end, 24 * 60)));
      }
      Set<CallType> types = random.nextBoolean() ? Set.of()
          : Set.of(CallType.values()[random.nextInt(2)], CallType.values()[2 + random.nextInt(2)]);
      return new CallingHours(windows, types);
    }

    /** Unset, off (0), or from {@code base} to {@code base + spread}. */
    OptionalInt smallCap(int base, int spread) {
      int r = random.nextInt(4);
      return r == 0 ? OptionalInt.empty() : r == 1 ? OptionalInt.of(0)
          : OptionalInt.of(base + random.nextInt(spread + 1));
    }

    String randomOrgId() {
      return random.nextInt(50) == 0 ? "ghost" : orgIds.get(random.nextInt(orgIds.size()));
    }

    <T> T pick(T[] values) {
      return values[random.nextInt(values.length)];
    }

    /** A call id already named in {@code org} and in a wanted state, if any, else any named. */
    String namedCall(String org, ReferenceModel.St wanted) {
      LinkedHashMap<String, Commands.Acquire> ids = named.get(org);
      if (ids == null || ids.isEmpty()) {
        return "c-none";
      }
      List<String> all = new ArrayList<>(ids.keySet());
      if (wanted != null) {
        List<String> matching = new ArrayList<>();
        ReferenceModel.MOrg o = model.orgs.get(org);
        for (ReferenceModel.MCall c : o.calls) {
          if (c.state == wanted) {
            matching.add(c.id);
          }
        }
        if (!matching.isEmpty()) {
          return matching.get(random.nextInt(matching.size()));
        }
      }
      return all.get(random.nextInt(all.size()));
    }

    Object randomCommand() {
      int r = random.nextInt(100);
      String org = randomOrgId();
      if (r < 34) {
        CallType type = random.nextBoolean() ? CallType.OUTBOUND : pick(TYPES);
        return new Commands.Acquire(org, "c" + (++nextCall), pick(AGENTS), type,
            pick(LOGINS), pick(NUMBERS), TTLS[random.nextInt(TTLS.length)],
            MAX_WAITS[random.nextInt(MAX_WAITS.length)]);
      } else if (r < 42) {
        return retriedAcquire(org);
      } else if (r < 62) {
        int s = random.nextInt(10);
        ReferenceModel.St wanted =
            s < 6 ? ReferenceModel.St.ACTIVE : s < 9 ? ReferenceModel.St.HELD : null;
        return new Commands.Release(org, namedCall(org, wanted));
      } else if (r < 72) {
        List<String> ids = new ArrayList<>();
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
          ids.add(random.nextInt(10) == 0 ? "c-never" : namedCall(org,
              random.nextBoolean() ? ReferenceModel.St.ACTIVE : null));
        }
        long ttl = random.nextInt(4) == 0 ? TTLS[2 + random.nextInt(TTLS.length - 2)] : 0;
        return new Commands.Renew(org, ids, ttl);
      } else if (r < 79) {
        // Mostly the types the agents' calls use, so that reserved slots see traffic.
        CallType type = random.nextBoolean() ? CallType.OUTBOUND : pick(TYPES);
        return new Commands.SetReservation(org, AGENTS[1 + random.nextInt(3)], type,
            random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(3));
      } else if (r < 81) {
        return new Commands.RemoveAgent(org, AGENTS[1 + random.nextInt(3)]);
      } else if (r < 85) {
        if (random.nextInt(8) == 0 && orgIds.size() < 5) {
          String id = "o" + (orgIds.size() + 1);
          orgIds.add(id);
          named.put(id, new LinkedHashMap<>());
          return new Commands.PutOrg(randomOrg(id));
        }
        String existing = orgIds.get(random.nextInt(orgIds.size()));
        return new Commands.PutOrg(randomOrg(existing));
      } else if (r < 89) {
        String login = LOGINS[2 + random.nextInt(3)];
        if (random.nextInt(6) == 0) {
          return new Commands.SetLoginLimits(org, login, LoginLimits.INHERIT); // back to the org's
        }
        OptionalInt max = random.nextInt(4) == 0 ? OptionalInt.empty()
            : OptionalInt.of(random.nextInt(4));
        OptionalInt perWindow = random.nextInt(3) == 0 ? OptionalInt.empty()
            : random.nextInt(4) == 0 ? OptionalInt.of(0) : OptionalInt.of(2 + random.nextInt(3));
        OptionalLong window =
            random.nextBoolean() ? OptionalLong.empty() : OptionalLong.of(WINDOWS[random.nextInt(WINDOWS.length)]);
        return new Commands.SetLoginLimits(org, login, new LoginLimits(max, perWindow, window));
      } else if (r < 91) {
        String number = NUMBERS[2 + random.nextInt(3)];
        return new Commands.SetNumberLimits(org, number, random.nextInt(6) == 0
            ? NumberLimits.INHERIT
            : new NumberLimits(smallCap(2, 3), smallCap(2, 2), smallCap(1, 1)));
      } else {
        return new Commands.Tick();
      }
    }

    /** The same request again (usually), or the same call_id with one parameter changed. */
    Object retriedAcquire(String org) {
      LinkedHashMap<String, Commands.Acquire> ids = named.get(org);
      if (ids == null || ids.isEmpty()) {
        return new Commands.Tick();
      }
      List<Commands.Acquire> all = new ArrayList<>(ids.values());
      Commands.Acquire a = all.get(random.nextInt(all.size()));
      if (random.nextInt(5) > 0) {
        return a;
      }
      if (random.nextInt(5) == 0) {
        return new Commands.Acquire(a.orgId(), a.callId(), a.agentId(), a.callType(),
            a.loginId(), a.fromNumber() + "x", a.leaseTtlMillis(), a.maxWaitMillis());
      }
      return switch (random.nextInt(4)) {
        case 0 -> new Commands.Acquire(a.orgId(), a.callId(), a.agentId() + "x", a.callType(),
            a.loginId(), a.fromNumber(), a.leaseTtlMillis(), a.maxWaitMillis());
        case 1 -> new Commands.Acquire(a.orgId(), a.callId(), a.agentId(),
            TYPES[(a.callType().ordinal() + 1) % TYPES.length], a.loginId(), a.fromNumber(),
            a.leaseTtlMillis(), a.maxWaitMillis());
        case 2 -> new Commands.Acquire(a.orgId(), a.callId(), a.agentId(), a.callType(),
            a.loginId(), a.fromNumber(), a.leaseTtlMillis() + SECOND, a.maxWaitMillis());
        default -> new Commands.Acquire(a.orgId(), a.callId(), a.agentId(), a.callType(),
            a.loginId() + "x", a.fromNumber(), a.leaseTtlMillis(), a.maxWaitMillis());
      };
    }

    // ---- Snapshots ---------------------------------------------------------------------------

    /**
     * Capture, restore, and go on with the live engine or the restored one. The capture must
     * change nothing — not even rolling-window starts that no longer count — and the restored
     * engine must capture to the same snapshot, with the same timers.
     */
    void snapshot() {
      String heldBefore = heldStarts(engine);
      EngineSnapshot s = Snapshots.capture(engine);
      check(heldBefore.equals(heldStarts(engine)), () -> "capture changed the engine's starts",
          heldBefore, heldStarts(engine));
      EngineSnapshot again = Snapshots.capture(engine);
      check(s.equals(again), () -> "a second capture differs", s, again);
      Engine restored = Snapshots.restore(s, IdHashKey.PUBLIC);
      EngineSnapshot ofRestored = Snapshots.capture(restored);
      check(s.equals(ofRestored), () -> "capture(restore(s)) != s", s, ofRestored);
      check(kept(engine).equals(kept(restored)),
          () -> "the restored engine keeps other logins or numbers", kept(engine), kept(restored));
      check(engine.timers.describe().equals(restored.timers.describe()),
          () -> "the restored engine's timers differ", engine.timers.describe(),
          restored.timers.describe());
      boolean goOnRestored = random.nextBoolean();
      trace.addLast("step " + step + " snapshot, going on with the "
          + (goOnRestored ? "restored" : "live") + " engine");
      if (goOnRestored) {
        engine = restored;
        engine.bound(bounds); // as the server does once it has recovered
      }
      cover(goOnRestored ? "snapshot, restored" : "snapshot, live");
    }

    /** The logins and numbers an engine keeps, per org, in id order. */
    static String kept(Engine e) {
      StringBuilder b = new StringBuilder();
      for (String orgId : e.orgIds()) {
        OrgState o = e.org(orgId);
        b.append(orgId).append(" logins ").append(new java.util.TreeSet<>(o.logins.keySet()))
            .append(" numbers ").append(new java.util.TreeSet<>(o.numbers.keySet())).append('\n');
      }
      return b.toString();
    }

    /** What each org kept at the end of the previous step: "org login l1", "org number n2". */
    Set<String> keptBefore = new HashSet<>();

    /**
     * Logins and numbers are kept exactly while something keeps them: a live call naming them
     * (counted right), their own limits, or a count that still counts — with a forget timer at
     * the moment that count ends when nothing else keeps them. Anything else is forgotten.
     */
    void checkForgetting() {
      long at = engine.lastNow();
      Set<String> keptNow = new HashSet<>();
      for (String orgId : engine.orgIds()) {
        OrgState o = engine.org(orgId);
        Map<ConcurrencyWindow, Integer> live = new HashMap<>();
        for (Call c : o.calls.values()) {
          if (c.login != null) {
            live.merge(c.login, 1, Integer::sum);
          }
          if (c.number != null) {
            live.merge(c.number, 1, Integer::sum);
          }
        }
        List<ConcurrencyWindow> all = new ArrayList<>(o.logins.values());
        all.addAll(o.numbers.values());
        for (ConcurrencyWindow w : all) {
          String name = orgId + " " + w.timerName();
          keptNow.add(name);
          int n = live.getOrDefault(w, 0);
          check(w.live == n, () -> name + " counts its live calls wrong", n, w.live);
          boolean kept = w.live > 0 || w.configured();
          long until = w.countsUntil(o);
          check(kept || until > at, () -> name + " is kept with nothing to keep it",
              "counts until after " + at, until);
          check(kept ? w.forgetTimer == null : w.forgetTimer != null && w.forgetTimer.at == until,
              () -> name + " has a wrong forget timer", kept ? "none" : "at " + until,
              w.forgetTimer == null ? "none" : "at " + w.forgetTimer.at);
        }
        live.keySet().forEach(w -> check(
            (w instanceof Login ? o.logins.get(w.id) : o.numbers.get(w.id)) == w,
            () -> orgId + " " + w.timerName() + " of a live call is not the org's", "kept", w));
      }
      for (String name : keptBefore) {
        if (!keptNow.contains(name)) {
          cover(name.contains(" login ") ? "login forgotten" : "number forgotten");
        }
      }
      keptBefore = keptNow;
    }

    /** Every start each login and number holds, counted or not, as text. */
    static String heldStarts(Engine e) {
      StringBuilder b = new StringBuilder();
      for (String orgId : e.orgIds()) {
        OrgState o = e.org(orgId);
        new java.util.TreeMap<>(o.logins).forEach((id, l) ->
            b.append(orgId).append(" login ").append(id)
                .append(java.util.Arrays.toString(l.starts.toArray())).append('\n'));
        new java.util.TreeMap<>(o.numbers).forEach((id, n) ->
            b.append(orgId).append(" number ").append(id)
                .append(java.util.Arrays.toString(n.starts.toArray())).append('\n'));
      }
      return b.toString();
    }

    // ---- Applying and comparing -----------------------------------------------------------

    void apply(Object command) {
      // Retries and some releases first let time pass on its own, so that the command itself is
      // seen to change nothing when it is a no-op.
      boolean namedId = command instanceof Commands.Acquire a && named.containsKey(a.orgId())
          && named.get(a.orgId()).containsKey(a.callId());
      Map<String, String> before = null;
      List<Event> stepEvents = new ArrayList<>();
      // Under bounds, new calls and orgs too: a refusal must be seen to change nothing.
      boolean mayBeRefused = atBound(command);
      EngineSnapshot snapshotBefore = null;
      if (mayBeRefused || namedId
          || (command instanceof Commands.Release && random.nextBoolean())) {
        engine.advance(now);
        model.tick(now);
        stepEvents.addAll(engine.drainEvents());
        compareEvents("events of time passing", stepEvents);
        if (mayBeRefused) {
          snapshotBefore = Snapshots.capture(engine);
        }
        if (!(command instanceof Commands.PutOrg)) { // a new org is in orgIds before it exists
          before = statuses();
        }
      }
      trace.addLast("step " + step + " now=" + now + " " + command);
      if (trace.size() > 40) {
        trace.removeFirst();
      }

      if (step % 2 == 0 && command instanceof Commands.Command<?> c) {
        engine.readAhead(List.of(c)); // as the loop does; must change nothing
      }
      Map<String, Long> windowsBefore = loginWindows(command);
      int forgottenBefore = model.startsForgotten;
      String expected;
      String actual;
      Results.AcquireResult acquired = null;
      if (command instanceof Commands.Acquire a) {
        expected = model.acquire(a, now);
        acquired = engine.acquire(a, now);
        actual = Render.result(acquired);
        noteAcquire(a, acquired);
      } else if (command instanceof Commands.Release r) {
        expected = model.release(r, now);
        actual = Render.result(engine.release(r, now));
      } else if (command instanceof Commands.Renew r) {
        expected = model.renew(r, now);
        actual = Render.result(engine.renew(r, now));
      } else if (command instanceof Commands.PutOrg p) {
        expected = model.putOrg(p.org(), now);
        actual = Render.result(engine.putOrg(p, now));
        if (actual.startsWith("REJECT RESOURCE_EXHAUSTED")) {
          orgIds.remove(p.org().orgId()); // never created: later commands find no such org
          named.remove(p.org().orgId());
        }
      } else if (command instanceof Commands.SetReservation s) {
        expected = model.setReservation(s, now);
        actual = Render.result(engine.setReservation(s, now));
      } else if (command instanceof Commands.RemoveAgent r) {
        expected = model.removeAgent(r, now);
        actual = Render.result(engine.removeAgent(r, now));
      } else if (command instanceof Commands.SetLoginLimits s) {
        expected = model.setLoginLimits(s, now);
        actual = Render.result(engine.setLoginLimits(s, now));
      } else if (command instanceof Commands.SetNumberLimits s) {
        expected = model.setNumberLimits(s, now);
        actual = Render.result(engine.setNumberLimits(s, now));
      } else {
        model.tick(now);
        engine.advance(now);
        expected = "TICK";
        actual = "TICK";
      }
      trace.addLast(trace.removeLast() + "\n      -> " + actual);
      coverWindowChanges(windowsBefore, loginWindows(command), forgottenBefore);
      check(INVARIANTS_ONLY || expected.equals(actual), () -> "answer differs", expected,
          actual);
      if (command instanceof Commands.Acquire a) {
        checkMessages(a, acquired);
      }
      cover(actual.startsWith("REJECT") || actual.startsWith("RELEASED") ? actual
          : actual.startsWith("GRANTED") || actual.startsWith("HELD")
              ? actual.substring(0, actual.indexOf(' ', actual.indexOf(" retry=") + 1))
              : actual.split(" ")[0]);
      if (actual.startsWith("DENIED")) {
        cover(actual.substring(0, actual.indexOf(" retryAt")));
      }
      if (acquired instanceof Results.Held h && !h.retry()) {
        cover("held " + h.hold().reason());
      }
      if (actual.contains("unknown=[c")) {
        cover("renewed unknown");
      }
      if (actual.startsWith("RENEWED") && !actual.endsWith("held=[]")) {
        cover("renewed held");
      }

      List<Event> events = engine.drainEvents();
      compareEvents("events", events);
      stepEvents.addAll(events);
      Map<String, String> after = statuses();
      boolean noOp = actual.equals("RELEASED NOT_ACTIVE") || actual.contains("retry=true")
          || (command instanceof Commands.Acquire && actual.startsWith("REJECT"));
      if (snapshotBefore != null && actual.startsWith("REJECT RESOURCE_EXHAUSTED")) {
        EngineSnapshot s0 = snapshotBefore;
        EngineSnapshot s1 = Snapshots.capture(engine);
        check(s0.equals(s1), () -> "a refusal over a bound changed the engine", s0, s1);
      }
      if (before != null && noOp) {
        check(before.equals(after), () -> "a no-op changed the org", before, after);
        check(events.isEmpty(), () -> "a no-op caused events", "[]", events);
      }
      Map<String, Results.WatchResult> seen = compareCalls();
      checkInvariants(command, stepEvents, seen);
      checkForgetting();
      lastSeen = seen;
    }

    /** Whether the model's org is at a bound that may refuse {@code command}. */
    boolean atBound(Object command) {
      if (command instanceof Commands.Acquire a) {
        ReferenceModel.MOrg o = model.orgs.get(a.orgId());
        return o != null && ReferenceModel.heldCount(o) >= bounds.maxHeldPerOrg();
      }
      return command instanceof Commands.PutOrg p && !model.orgs.containsKey(p.org().orgId())
          && model.orgs.size() >= bounds.maxOrgs();
    }

    /** The model's window of each login with starts in the org a reconfiguration is about. */
    Map<String, Long> loginWindows(Object command) {
      Map<String, Long> out = new HashMap<>();
      ReferenceModel.MOrg o = command instanceof Commands.PutOrg
          || command instanceof Commands.SetLoginLimits
          ? model.orgs.get(((Commands.Command<?>) command).orgId()) : null;
      if (o != null) {
        for (Map.Entry<String, List<Long>> e : o.loginStarts.entrySet()) {
          if (!e.getValue().isEmpty()) {
            out.put(e.getKey(), ReferenceModel.loginWindow(o, e.getKey()));
          }
        }
      }
      return out;
    }

    void coverWindowChanges(Map<String, Long> before, Map<String, Long> after, int forgotten) {
      before.forEach((login, w) -> {
        Long now = after.get(login);
        if (now != null && now < w) {
          cover("window made shorter");
        } else if (now != null && now > w) {
          cover("window made longer");
        }
      });
      if (model.startsForgotten > forgotten) {
        cover("starts forgotten at a window change");
      }
    }

    void compareEvents(String what, List<Event> events) {
      List<String> actual = new ArrayList<>();
      for (Event e : events) {
        String r = Render.event(e);
        actual.add(r);
        String[] words = r.split(" ");
        cover(e instanceof Event.WaitEnded || e instanceof Event.LeaseEnded
            ? "event " + words[0] + " " + (e instanceof Event.WaitEnded ? words[4] : words[3])
            : "event " + words[0]);
        if (e instanceof Event.Dispatched d) {
          countGrant(d.orgId(), d.callId());
          cover("dispatched " + d.lease().slotKind());
          if (lastSeen.get(d.orgId() + "/" + d.callId()) instanceof Results.Held h) {
            cover("dispatched from " + h.hold().reason());
            if (h.hold().readyAt().isPresent()
                && h.hold().readyAt().getAsLong() == d.lease().grantedAt()) {
              cover(h.hold().reason() == HoldReason.LOGIN_RATE
                  ? "dispatched by a login window rolling" : "dispatched by a number window rolling");
            }
          }
        } else if (e instanceof Event.HoldChanged h) {
          cover("hold changed " + h.hold().reason());
        }
      }
      List<String> expected = new ArrayList<>(model.events);
      model.events.clear();
      check(INVARIANTS_ONLY || expected.equals(actual), () -> what + " differ",
          String.join("\n  ", expected),
          String.join("\n  ", actual));
    }

    Map<String, String> statuses() {
      Map<String, String> out = new LinkedHashMap<>();
      for (String org : orgIds) {
        String expected = model.status(org, model.lastNow);
        Results.StatusResult status = engine.status(org, model.lastNow);
        String actual = Render.status(status);
        check(status instanceof StatusView.Org, () -> "no status for " + org, "a status", status);
        lastStatus.put(org, (StatusView.Org) status);
        check(INVARIANTS_ONLY || expected.equals(actual), () -> "status of " + org + " differs",
            expected, actual);
        out.put(org, actual);
      }
      return out;
    }

    /** Compares every call ever named; returns the engine's view of each. */
    Map<String, Results.WatchResult> compareCalls() {
      Map<String, Results.WatchResult> seen = new HashMap<>();
      for (String org : orgIds) {
        for (String id : named.get(org).keySet()) {
          Results.WatchResult w = engine.watch(org, id, model.lastNow);
          String expected = model.watch(org, id);
          if (expected.equals("REJECT NOT_FOUND call_id") && w instanceof Rejection r
              && r.kind() == Rejection.Kind.NOT_FOUND && r.field().equals("call_id")) {
            continue; // forgotten, as it should be; the common case, so kept cheap
          }
          String actual = Render.watch(w);
          check(INVARIANTS_ONLY || expected.equals(actual),
              () -> "state of " + org + "/" + id + " differs", expected, actual);
          seen.put(org + "/" + id, w);
        }
      }
      String ghost = Render.watch(engine.watch("ghost", "c1", model.lastNow));
      check(ghost.equals("REJECT NOT_FOUND org_id"), () -> "unknown org", "NOT_FOUND", ghost);
      return seen;
    }

    /** Holds and rejections say something; FAILED_PRECONDITION says how the call ended. */
    void checkMessages(Commands.Acquire a, Results.AcquireResult result) {
      if (result instanceof Rejection r) {
        check(!Refusals.text(r).isBlank(), () -> "empty rejection message", "a message", r);
        ReferenceModel.MCall c = model.orgs.containsKey(a.orgId())
            ? model.lookup(model.orgs.get(a.orgId()), a.callId()) : null;
        if (r.kind() == Rejection.Kind.FAILED_PRECONDITION && c != null && c.endReason != null
            && !INVARIANTS_ONLY) {
          String words = Sentences.words(c.endReason);
          check(Refusals.text(r).contains(words), () -> "rejection does not say how the call ended",
              words, Refusals.text(r));
        }
      } else if (result instanceof Results.Held h) {
        check(!Sentences.hold(h.hold()).isBlank(), () -> "empty hold message", "a message", h);
      }
    }

    void noteAcquire(Commands.Acquire a, Results.AcquireResult result) {
      String key = a.orgId() + "/" + a.callId();
      boolean fresh = result instanceof Results.Granted g ? !g.retry()
          : result instanceof Results.Held h ? !h.retry()
          : result instanceof Results.Denied;
      if (fresh) {
        if (arrival.containsKey(key)) {
          cover("id reused after forgotten");
        }
        grantsOfIncarnation.put(key, 0);
        arrival.put(key, arrivals++);
        named.get(a.orgId()).put(a.callId(), a); // an id reused after it was forgotten
      }
      if (result instanceof Results.Granted g && !g.retry()) {
        countGrant(a.orgId(), a.callId());
      }
    }

    void countGrant(String org, String id) {
      int n = grantsOfIncarnation.merge(org + "/" + id, 1, Integer::sum);
      check(n == 1, () -> "call granted twice: " + org + "/" + id, "1", n);
    }

    // ---- Invariants on the engine's own output ---------------------------------------------

    void checkInvariants(
        Object command, List<Event> events, Map<String, Results.WatchResult> seen) {
      boolean reconfiguration = command instanceof Commands.PutOrg
          || command instanceof Commands.SetReservation
          || command instanceof Commands.RemoveAgent
          || command instanceof Commands.SetLoginLimits
          || command instanceof Commands.SetNumberLimits;
      Set<String> holdChanged = new HashSet<>();
      List<Results.Lease> grants = new ArrayList<>();
      for (Event e : events) {
        if (e instanceof Event.HoldChanged h) {
          holdChanged.add(h.orgId() + "/" + h.callId());
        } else if (e instanceof Event.Dispatched d) {
          grants.add(d.lease());
        }
      }
      for (String org : orgIds) {
        StatusView.Org s = lastStatus.get(org);
        checkPool(org, s, reconfiguration, grants);
        checkCounts(org, s, seen);
        checkHeldAreBlocked(org, s, seen);
      }
      checkFifo(events, holdChanged, seen);
    }

    /** In use ≤ limit, and shared in use ≤ shared capacity, except after a reduction. */
    void checkPool(String org, StatusView.Org s, boolean reconfiguration,
        List<Results.Lease> dispatched) {
      boolean over = s.sharedInUse() > s.sharedCapacity();
      boolean wasOver = overLimitAfterReduction.getOrDefault(org, false);
      if (!reconfiguration && !wasOver) {
        check(!over && s.inUse() <= s.limit(), () -> "over the limit without a reduction in " + org,
            "in use ≤ limit", s);
      }
      if (!reconfiguration) {
        for (Results.Lease l : dispatched) {
          if (l.orgId().equals(org) && l.slotKind() == SlotKind.SHARED) {
            check(!over, () -> "a shared slot was granted while shared is over capacity in " + org,
                "shared in use ≤ capacity", s);
          }
        }
      }
      if (over) {
        cover("over capacity after a reduction");
      }
      overLimitAfterReduction.put(org, over);
    }

    /** No call lost or counted twice: the calls' own states add up to the org's counters. */
    void checkCounts(String org, StatusView.Org s, Map<String, Results.WatchResult> seen) {
      int active = 0;
      int held = 0;
      int withoutAgent = 0;
      Map<String, Integer> byPair = new HashMap<>();
      for (String id : named.get(org).keySet()) {
        Results.WatchResult w = seen.get(org + "/" + id);
        if (w instanceof Results.Granted g) {
          active++;
          if (g.lease().agentId().isEmpty()) {
            withoutAgent++;
          } else {
            byPair.merge(g.lease().agentId() + "|" + g.lease().callType(), 1, Integer::sum);
          }
        } else if (w instanceof Results.Held) {
          held++;
        }
      }
      check(active == s.inUse(), () -> "in use is not the number of running calls in " + org,
          active, s.inUse());
      check(held == s.queued(), () -> "queued is not the number of held calls in " + org,
          held, s.queued());
      Map<String, Integer> reserved = new HashMap<>();
      for (StatusView.Agent a : s.agents()) {
        for (StatusView.AgentType t : a.types()) {
          int n = byPair.getOrDefault(a.agentId() + "|" + t.type(), 0);
          check(n == t.active(), () -> "agent line miscounts " + a.agentId() + " " + t.type(),
              n, t);
          reserved.put(a.agentId() + "|" + t.type(), t.reserved());
        }
      }
      // Accounting by count: each (agent, type) uses max(0, running − reserved) shared slots.
      int shared = withoutAgent;
      for (Map.Entry<String, Integer> e : byPair.entrySet()) {
        check(reserved.containsKey(e.getKey()), () -> "agent with running calls not listed",
            e.getKey(), s.agents());
        shared += Math.max(0, e.getValue() - reserved.getOrDefault(e.getKey(), 0));
      }
      check(shared == s.sharedInUse(), () -> "shared in use is not counted by count in " + org,
          shared, s);
    }

    /**
     * Every held call is really blocked: a pool-held call's agent is at or over its reservation
     * for that type (a reservation is always honoured) and the shared pool is full; a login-held
     * call's login is at one of its limits; a number-held call's number at one of its caps.
     */
    void checkHeldAreBlocked(String org, StatusView.Org s, Map<String, Results.WatchResult> seen) {
      for (String id : named.get(org).keySet()) {
        if (!(seen.get(org + "/" + id) instanceof Results.Held h)) {
          continue;
        }
        Commands.Acquire a = named.get(org).get(id);
        if (h.hold().reason() == HoldReason.ORG_POOL_FULL) {
          int reserved = 0;
          int active = 0;
          for (StatusView.Agent agent : s.agents()) {
            for (StatusView.AgentType t : agent.types()) {
              if (agent.agentId().equals(a.agentId()) && t.type() == a.callType()) {
                reserved = t.reserved();
                active = t.active();
              }
            }
          }
          check(active >= reserved, () -> org + "/" + id + " is held though its agent is under its "
              + a.callType() + " reservation", "active ≥ reserved", active + " < " + reserved);
          check(s.sharedInUse() >= s.sharedCapacity(),
              () -> org + "/" + id + " is held though shared slots are free", "shared full",
              s);
        } else if (h.hold().reason() == HoldReason.LOGIN_CONCURRENCY
            || h.hold().reason() == HoldReason.LOGIN_RATE) {
          // Either limit: a waiter behind the login's oldest keeps its first hold reason until it
          // reaches the front, while the login stays full.
          boolean atLimit = false;
          for (StatusView.LoginLine line : s.logins()) {
            if (line.loginId().equals(a.loginId())) {
              atLimit = (line.maxConcurrent() > 0 && line.active() >= line.maxConcurrent())
                  || (line.maxPerWindow() > 0 && line.lastWindow() >= line.maxPerWindow());
            }
          }
          check(atLimit, () -> org + "/" + id + " is held though its login has room", "login full",
              s.logins());
        } else if (h.hold().reason() == HoldReason.NUMBER_CONCURRENCY
            || h.hold().reason() == HoldReason.NUMBER_RATE) {
          boolean atLimit = false;
          for (StatusView.NumberLine line : s.numbers()) {
            if (line.number().equals(a.fromNumber())) {
              atLimit = (line.maxConcurrent() > 0 && line.active() >= line.maxConcurrent())
                  || (line.maxPerHour() > 0 && line.lastHour() >= line.maxPerHour());
            }
          }
          check(atLimit, () -> org + "/" + id + " is held though its number has room",
              "number full", s.numbers());
        }
      }
    }

    /**
     * FIFO among eligible waiters: a call dispatched in this step never passed an older call that
     * waited for the pool all along and could have used the same slot (any shared slot, or a
     * reserved slot of its own agent and type).
     */
    void checkFifo(List<Event> events, Set<String> holdChanged,
        Map<String, Results.WatchResult> seen) {
      for (Event e : events) {
        if (!(e instanceof Event.Dispatched d)) {
          continue;
        }
        String dKey = d.orgId() + "/" + d.callId();
        Long dArrival = arrival.get(dKey);
        for (Map.Entry<String, Results.WatchResult> w : seen.entrySet()) {
          String wKey = w.getKey();
          if (!wKey.startsWith(d.orgId() + "/") || holdChanged.contains(wKey)
              || !(w.getValue() instanceof Results.Held now)
              || !(lastSeen.get(wKey) instanceof Results.Held before)
              || now.hold().reason() != HoldReason.ORG_POOL_FULL
              || before.hold().reason() != HoldReason.ORG_POOL_FULL
              || arrival.get(wKey) >= dArrival) {
            continue;
          }
          Commands.Acquire wa = named.get(d.orgId()).get(wKey.substring(d.orgId().length() + 1));
          boolean samePair = wa.agentId().equals(d.lease().agentId())
              && wa.callType() == d.lease().callType();
          check(d.lease().slotKind() == SlotKind.RESERVED && !samePair,
              () -> "FIFO: " + d.callId() + " got a " + d.lease().slotKind() + " slot before older "
                  + wKey, "older first", d);
        }
      }
    }

    /** Fails naming the seed; the descriptions are built only then. */
    void check(boolean ok, Supplier<String> what, Object expected, Object actual) {
      if (!ok) {
        fail("seed " + seed + ", step " + step + ": " + what.get()
            + "\n  expected: " + expected + "\n  actual:   " + actual
            + "\nlast steps:\n  " + String.join("\n  ", trace)
            + "\nreplay: -DengineModel.seed=" + seed + " -DengineModel.steps=" + step);
      }
    }
  }

  /** The engine's answers in the model's words; messages are left out (checked elsewhere). */
  static final class Render {
    private Render() {}

    static String lease(Results.Lease l) {
      return "lease(" + l.orgId() + " " + l.callId() + " " + l.agentId() + " " + l.callType() + " "
          + l.loginId() + " " + l.slotKind() + " granted=" + l.grantedAt() + " expires="
          + l.expiresAt() + " ttl=" + l.ttlMillis() + ")";
    }

    static String hold(Results.Hold h) {
      return "hold(" + h.reason() + " pos=" + h.position() + " since=" + h.heldSince() + " wait="
          + (h.waitDeadline().isPresent() ? String.valueOf(h.waitDeadline().getAsLong()) : "-")
          + " ready=" + (h.readyAt().isPresent() ? String.valueOf(h.readyAt().getAsLong()) : "-")
          + ")";
    }

    static String ended(Results.Ended e) {
      return "ENDED " + e.reason() + " since=" + e.heldSince() + " at=" + e.endedAt() + " lease="
          + (e.lease() != null ? lease(e.lease()) : "-") + " denial="
          + (e.denial() != null ? e.denial().reason() + " retryAt=" + e.denial().retryAt() : "-");
    }

    static String rejection(Rejection r) {
      return "REJECT " + r.kind() + " " + r.field();
    }

    static String result(Object r) {
      if (r instanceof Results.Granted g) {
        return "GRANTED retry=" + g.retry() + " " + lease(g.lease());
      } else if (r instanceof Results.Held h) {
        return "HELD retry=" + h.retry() + " " + hold(h.hold());
      } else if (r instanceof Results.Denied d) {
        return "DENIED " + d.denial().reason() + " retryAt=" + d.denial().retryAt();
      } else if (r instanceof Rejection x) {
        return rejection(x);
      } else if (r instanceof Results.Released rel) {
        return "RELEASED " + rel.effect();
      } else if (r instanceof Results.Renewed rn) {
        return "RENEWED " + rn.leases().stream().map(Render::lease).toList() + " unknown="
            + rn.unknownCallIds() + " held=" + rn.heldCallIds();
      } else if (r instanceof Results.OrgView v) {
        return "ORG " + v.config().orgId() + " created=" + v.created() + " limit="
            + v.config().concurrencyLimit();
      } else if (r instanceof Results.ReservationChanged c) {
        return "RESERVED " + c.reservation().agentId() + " " + c.reservation().callType() + " "
            + c.reservation().slots() + " total=" + c.reservedTotal() + " shared="
            + c.sharedCapacity();
      } else if (r instanceof Results.AgentRemoved a) {
        return "REMOVED freed=" + a.freedSlots() + " shared=" + a.sharedCapacity();
      } else if (r instanceof Results.LoginLimitsChanged l) {
        return "LOGINLIMITS max=" + l.effective().maxConcurrent() + " pw="
            + l.effective().maxPerWindow() + " win=" + l.effective().windowMillis();
      } else if (r instanceof Results.NumberLimitsChanged n) {
        return "NUMBERLIMITS day=" + n.effective().maxPerDay() + " hour="
            + n.effective().maxPerHour() + " conc=" + n.effective().maxConcurrent();
      }
      return "UNEXPECTED " + r;
    }

    static String watch(Results.WatchResult w) {
      return w instanceof Results.Ended e ? ended(e) : result(w);
    }

    static String event(Event e) {
      String who = " call(" + e.call().agentId() + " " + e.call().callType() + " "
          + e.call().loginId() + " " + e.call().fromNumber() + ")";
      return eventWithout(e) + who;
    }

    private static String eventWithout(Event e) {
      if (e instanceof Event.Dispatched d) {
        return "DISPATCHED " + d.orgId() + " " + d.callId() + " since=" + d.heldSince() + " "
            + lease(d.lease());
      } else if (e instanceof Event.HoldChanged h) {
        return "HOLDCHANGED " + h.orgId() + " " + h.callId() + " " + hold(h.hold());
      } else if (e instanceof Event.WaitEnded w) {
        return "WAITENDED " + w.orgId() + " " + w.callId() + " " + ended(w.ended());
      } else if (e instanceof Event.LeaseEnded l) {
        return "LEASEENDED " + l.orgId() + " " + l.callId() + " " + l.reason() + " at=" + l.at()
            + " " + lease(l.lease());
      }
      return "UNEXPECTED " + e;
    }

    static String status(Results.StatusResult r) {
      if (!(r instanceof StatusView.Org s)) {
        return "UNEXPECTED " + r;
      }
      StringBuilder b = new StringBuilder();
      b.append("limit=").append(s.limit()).append(" inUse=").append(s.inUse())
          .append(" sharedCap=").append(s.sharedCapacity()).append(" sharedInUse=")
          .append(s.sharedInUse()).append(" queued=").append(s.queued()).append(" byReason=")
          .append(java.util.Arrays.toString(s.heldByReason())).append(" agents=[");
      for (StatusView.Agent a : s.agents()) {
        b.append(a.agentId()).append("{");
        for (StatusView.AgentType t : a.types()) {
          b.append(t.type()).append(':').append(t.reserved()).append('/').append(t.active())
              .append('/').append(t.usingReserved()).append('/').append(t.usingShared())
              .append(' ');
        }
        b.append("r=").append(a.usingReserved()).append(" s=").append(a.usingShared())
            .append(" t=").append(a.reservedTotal()).append("} ");
      }
      b.append("] logins=[");
      for (StatusView.LoginLine l : s.logins()) {
        if (l.active() > 0 || l.queued() > 0 || l.lastWindow() > 0) {
          b.append(l.loginId()).append(':').append(l.active()).append('/')
              .append(l.maxConcurrent()).append('/').append(l.lastWindow()).append('/')
              .append(l.maxPerWindow()).append('/').append(l.windowMillis()).append('/')
              .append(l.queued()).append(' ');
        }
      }
      b.append("] numbers=[");
      for (StatusView.NumberLine n : s.numbers()) {
        if (n.active() > 0 || n.queued() > 0 || n.lastHour() > 0 || n.today() > 0) {
          b.append(n.number()).append(':').append(n.active()).append('/')
              .append(n.maxConcurrent()).append('/').append(n.lastHour()).append('/')
              .append(n.maxPerHour()).append('/').append(n.today()).append('/')
              .append(n.maxPerDay()).append('/').append(n.queued()).append(' ');
        }
      }
      b.append("] daily=").append(s.daily().used()).append('/').append(s.daily().cap())
          .append('@').append(s.daily().resetsAt());
      return b.toString();
    }
  }
}
