package io.admission.server.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A deliberately naive reference model of the org pool for {@link EngineModelTest}: plain lists,
 * and every question answered by scanning all calls. It shares no code with the engine; it
 * follows the rules as stated:
 *
 * <ul>
 *   <li>checks in order: login concurrency, login rate window, number concurrency, number rate
 *       (rolling hour) (all held), org pool — own reservation for (agent, type), else the shared
 *       remainder (held), daily cap on outbound calls, number daily cap (denied);
 *   <li>pool use is by count: a pair running n with r reserved uses max(0, n − r) shared slots;
 *   <li>after anything happens, and as long as one exists, the oldest held call whose blocker
 *       (its login, its number, or its pool slot) has room now is re-checked from the first rule;
 *   <li>a login or number that changed (a call of it ended, its limits changed, or it wakes at the
 *       earliest ready_at it gave) re-checks its oldest waiter, whose hold may change; waiters
 *       behind it keep their hold until they reach the front;
 *   <li>timers fire at their own instants; at one instant every lease expiry and window roll
 *       happens first, then waiters are re-checked, oldest first, over all that freed, and only
 *       then do the max_waits passing at that instant end the calls still held;
 *   <li>ended calls are remembered for ten minutes, then their ids are free again.
 * </ul>
 *
 * <p>Login rate windows and caller numbers: every counted start is kept in a list and a window
 * counts those with start &gt; now − window; a rate hold is ready when the start that must leave
 * does. When a login's window changes (its own limits, or the org's login defaults), the starts
 * that have already left the old window are struck from its list at that moment: a window made
 * longer counts only the starts still inside the previous one when it changed. Time passing steps through every moment at which something may change — lease expiries,
 * max_wait deadlines, window exits — in time order. After a re-check, the oldest waiter of every
 * login and number is re-checked too, so that its hold (reason, ready_at) is current.
 * Answers are rendered as strings in the format of {@link EngineModelTest.Render}.
 */
final class ReferenceModel {
  static final long REMEMBER = 10 * 60_000L;
  static final long DAY = 86_400_000L;
  static final long FALLBACK_TTL = 3_600_000L;

  enum St {
    HELD,
    ACTIVE,
    ENDED
  }

  static final class MCall {
    final String org;
    final String id;
    final String agent;
    final CallType type;
    final String login;
    final String number;
    final long ttlAsked;
    final long maxWait;
    final long seq;
    St state;
    HoldReason reason;
    long readyAt = -1;
    DenialReason denial;
    long heldSince = -1;
    long waitDeadline = -1;
    SlotKind slot;
    long grantedAt;
    long ttl;
    long expiresAt;
    EndReason endReason;
    long endedAt;
    long retryAt = -1; // set when denied

    MCall(Commands.Acquire a, long seq) {
      this.org = a.orgId();
      this.id = a.callId();
      this.agent = a.agentId();
      this.type = a.callType();
      this.login = a.loginId();
      this.number = a.fromNumber();
      this.ttlAsked = a.leaseTtlMillis();
      this.maxWait = a.maxWaitMillis();
      this.seq = seq;
    }

    boolean same(Commands.Acquire a) {
      return agent.equals(a.agentId()) && type == a.callType() && login.equals(a.loginId())
          && number.equals(a.fromNumber()) && ttlAsked == a.leaseTtlMillis()
          && maxWait == a.maxWaitMillis();
    }
  }

  static final class MOrg {
    final String id;
    int limit;
    long defaultTtl; // 0: none
    int loginDefaultMax; // 0: no limit
    int dailyCap; // 0: none
    /** Calling hours as {weekday 1-7, start minute, end minute}, in UTC; empty: none. */
    List<int[]> hours = new ArrayList<>();
    Set<CallType> hoursRestrict = new TreeSet<>();
    int loginDefaultPerWindow; // 0: no limit
    long loginDefaultWindow;
    /** Org number defaults; 0: no cap. */
    int numberDefaultDay;
    int numberDefaultHour;
    int numberDefaultConc;
    /** login → its own limits as set (fields left empty inherit). */
    final Map<String, LoginLimits> loginOwn = new TreeMap<>();
    /** number → its own caps as set. */
    final Map<String, NumberLimits> numberOwn = new TreeMap<>();
    /** Every counted start: "login" → grant instants; "number" → grant instants. */
    final Map<String, List<Long>> loginStarts = new TreeMap<>();
    final Map<String, List<Long>> numberStarts = new TreeMap<>();
    /**
     * "login X" or "number Y" → the earliest ready_at given to a call held by it since it last
     * woke: at that moment it is looked at again (its oldest waiter re-checked).
     */
    final Map<String, Long> wake = new TreeMap<>();
    /** Logins and numbers whose oldest waiter is re-checked at the next settle. */
    final Set<String> touched = new TreeSet<>();
    /** "agent|TYPE" → reserved slots. */
    final Map<String, Integer> reserved = new TreeMap<>();
    /** login → its own max concurrent; absent: the org default. */
    /** Calls not yet forgotten, in arrival order. */
    final List<MCall> calls = new ArrayList<>();
    /** Grant instants of outbound calls: what the daily cap counts. */
    final List<Long> outboundGrants = new ArrayList<>();

