package io.admission.server.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A deliberately naive reference model of the org pool for {@link EngineModelTest}: plain lists,
 * and every question answered by scanning all calls. It shares no code with the engine; it
 * follows DESIGN.md and the product document:
 *
 * <ul>
 *   <li>checks in order: login concurrency (held), org pool — own reservation for (agent, type),
 *       else the shared remainder (held), daily cap on outbound calls (denied);
 *   <li>pool use is by count: a pair running n with r reserved uses max(0, n − r) shared slots;
 *   <li>after anything happens, and as long as one exists, the oldest held call whose blocker
 *       (its login, or its pool slot) has room now is re-checked from the first rule;
 *   <li>timers fire at their own instants; at one instant lease expiries before max_waits, each
 *       kind in arrival order of the calls;
 *   <li>ended calls are remembered for ten minutes, then their ids are free again.
 * </ul>
 *
 * <p>Login rate windows and caller numbers are not modelled: the test never configures them.
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
    final long ttlAsked;
    final long maxWait;
    final long seq;
    St state;
    HoldReason reason;
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
      this.ttlAsked = a.leaseTtlMillis();
      this.maxWait = a.maxWaitMillis();
      this.seq = seq;
    }

    boolean same(Commands.Acquire a) {
      return agent.equals(a.agentId()) && type == a.callType() && login.equals(a.loginId())
          && a.fromNumber().isEmpty() && ttlAsked == a.leaseTtlMillis()
          && maxWait == a.maxWaitMillis();
    }
  }

  static final class MOrg {
    final String id;
    int limit;
    long defaultTtl; // 0: none
    int loginDefaultMax; // 0: no limit
    int dailyCap; // 0: none
    /** "agent|TYPE" → reserved slots. */
    final Map<String, Integer> reserved = new TreeMap<>();
    /** login → its own max concurrent; absent: the org default. */
    final Map<String, Integer> loginMax = new TreeMap<>();
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
  long lastNow = Long.MIN_VALUE;
  private long nextSeq;

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
    return o.loginMax.getOrDefault(login, o.loginDefaultMax);
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

  static boolean loginHasRoom(MOrg o, String login) {
    int max = loginMax(o, login);
    return max == 0 || loginActive(o, login) < max;
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

  long advance(long now) {
    now = Math.max(now, lastNow);
    lastNow = now;
    while (true) {
      // The earliest due timer by (time, kind: lease before max_wait, call arrival).
      MCall next = null;
      long at = 0;
      int kind = 0;
      for (MOrg o : orgs.values()) {
        for (MCall c : o.calls) {
          long due = c.state == St.ACTIVE ? c.expiresAt
              : c.state == St.HELD && c.waitDeadline >= 0 ? c.waitDeadline : Long.MAX_VALUE;
          int k = c.state == St.ACTIVE ? 0 : 1;
          if (due <= now && (next == null || due < at || (due == at && k < kind)
              || (due == at && k == kind && c.seq < next.seq))) {
            next = c;
            at = due;
            kind = k;
          }
        }
      }
      boolean lease = kind == 0;
      if (next == null) {
        break;
      }
      MOrg o = orgs.get(next.org);
      if (lease) {
        endActive(o, next, EndReason.EXPIRED, at);
      } else {
        endHeld(o, next, EndReason.WAIT_EXPIRED, at);
      }
      settleAll(at);
    }
    for (MOrg o : orgs.values()) {
      o.calls.removeIf(c -> c.state == St.ENDED && c.endedAt + REMEMBER <= lastNow);
    }
    return now;
  }

  // ---- Deciding ---------------------------------------------------------------------------

  /** null: pass; else the hold reason; DENY_DAILY for the daily cap. */
  private static final Object DENY_DAILY = new Object();

  private static Object evaluate(MOrg o, MCall c, long now) {
    if (!c.login.isEmpty() && !loginHasRoom(o, c.login)) {
      return HoldReason.LOGIN_CONCURRENCY;
    }
    if (!fits(o, c.agent, c.type)) {
      return HoldReason.ORG_POOL_FULL;
    }
    if (o.dailyCap > 0 && c.type == CallType.OUTBOUND && dailyUsed(o, now) >= o.dailyCap) {
      return DENY_DAILY;
    }
    return null;
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
  }

  private void deny(MCall c, long now) {
    c.retryAt = dayEnd(now);
    end(c, EndReason.DENIED, now);
  }

  private static void end(MCall c, EndReason reason, long now) {
    c.state = St.ENDED;
    c.endReason = reason;
    c.endedAt = now;
  }

  private void endActive(MOrg o, MCall c, EndReason reason, long now) {
    end(c, reason, now);
    events.add("LEASEENDED " + o.id + " " + c.id + " " + reason + " at=" + now + " " + lease(c)
        + who(c));
  }

  private void endHeld(MOrg o, MCall c, EndReason reason, long now) {
    end(c, reason, now);
    events.add("WAITENDED " + o.id + " " + c.id + " " + ended(c) + who(c));
  }

  /** Dispatch: the oldest held call whose blocker has room now is re-checked, while one exists. */
  private void settle(MOrg o, long now) {
    while (true) {
      MCall next = null;
      for (MCall c : o.calls) {
        if (c.state != St.HELD) {
          continue;
        }
        boolean room = c.reason == HoldReason.LOGIN_CONCURRENCY
            ? loginHasRoom(o, c.login)
            : fits(o, c.agent, c.type);
        if (room && (next == null || c.seq < next.seq)) {
          next = c;
        }
      }
      if (next == null) {
        return;
      }
      Object v = evaluate(o, next, now);
      if (v == null) {
        grant(o, next, now);
        events.add("DISPATCHED " + o.id + " " + next.id + " since=" + next.heldSince + " "
            + lease(next) + who(next));
      } else if (v == DENY_DAILY) {
        deny(next, now);
        events.add("WAITENDED " + o.id + " " + next.id + " " + ended(next) + who(next));
      } else if (v != next.reason) {
        next.reason = (HoldReason) v;
        events.add("HOLDCHANGED " + o.id + " " + next.id + " " + hold(o, next) + who(next));
      } else {
        throw new AssertionError("model: re-checked " + next.id + " is held again for " + v);
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
    MCall c = new MCall(a, nextSeq++);
    o.calls.add(c);
    Object v = evaluate(o, c, now);
    String answer;
    if (v == null) {
      grant(o, c, now);
      answer = "GRANTED retry=false " + lease(c);
    } else if (v == DENY_DAILY) {
      deny(c, now);
      answer = "DENIED DAILY_CAP retryAt=" + c.retryAt;
    } else {
      c.state = St.HELD;
      c.reason = (HoldReason) v;
      c.heldSince = now;
      if (c.maxWait > 0) {
        c.waitDeadline = now + c.maxWait;
      }
      answer = "HELD retry=false " + hold(o, c);
    }
    settleAll(now);
    return answer;
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

  /** PutOrg as the test builds it: limit, default TTL, login default, daily cap. */
  String putOrg(OrgConfig config, long now) {
    now = advance(now);
    MOrg o = orgs.get(config.orgId());
    boolean created = o == null;
    if (created) {
      o = new MOrg(config.orgId());
      orgs.put(o.id, o);
    } else if (config.concurrencyLimit() < reservedTotal(o)) {
      return "REJECT FAILED_PRECONDITION org.concurrency_limit";
    }
    o.limit = config.concurrencyLimit();
    o.defaultTtl = config.defaultLeaseTtlMillis().orElse(0);
    o.loginDefaultMax = config.loginDefaults().maxConcurrent().orElse(2);
    o.dailyCap = config.dailyCap().map(DailyCap::cap).orElse(0);
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

  /** SetLoginLimits as the test builds it: only max concurrent, or INHERIT. */
  String setLoginLimits(Commands.SetLoginLimits s, long now) {
    now = advance(now);
    MOrg o = orgs.get(s.orgId());
    if (o == null) {
      return "REJECT NOT_FOUND org_id";
    }
    if (s.limits().maxConcurrent().isPresent()) {
      o.loginMax.put(s.loginId(), s.limits().maxConcurrent().getAsInt());
    } else {
      o.loginMax.remove(s.loginId());
    }
    settleAll(now);
    return "LOGINLIMITS max=" + loginMax(o, s.loginId());
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
    return " call(" + c.agent + " " + c.type + " " + c.login + ")";
  }

  static String lease(MCall c) {
    return "lease(" + c.org + " " + c.id + " " + c.agent + " " + c.type + " " + c.login + " "
        + c.slot + " granted=" + c.grantedAt + " expires=" + c.expiresAt + " ttl=" + c.ttl + ")";
  }

  static String hold(MOrg o, MCall c) {
    return "hold(" + c.reason + " pos=" + position(o, c) + " since=" + c.heldSince + " wait="
        + (c.waitDeadline >= 0 ? String.valueOf(c.waitDeadline) : "-") + " ready=-)";
  }

  static String ended(MCall c) {
    return "ENDED " + c.endReason + " since=" + c.heldSince + " at=" + c.endedAt + " lease="
        + (c.slot != null ? lease(c) : "-") + " denial="
        + (c.endReason == EndReason.DENIED ? "DAILY_CAP retryAt=" + c.retryAt : "-");
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
    for (MCall c : o.calls) {
      if (!c.login.isEmpty() && (c.state == St.ACTIVE
          || (c.state == St.HELD && c.reason == HoldReason.LOGIN_CONCURRENCY))) {
        logins.add(c.login);
      }
    }
    for (String login : logins) {
      int queuedHere = 0;
      for (MCall c : o.calls) {
        if (c.state == St.HELD && c.reason == HoldReason.LOGIN_CONCURRENCY
            && c.login.equals(login)) {
          queuedHere++;
        }
      }
      s.append(login).append(':').append(loginActive(o, login)).append('/')
          .append(loginMax(o, login)).append('/').append(queuedHere).append(' ');
    }
    s.append("] daily=").append(dailyUsed(o, now)).append('/').append(o.dailyCap).append('@')
        .append(dayEnd(now));
    return s.toString();
  }
}