    MOrg(String id) {
      this.id = id;
    }
  }

  final Map<String, MOrg> orgs = new TreeMap<>();
  final List<String> events = new ArrayList<>();
  /** How many starts window changes struck, for the test's coverage count. */
  int startsForgotten;
  long lastNow = Long.MIN_VALUE;
  private long nextSeq;
  /** The server's bounds: orgs, and held calls per org (an Acquire that would be held). */
  int maxOrgs = Integer.MAX_VALUE;
  int maxHeldPerOrg = Integer.MAX_VALUE;

  // ---- Scans ------------------------------------------------------------------------------

  static String key(String agent, CallType type) {
    return agent + "|" + type;
  }

  static int reserved(MOrg o, String agent, CallType type) {
    return o.reserved.getOrDefault(key(agent, type), 0);
  }

  static int reservedTotal(MOrg o) {
    int sum = 0;
    for (int r : o.reserved.values()) {
      sum += r;
    }
    return sum;
  }

  static int sharedCapacity(MOrg o) {
    return o.limit - reservedTotal(o);
  }

  static int active(MOrg o, String agent, CallType type) {
    int n = 0;
    for (MCall c : o.calls) {
      if (c.state == St.ACTIVE && c.agent.equals(agent) && c.type == type) {
        n++;
      }
    }
    return n;
  }

  static int inUse(MOrg o) {
    int n = 0;
    for (MCall c : o.calls) {
      if (c.state == St.ACTIVE) {
        n++;
      }
    }
    return n;
  }

  /** Every (agent, type) that has a reservation or a running call, in a stable order. */
  static TreeSet<String> pairs(MOrg o) {
    TreeSet<String> keys = new TreeSet<>(o.reserved.keySet());
    for (MCall c : o.calls) {
      if (c.state == St.ACTIVE) {
        keys.add(key(c.agent, c.type));
      }
    }
    return keys;
  }

  static int sharedInUse(MOrg o) {
    Map<String, Integer> activeByPair = new TreeMap<>();
    for (MCall c : o.calls) {
      if (c.state == St.ACTIVE) {
        activeByPair.merge(key(c.agent, c.type), 1, Integer::sum);
      }
    }
    int shared = 0;
    for (Map.Entry<String, Integer> e : activeByPair.entrySet()) {
      shared += Math.max(0, e.getValue() - o.reserved.getOrDefault(e.getKey(), 0));
    }
    return shared;
  }

  static boolean fits(MOrg o, String agent, CallType type) {
    return active(o, agent, type) < reserved(o, agent, type) || sharedInUse(o) < sharedCapacity(o);
  }

  static int loginMax(MOrg o, String login) {
    LoginLimits own = o.loginOwn.get(login);
    return own != null && own.maxConcurrent().isPresent() ? own.maxConcurrent().getAsInt()
        : o.loginDefaultMax;
  }

  static int loginPerWindow(MOrg o, String login) {
    LoginLimits own = o.loginOwn.get(login);
    return own != null && own.maxPerWindow().isPresent() ? own.maxPerWindow().getAsInt()
        : o.loginDefaultPerWindow;
  }

  static long loginWindow(MOrg o, String login) {
    LoginLimits own = o.loginOwn.get(login);
    return own != null && own.windowMillis().isPresent() ? own.windowMillis().getAsLong()
        : o.loginDefaultWindow;
  }

  static int numberDay(MOrg o, String n) {
    NumberLimits own = o.numberOwn.get(n);
    return own != null && own.maxPerDay().isPresent() ? own.maxPerDay().getAsInt()
        : o.numberDefaultDay;
  }

  static int numberHour(MOrg o, String n) {
    NumberLimits own = o.numberOwn.get(n);
    return own != null && own.maxPerHour().isPresent() ? own.maxPerHour().getAsInt()
        : o.numberDefaultHour;
  }

  static int numberConc(MOrg o, String n) {
    NumberLimits own = o.numberOwn.get(n);
    return own != null && own.maxConcurrent().isPresent() ? own.maxConcurrent().getAsInt()
        : o.numberDefaultConc;
  }

  /** The starts of a list inside the window ending at now, oldest first. */
  static List<Long> inWindow(List<Long> starts, long window, long now) {
    List<Long> in = new ArrayList<>();
    if (starts != null) {
      for (long s : starts) {
        if (s > now - window) {
          in.add(s);
        }
      }
    }
    in.sort(null);
    return in;
  }

  static List<Long> loginIn(MOrg o, String login, long now) {
    return inWindow(o.loginStarts.get(login), loginWindow(o, login), now);
  }

  static List<Long> numberIn(MOrg o, String n, long now) {
    return inWindow(o.numberStarts.get(n), HOUR, now);
  }

  static final long HOUR = 3_600_000L;

  /** Remembers each login's window before a reconfiguration; see {@link #windowsChanged}. */
  static Map<String, Long> windowsOf(MOrg o) {
    Map<String, Long> out = new TreeMap<>();
    for (String login : o.loginStarts.keySet()) {
      out.put(login, loginWindow(o, login));
    }
    return out;
  }

  /** A login whose window changed forgets the starts that had left the old one by now. */
  void windowsChanged(MOrg o, Map<String, Long> before, long now) {
    for (Map.Entry<String, Long> e : before.entrySet()) {
      long old = e.getValue();
      if (loginWindow(o, e.getKey()) != old) {
        List<Long> starts = o.loginStarts.get(e.getKey());
        int had = starts.size();
        starts.removeIf(s -> s + old <= now);
        startsForgotten += had - starts.size();
      }
    }
  }

  static boolean loginRateFull(MOrg o, String login, long now) {
    int max = loginPerWindow(o, login);
    return max > 0 && loginIn(o, login, now).size() >= max;
  }

  static int numberActive(MOrg o, String n) {
    int k = 0;
    for (MCall c : o.calls) {
      if (c.state == St.ACTIVE && c.number.equals(n)) {
        k++;
      }
    }
    return k;
  }

  static boolean numberConcFull(MOrg o, String n) {
    int max = numberConc(o, n);
    return max > 0 && numberActive(o, n) >= max;
  }

  static boolean numberRateFull(MOrg o, String n, long now) {
    int max = numberHour(o, n);
    return max > 0 && numberIn(o, n, now).size() >= max;
  }

  static int numberToday(MOrg o, String n, long now) {
    int k = 0;
    for (long at : o.numberStarts.getOrDefault(n, List.of())) {
      if (Math.floorDiv(at, DAY) == Math.floorDiv(now, DAY)) {
        k++;
      }
    }
    return k;
  }

  static int loginActive(MOrg o, String login) {
    int n = 0;
    for (MCall c : o.calls) {
      if (c.state == St.ACTIVE && c.login.equals(login)) {
        n++;
      }
    }
    return n;
  }

  static boolean loginConcFull(MOrg o, String login) {
    int max = loginMax(o, login);
    return max > 0 && loginActive(o, login) >= max;
  }

  static boolean loginHasRoom(MOrg o, String login, long now) {
    return !loginConcFull(o, login) && !loginRateFull(o, login, now);
  }

  static boolean numberHasRoom(MOrg o, String n, long now) {
    return !numberConcFull(o, n) && !numberRateFull(o, n, now);
  }

  static int dailyUsed(MOrg o, long now) {
    int n = 0;
    for (long at : o.outboundGrants) {
      if (Math.floorDiv(at, DAY) == Math.floorDiv(now, DAY)) {
        n++;
      }
    }
    return n;
  }

  static long dayEnd(long now) {
    return (Math.floorDiv(now, DAY) + 1) * DAY;
  }

  static int position(MOrg o, MCall call) {
    int p = 1;
    for (MCall c : o.calls) {
      if (c.state == St.HELD && c.seq < call.seq) {
        p++;
      }
    }
    return p;
  }

  MCall lookup(MOrg o, String id) {
    MCall found = null;
    for (MCall c : o.calls) {
      if (c.id.equals(id)) {
        if (found != null) {
          throw new AssertionError("model holds two calls " + id);
        }
        found = c;
      }
    }
    return found;
  }

  // ---- Time -------------------------------------------------------------------------------

  /** The last moment time has been stepped through. */
  long clock = Long.MIN_VALUE;

  long advance(long now) {
    now = Math.max(now, lastNow);
    lastNow = now;
    if (clock == Long.MIN_VALUE) {
      clock = now;
    }
    while (true) {
      // The next moment at which anything may change: a lease expiry, a max_wait, a window exit.
      long at = Long.MAX_VALUE;
      for (MOrg o : orgs.values()) {
        for (MCall c : o.calls) {
          if (c.state == St.ACTIVE) {
            at = Math.min(at, c.expiresAt);
          } else if (c.state == St.HELD && c.waitDeadline >= 0) {
            at = Math.min(at, c.waitDeadline);
          }
        }
        for (Map.Entry<String, List<Long>> e : o.loginStarts.entrySet()) {
          long w = loginWindow(o, e.getKey());
          for (long s : e.getValue()) {
            if (s + w > clock) {
              at = Math.min(at, s + w);
            }
          }
        }
        for (List<Long> starts : o.numberStarts.values()) {
          for (long s : starts) {
            if (s + HOUR > clock) {
              at = Math.min(at, s + HOUR);
            }
          }
        }
        for (long w : o.wake.values()) {
          at = Math.min(at, w);
        }
      }
      if (at > now) {
        break;
      }
      clock = Math.max(clock, at);
      // At one instant: every lease expiry (in arrival order) and window roll; then, once, the
      // re-checks over all they freed (FIFO among them); only then the max_waits passing now, so
      // a call still waiting when its slot frees gets it.
      for (int kind = 0; kind < 2; kind++) {
        while (true) {
          MCall next = null;
          for (MOrg o : orgs.values()) {
            for (MCall c : o.calls) {
              long due = kind == 0
                  ? (c.state == St.ACTIVE ? c.expiresAt : Long.MAX_VALUE)
                  : (c.state == St.HELD && c.waitDeadline >= 0 ? c.waitDeadline : Long.MAX_VALUE);
              if (due <= at && (next == null || c.seq < next.seq)) {
                next = c;
              }
            }
          }
          if (next == null) {
            break;
          }
          MOrg o = orgs.get(next.org);
          if (kind == 0) {
            endActive(o, next, EndReason.EXPIRED, at);
          } else {
            endHeld(o, next, EndReason.WAIT_EXPIRED, at);
          }
        }
        if (kind == 0) {
          for (MOrg o : orgs.values()) {
            for (String b : new ArrayList<>(o.wake.keySet())) {
              if (o.wake.get(b) <= at) {
                o.wake.remove(b);
                o.touched.add(b);
              }
            }
          }
          settleAll(at);
        }
      }
      settleAll(at);
    }
    clock = now;
    for (MOrg o : orgs.values()) {
      o.calls.removeIf(c -> c.state == St.ENDED && c.endedAt + REMEMBER <= lastNow);
    }
    return now;
  }

  // ---- Deciding ---------------------------------------------------------------------------

  /** null: pass; else the hold reason, or the denial reason. */
  private static Object evaluate(MOrg o, MCall c, long now) {
    if (!c.login.isEmpty() && loginConcFull(o, c.login)) {
      return HoldReason.LOGIN_CONCURRENCY;
    }
    if (!c.login.isEmpty() && loginRateFull(o, c.login, now)) {
      return HoldReason.LOGIN_RATE;
    }
    if (!c.number.isEmpty() && numberConcFull(o, c.number)) {
      return HoldReason.NUMBER_CONCURRENCY;
    }
    if (!c.number.isEmpty() && numberRateFull(o, c.number, now)) {
      return HoldReason.NUMBER_RATE;
    }
    if (!fits(o, c.agent, c.type)) {
      return HoldReason.ORG_POOL_FULL;
    }
    if (!o.hours.isEmpty() && o.hoursRestrict.contains(c.type) && !openAt(o, now)) {
      return DenialReason.CALLING_HOURS;
    }
    if (o.dailyCap > 0 && c.type == CallType.OUTBOUND && dailyUsed(o, now) >= o.dailyCap) {
      return DenialReason.DAILY_CAP;
    }
    if (!c.number.isEmpty() && numberDay(o, c.number) > 0
        && numberToday(o, c.number, now) >= numberDay(o, c.number)) {
      return DenialReason.NUMBER_DAILY_CAP;
    }
    return null;
  }

  /** Whether the org's calling hours are open at {@code t}: its UTC weekday and minute, read plainly. */
  static boolean openAt(MOrg o, long t) {
    int weekday = (int) Math.floorMod(Math.floorDiv(t, DAY) + 3, 7L) + 1; // 1970-01-01 was a Thursday
    int minute = (int) (Math.floorMod(t, DAY) / 60_000L);
    for (int[] w : o.hours) {
      if (w[0] == weekday && w[1] <= minute && minute < w[2]) {
        return true;
      }
    }
    return false;
  }

  /** The next opening after {@code now}, found minute by minute. */
  static long nextOpening(MOrg o, long now) {
    long t = Math.floorDiv(now, 60_000L) * 60_000L + 60_000L;
    while (!openAt(o, t)) {
      t += 60_000L;
    }
    return t;
  }

  /** When a rate hold can pass: the moment the start that must leave the window does. */
  private static long readyAt(MOrg o, MCall c, HoldReason reason, long now) {
    if (reason == HoldReason.LOGIN_RATE) {
      List<Long> in = loginIn(o, c.login, now);
      return in.get(in.size() - loginPerWindow(o, c.login)) + loginWindow(o, c.login);
    } else if (reason == HoldReason.NUMBER_RATE) {
      List<Long> in = numberIn(o, c.number, now);
      return in.get(in.size() - numberHour(o, c.number)) + HOUR;
    }
    return -1;
  }

  private void grant(MOrg o, MCall c, long now) {
    c.slot = active(o, c.agent, c.type) < reserved(o, c.agent, c.type)
        ? SlotKind.RESERVED : SlotKind.SHARED;
    c.state = St.ACTIVE;
    c.grantedAt = now;
    c.ttl = c.ttlAsked > 0 ? c.ttlAsked : o.defaultTtl > 0 ? o.defaultTtl : FALLBACK_TTL;
    c.expiresAt = now + c.ttl;
    if (c.type == CallType.OUTBOUND) {
      o.outboundGrants.add(now);
    }
    if (!c.login.isEmpty()) {
      o.loginStarts.computeIfAbsent(c.login, k -> new ArrayList<>()).add(now);
    }
    if (!c.number.isEmpty()) {
      o.numberStarts.computeIfAbsent(c.number, k -> new ArrayList<>()).add(now);
    }
  }

  private void deny(MCall c, DenialReason reason, long now) {
    c.denial = reason;
    c.retryAt = reason == DenialReason.CALLING_HOURS ? nextOpening(orgs.get(c.org), now) : dayEnd(now);
    end(c, EndReason.DENIED, now);
  }

  private static void end(MCall c, EndReason reason, long now) {
    c.state = St.ENDED;
    c.endReason = reason;
    c.endedAt = now;
  }

  private void endActive(MOrg o, MCall c, EndReason reason, long now) {
    end(c, reason, now);
    o.touched.add("login " + c.login);
    o.touched.add("number " + c.number);
    events.add("LEASEENDED " + o.id + " " + c.id + " " + reason + " at=" + now + " " + lease(c)
        + who(c));
  }

  private void endHeld(MOrg o, MCall c, EndReason reason, long now) {
    end(c, reason, now);
    events.add("WAITENDED " + o.id + " " + c.id + " " + ended(c) + who(c));
  }

  /** Whether what holds {@code c} has room now. */
  private static boolean blockerHasRoom(MOrg o, MCall c, long now) {
    return switch (c.reason) {
      case LOGIN_CONCURRENCY, LOGIN_RATE -> loginHasRoom(o, c.login, now);
      case NUMBER_CONCURRENCY, NUMBER_RATE -> numberHasRoom(o, c.number, now);
      default -> fits(o, c.agent, c.type);
    };
  }

  /** The login or number a held call waits on, or null for the pool. */
  private static String blockerOf(MCall c) {
    return switch (c.reason) {
      case LOGIN_CONCURRENCY, LOGIN_RATE -> "login " + c.login;
      case NUMBER_CONCURRENCY, NUMBER_RATE -> "number " + c.number;
      default -> null;
    };
  }

  private static void wakeAt(MOrg o, String blocker, long ready) {
    if (ready >= 0) {
      o.wake.merge(blocker, ready, Math::min);
    }
  }

  /** Re-checks a held call from the first rule; returns whether it is held again. */
  private boolean recheck(MOrg o, MCall next, long now) {
    Object v = evaluate(o, next, now);
    if (v == null) {
      grant(o, next, now);
      events.add("DISPATCHED " + o.id + " " + next.id + " since=" + next.heldSince + " "
          + lease(next) + who(next));
      return false;
    } else if (v instanceof DenialReason d) {
      deny(next, d, now);
      events.add("WAITENDED " + o.id + " " + next.id + " " + ended(next) + who(next));
      return false;
    }
    HoldReason reason = (HoldReason) v;
    long ready = readyAt(o, next, reason, now);
    wakeAt(o, reason == HoldReason.LOGIN_RATE ? "login " + next.login
        : "number " + next.number, ready);
    if (reason != next.reason || ready != next.readyAt) {
      next.reason = reason;
      next.readyAt = ready;
      events.add("HOLDCHANGED " + o.id + " " + next.id + " " + hold(o, next) + who(next));
    }
    return true;
  }

  /**
   * Dispatch: the oldest held call whose blocker has room now is re-checked, while one exists;
   * then the oldest waiter of every login and number is re-checked, so its hold is current.
   */
  private void settle(MOrg o, long now) {
    while (true) {
      MCall next = null;
      for (MCall c : o.calls) {
        if (c.state == St.HELD && blockerHasRoom(o, c, now)
            && (next == null || c.seq < next.seq)) {
          next = c;
        }
      }
      if (next == null) {
        break;
      }
      HoldReason before = next.reason;
      if (recheck(o, next, now) && next.reason == before) {
        throw new AssertionError("model: re-checked " + next.id + " is held again for " + before);
      }
    }
    // Fronts: the oldest waiter of each touched login and number, taken oldest first.
    Set<String> done = new TreeSet<>();
    while (true) {
      MCall front = null;
      for (MCall c : o.calls) {
        if (c.state != St.HELD || blockerOf(c) == null || done.contains(blockerOf(c))
            || !o.touched.contains(blockerOf(c))) {
          continue;
        }
        boolean oldest = true;
        for (MCall d : o.calls) {
          if (d.state == St.HELD && d.seq < c.seq && blockerOf(c).equals(blockerOf(d))) {
            oldest = false;
          }
        }
        if (oldest && (front == null || c.seq < front.seq)) {
          front = c;
        }
      }
      if (front == null) {
        o.touched.clear();
        return;
      }
      String blocker = blockerOf(front);
      if (recheck(o, front, now) && blocker.equals(blockerOf(front))) {
        done.add(blocker);
      }
    }
  }

  private void settleAll(long now) {
    for (MOrg o : orgs.values()) {
      settle(o, now);
    }
  }

  // ---- Commands ---------------------------------------------------------------------------

  String acquire(Commands.Acquire a, long now) {
    now = advance(now);
    MOrg o = orgs.get(a.orgId());
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    MCall existing = lookup(o, a.callId());
    if (existing != null) {
      if (!existing.same(a)) {
        return "REJECT ALREADY_EXISTS call_id";
      }
      return switch (existing.state) {
        case ACTIVE -> "GRANTED retry=true " + lease(existing);
        case HELD -> "HELD retry=true " + hold(o, existing);
        case ENDED -> "REJECT FAILED_PRECONDITION call_id";
      };
    }
    MCall c = new MCall(a, nextSeq);
    Object v = evaluate(o, c, now);
    if (v instanceof HoldReason && heldCount(o) >= maxHeldPerOrg) {
      return "REJECT RESOURCE_EXHAUSTED max-held-calls-per-org";
    }
    nextSeq++;
    o.calls.add(c);
    String answer;
    if (v == null) {
      grant(o, c, now);
      answer = "GRANTED retry=false " + lease(c);
    } else if (v instanceof DenialReason d) {
      deny(c, d, now);
      answer = "DENIED " + d + " retryAt=" + c.retryAt;
    } else {
      c.state = St.HELD;
      c.reason = (HoldReason) v;
      c.readyAt = readyAt(o, c, c.reason, now);
      wakeAt(o, c.reason == HoldReason.LOGIN_RATE ? "login " + c.login : "number " + c.number,
          c.readyAt);
      c.heldSince = now;
      if (c.maxWait > 0) {
        c.waitDeadline = now + c.maxWait;
      }
      answer = "HELD retry=false " + hold(o, c);
    }
    settleAll(now);
    return answer;
  }

  static int heldCount(MOrg o) {
    int k = 0;
    for (MCall c : o.calls) {
      if (c.state == St.HELD) {
        k++;
      }
    }
    return k;
  }

  String release(Commands.Release r, long now) {
    now = advance(now);
    MOrg o = orgs.get(r.orgId());
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    MCall c = lookup(o, r.callId());
    String answer;
    if (c == null || c.state == St.ENDED) {
      answer = "RELEASED NOT_ACTIVE";
    } else if (c.state == St.HELD) {
      endHeld(o, c, EndReason.CANCELLED, now);
      answer = "RELEASED CANCELLED";
    } else {
      endActive(o, c, EndReason.RELEASED, now);
      answer = "RELEASED RELEASED";
    }
    settleAll(now);
    return answer;
  }

  String renew(Commands.Renew r, long now) {
    now = advance(now);
    MOrg o = orgs.get(r.orgId());
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    List<String> leases = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    List<String> held = new ArrayList<>();
    for (String id : r.callIds()) {
      MCall c = lookup(o, id);
      if (c != null && c.state == St.ACTIVE) {
        if (r.leaseTtlMillis() > 0) {
          c.ttl = r.leaseTtlMillis();
        }
        c.expiresAt = now + c.ttl;
        leases.add(lease(c));
      } else if (c != null && c.state == St.HELD) {
        held.add(id);
      } else {
        unknown.add(id);
      }
    }
    settleAll(now);
    return "RENEWED " + leases + " unknown=" + unknown + " held=" + held;
  }

  /** PutOrg as the test builds it: limit, default TTL, login and number defaults, daily cap. */
  String putOrg(OrgConfig config, long now) {
    now = advance(now);
    MOrg o = orgs.get(config.orgId());
    boolean created = o == null;
    if (created && orgs.size() >= maxOrgs) {
      return "REJECT RESOURCE_EXHAUSTED max-orgs";
    }
    if (created) {
      o = new MOrg(config.orgId());
      orgs.put(o.id, o);
    } else if (config.concurrencyLimit() < reservedTotal(o)) {
      return "REJECT FAILED_PRECONDITION org.concurrency_limit";
    }
    Map<String, Long> windows = windowsOf(o);
    o.limit = config.concurrencyLimit();
    o.defaultTtl = config.defaultLeaseTtlMillis().orElse(0);
    o.loginDefaultMax = config.loginDefaults().maxConcurrent().orElse(2);
    o.loginDefaultPerWindow = config.loginDefaults().maxPerWindow().orElse(250);
    o.loginDefaultWindow = config.loginDefaults().windowMillis().orElse(HOUR);
    o.numberDefaultDay = config.numberDefaults().maxPerDay().orElse(0);
    o.numberDefaultHour = config.numberDefaults().maxPerHour().orElse(0);
    o.numberDefaultConc = config.numberDefaults().maxConcurrent().orElse(0);
    for (MCall c : o.calls) {
      if (c.state == St.HELD && blockerOf(c) != null) {
        o.touched.add(blockerOf(c));
      }
    }
    o.dailyCap = config.dailyCap().map(DailyCap::cap).orElse(0);
    o.hours = new ArrayList<>();
    for (CallingHours.Window w : config.callingHours().windows()) {
      o.hours.add(new int[] {w.day().getValue(), w.startMinute(), w.endMinute()});
    }
    o.hoursRestrict = new TreeSet<>(config.callingHours().restrictedTypes());
    windowsChanged(o, windows, now);
    settleAll(now);
    return "ORG " + o.id + " created=" + created + " limit=" + o.limit;
  }

  String setReservation(Commands.SetReservation s, long now) {
    now = advance(now);
    MOrg o = orgs.get(s.orgId());
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    int total = reservedTotal(o) - reserved(o, s.agentId(), s.callType()) + s.slots();
    if (total > o.limit) {
      return "REJECT FAILED_PRECONDITION slots";
    }
    if (s.slots() == 0) {
      o.reserved.remove(key(s.agentId(), s.callType()));
    } else {
      o.reserved.put(key(s.agentId(), s.callType()), s.slots());
    }
    settleAll(now);
    return "RESERVED " + s.agentId() + " " + s.callType() + " " + s.slots() + " total="
        + reservedTotal(o) + " shared=" + sharedCapacity(o);
  }

  String removeAgent(Commands.RemoveAgent r, long now) {
    now = advance(now);
    MOrg o = orgs.get(r.orgId());
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    int freed = 0;
    for (CallType t : CallType.values()) {
      Integer slots = o.reserved.remove(key(r.agentId(), t));
      freed += slots == null ? 0 : slots;
    }
    settleAll(now);
    return "REMOVED freed=" + freed + " shared=" + sharedCapacity(o);
  }

  /** SetLoginLimits: each field set, or left empty to inherit. */
  String setLoginLimits(Commands.SetLoginLimits s, long now) {
    now = advance(now);
    MOrg o = orgs.get(s.orgId());
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    Map<String, Long> windows = windowsOf(o);
    o.loginOwn.put(s.loginId(), s.limits());
    windowsChanged(o, windows, now);
    o.touched.add("login " + s.loginId());
    settleAll(now);
    return "LOGINLIMITS max=" + loginMax(o, s.loginId()) + " pw="
        + loginPerWindow(o, s.loginId()) + " win=" + loginWindow(o, s.loginId());
  }

  String setNumberLimits(Commands.SetNumberLimits s, long now) {
    now = advance(now);
    MOrg o = orgs.get(s.orgId());
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    o.numberOwn.put(s.number(), s.limits());
    o.touched.add("number " + s.number());
    settleAll(now);
    return "NUMBERLIMITS day=" + numberDay(o, s.number()) + " hour=" + numberHour(o, s.number())
        + " conc=" + numberConc(o, s.number());
  }

  void tick(long now) {
    advance(now);
  }

  // ---- Views ------------------------------------------------------------------------------

  String watch(String orgId, String callId) {
    MOrg o = orgs.get(orgId);
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    MCall c = lookup(o, callId);
    if (c == null) {
      return "REJECT NOT_FOUND call_id";
    }
    return switch (c.state) {
      case ACTIVE -> "GRANTED retry=true " + lease(c);
      case HELD -> "HELD retry=true " + hold(o, c);
      case ENDED -> ended(c);
    };
  }

  /** The request an event names its call by. */
  static String who(MCall c) {
    return " call(" + c.agent + " " + c.type + " " + c.login + " " + c.number + ")";
  }

  static String lease(MCall c) {
    return "lease(" + c.org + " " + c.id + " " + c.agent + " " + c.type + " " + c.login + " "
        + c.slot + " granted=" + c.grantedAt + " expires=" + c.expiresAt + " ttl=" + c.ttl + ")";
  }

  static String hold(MOrg o, MCall c) {
    return "hold(" + c.reason + " pos=" + position(o, c) + " since=" + c.heldSince + " wait="
        + (c.waitDeadline >= 0 ? String.valueOf(c.waitDeadline) : "-") + " ready="
        + (c.readyAt >= 0 ? String.valueOf(c.readyAt) : "-") + ")";
  }

  static String ended(MCall c) {
    return "ENDED " + c.endReason + " since=" + c.heldSince + " at=" + c.endedAt + " lease="
        + (c.slot != null ? lease(c) : "-") + " denial="
        + (c.endReason == EndReason.DENIED ? c.denial + " retryAt=" + c.retryAt : "-");
  }

  /** The status fields the test compares; see {@code Render.status}. */
  String status(String orgId, long now) {
    MOrg o = orgs.get(orgId);
    int[] byReason = new int[HoldReason.values().length];
    for (MCall c : o.calls) {
      if (c.state == St.HELD) {
        byReason[c.reason.ordinal()]++;
      }
    }
    int queued = 0;
    for (int n : byReason) {
      queued += n;
    }
    StringBuilder s = new StringBuilder();
    s.append("limit=").append(o.limit).append(" inUse=").append(inUse(o))
        .append(" sharedCap=").append(sharedCapacity(o)).append(" sharedInUse=")
        .append(sharedInUse(o)).append(" queued=").append(queued).append(" byReason=")
        .append(java.util.Arrays.toString(byReason)).append(" agents=[");
    TreeSet<String> agents = new TreeSet<>();
    for (String k : pairs(o)) {
      agents.add(k.substring(0, k.indexOf('|')));
    }
    for (String agent : agents) {
      if (agent.isEmpty()) {
        continue;
      }
      StringBuilder types = new StringBuilder();
      int ur = 0;
      int us = 0;
      int total = 0;
      for (CallType t : CallType.values()) {
        int r = reserved(o, agent, t);
        int a = active(o, agent, t);
        total += r;
        if (r > 0 || a > 0) {
          types.append(t).append(':').append(r).append('/').append(a).append('/')
              .append(Math.min(a, r)).append('/').append(Math.max(0, a - r)).append(' ');
          ur += Math.min(a, r);
          us += Math.max(0, a - r);
        }
      }
      if (types.length() > 0) {
        s.append(agent).append("{").append(types).append("r=").append(ur).append(" s=")
            .append(us).append(" t=").append(total).append("} ");
      }
    }
    s.append("] logins=[");
    TreeSet<String> logins = new TreeSet<>();
    TreeSet<String> numbers = new TreeSet<>();
    for (MCall c : o.calls) {
      if (c.state == St.ACTIVE || c.state == St.HELD) {
        logins.add(c.login);
        numbers.add(c.number);
      }
    }
    logins.addAll(o.loginStarts.keySet());
    numbers.addAll(o.numberStarts.keySet());
    logins.remove("");
    numbers.remove("");
    for (String login : logins) {
      int queuedHere = 0;
      for (MCall c : o.calls) {
        if (c.state == St.HELD && c.login.equals(login) && ("login " + login).equals(blockerOf(c))) {
          queuedHere++;
        }
      }
      int active = loginActive(o, login);
      int last = loginIn(o, login, now).size();
      if (active > 0 || queuedHere > 0 || last > 0) {
        s.append(login).append(':').append(active).append('/').append(loginMax(o, login))
            .append('/').append(last).append('/').append(loginPerWindow(o, login)).append('/')
            .append(loginWindow(o, login)).append('/').append(queuedHere).append(' ');
      }
    }
    s.append("] numbers=[");
    for (String n : numbers) {
      int queuedHere = 0;
      for (MCall c : o.calls) {
        if (c.state == St.HELD && ("number " + n).equals(blockerOf(c))) {
          queuedHere++;
        }
      }
      int active = numberActive(o, n);
      int last = numberIn(o, n, now).size();
      int today = numberToday(o, n, now);
      if (active > 0 || queuedHere > 0 || last > 0 || today > 0) {
        s.append(n).append(':').append(active).append('/').append(numberConc(o, n)).append('/')
            .append(last).append('/').append(numberHour(o, n)).append('/').append(today)
            .append('/').append(numberDay(o, n)).append('/').append(queuedHere).append(' ');
      }
    }
    s.append("] daily=").append(dailyUsed(o, now)).append('/').append(o.dailyCap).append('@')
        .append(dayEnd(now));
    return s.toString();
  }
}
