package io.admission.server;

import com.google.protobuf.Duration;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceBlockingStub;
import io.admission.v1.CallType;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the clients of {@link DurabilityKillIT} know about every call they placed: its request, the
 * last state an answer showed, whether it was ever granted, and when (on a logical clock shared by
 * all client threads) it was sent and first answered. A call whose request was in flight when the
 * server was killed is marked unknown until a retried Acquire after the restart resolves it.
 *
 * <p>A {@link Call} is changed only by the client thread that owns it while the load runs, and by
 * the test thread between lives (after joining the clients, so the changes are visible).
 */
final class CallLedger {
  static final String ORG = "durable";
  static final int LIMIT = 8;
  static final String RESERVED_AGENT = "agent-inbound";
  static final int RESERVED_INBOUND = 2;
  static final String WEB_AGENT = "agent-web";
  static final int RESERVED_WEBCALL = 1;
  static final int SEATS = 6;
  static final int SEAT_MAX_CONCURRENT = 2;
  /** A login with a tight rolling window: after 3 grants its calls are held for the hour. */
  static final String RATED_LOGIN = "seat-rated";
  static final int RATED_MAX_PER_WINDOW = 3;
  static final int RATED_MAX_CONCURRENT = 1;
  /** A number with a tight daily cap: after 4 grants its calls are denied until midnight. */
  static final String CAPPED_NUMBER = "+15550100";
  static final int CAPPED_MAX_PER_DAY = 4;
  static final Duration LEASE_TTL = Duration.newBuilder().setSeconds(600).build();

  /** The last state an answer showed; the two unknowns are requests lost in a kill. */
  enum State { GRANTED, HELD, ENDED, ACQUIRE_UNKNOWN, RELEASE_UNKNOWN }

  /** One call id and what its client knows of it. */
  static final class Call {
    final String id;
    final AcquireRequest request;
    /** Logical time its first Acquire was sent. */
    final long sentTick;
    /** Logical time the first answer to its Acquire arrived; MAX_VALUE while none did. */
    long ackTick = Long.MAX_VALUE;
    State state = State.ACQUIRE_UNKNOWN;
    /** For RELEASE_UNKNOWN: GRANTED or HELD, what it was when the Release was sent. */
    State beforeRelease;
    boolean everGranted;
    /** How it ended, for messages. */
    String end = "";
    /** Its queue position at the last check, while held. */
    int position;

    Call(String id, AcquireRequest request, long sentTick) {
      this.id = id;
      this.request = request;
      this.sentTick = sentTick;
    }

    boolean capped() {
      return request.getFromNumber().equals(CAPPED_NUMBER);
    }

    void granted() {
      state = State.GRANTED;
      everGranted = true;
    }

    void ended(String how) {
      state = State.ENDED;
      end = how;
    }

    @Override
    public String toString() {
      return id + "(" + state + (end.isEmpty() ? "" : " " + end) + ", " + request.getCallType()
          + " agent=" + request.getAgentId() + " login=" + request.getLoginId()
          + " number=" + request.getFromNumber() + ")";
    }
  }

  /** The calls of one client thread, kept across the server's lives. */
  static final class Owner {
    final int index;
    final Random random;
    final List<Call> all = new ArrayList<>();
    final List<Call> granted = new ArrayList<>();
    final List<Call> held = new ArrayList<>();
    int nextId;

    Owner(int index, long seed) {
      this.index = index;
      this.random = new Random(seed);
    }

    /** After the test thread resolved every call: the open ones, by their state. */
    void rebuild() {
      granted.clear();
      held.clear();
      for (Call c : all) {
        if (c.state == State.GRANTED) {
          granted.add(c);
        } else if (c.state == State.HELD) {
          held.add(c);
        }
      }
    }
  }

  final long seed;
  final AtomicLong clock = new AtomicLong();
  final List<Owner> owners = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
  /** Set just before SIGKILL: from then on a failed RPC is an unknown outcome, not a problem. */
  private volatile boolean killing;
  /** Which life of the server the test is in (0 before the first kill). */
  volatile int life;

  CallLedger(long seed, int clients) {
    this.seed = seed;
    for (int i = 0; i < clients; i++) {
      owners.add(new Owner(i, seed * 31 + i));
    }
  }

  /** The first daily reset time seen: while it stays, all calls were placed on one UTC day. */
  private long firstResetsAt = Long.MIN_VALUE;

  boolean sameDay(long resetsAtSeconds) {
    if (firstResetsAt == Long.MIN_VALUE) {
      firstResetsAt = resetsAtSeconds;
    }
    if (firstResetsAt != resetsAtSeconds) {
      System.out.println(where() + " the UTC day changed during the run: daily counts not compared");
      return false;
    }
    return true;
  }

  boolean killing() {
    return killing;
  }

  void killing(boolean on) {
    killing = on;
  }

  /** A request for a new call: a mix of types, agents, seats and numbers, always the long TTL. */
  static AcquireRequest newRequest(String callId, Random r) {
    AcquireRequest.Builder b = AcquireRequest.newBuilder()
        .setOrgId(ORG).setCallId(callId).setLeaseTtl(LEASE_TTL);
    int kind = r.nextInt(20);
    if (kind < 10) {
      b.setCallType(CallType.CALL_TYPE_OUTBOUND);
    } else if (kind < 13) {
      b.setCallType(CallType.CALL_TYPE_OUTBOUND).setAgentId(RESERVED_AGENT);
    } else if (kind < 16) {
      b.setCallType(CallType.CALL_TYPE_INBOUND).setAgentId(RESERVED_AGENT);
    } else if (kind < 18) {
      b.setCallType(CallType.CALL_TYPE_WEBCALL).setAgentId(WEB_AGENT);
    } else {
      b.setCallType(CallType.CALL_TYPE_CHAT);
    }
    b.setLoginId(r.nextInt(20) == 0 ? RATED_LOGIN : "seat-" + r.nextInt(SEATS));
    int number = r.nextInt(10);
    if (number == 0) {
      b.setFromNumber(CAPPED_NUMBER);
    } else if (number < 4) {
      b.setFromNumber("+1555020" + number);
    }
    return b.build();
  }

  Call newCall(Owner owner) {
    String id = "c" + owner.index + "-" + owner.nextId++;
    Call call = new Call(id, newRequest(id, owner.random), clock.incrementAndGet());
    owner.all.add(call);
    return call;
  }

  /**
   * Asks the server for a call's state with a retried Acquire (identical request) and updates the
   * ledger from the answer. {@code known}: the server answered this call before, so it must
   * answer as a retry. Returns the answer, or null when the RPC failed at the transport (the
   * ledger is unchanged then). A state the client's history does not allow is a problem.
   */
  AcquireResponse resolve(AdmissionServiceBlockingStub calls, Call c, boolean known) {
    AcquireResponse r;
    try {
      r = calls.acquire(c.request);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) {
        ended(c, String.valueOf(e.getStatus().getDescription()));
        return AcquireResponse.getDefaultInstance();
      }
      if (!killing) {
        problem("retried Acquire of " + c + " failed: " + e.getStatus());
      }
      return null;
    }
    long now = clock.incrementAndGet();
    if (c.ackTick == Long.MAX_VALUE) {
      c.ackTick = now;
    }
    if (known && !r.getRetry()) {
      problem("the server forgot " + c + ": a retried Acquire was answered as a new call: " + r);
    }
    switch (r.getOutcome()) {
      case OUTCOME_GRANTED -> c.granted();
      case OUTCOME_HELD -> {
        if (c.everGranted) {
          problem(c + " was granted but is now held again: " + r);
        }
        c.state = State.HELD;
        c.position = r.getHold().getPosition();
      }
      case OUTCOME_DENIED -> {
        if (known) {
          problem(c + " was answered before, but a retried Acquire denied it afresh: " + r);
        }
        deniedOk(c, "denied at once");
      }
      default -> problem("Acquire of " + c + " has no outcome: " + r);
    }
    return r;
  }

  /** A retried Acquire said the call ended (FAILED_PRECONDITION); is that possible for it? */
  private void ended(Call c, String message) {
    if (message.contains(" was released at ")) {
      if (c.state != State.RELEASE_UNKNOWN) {
        problem(c + " was never released by its client, but the server says: " + message);
      }
      c.everGranted = true;
      c.ended("released");
    } else if (message.contains(" was cancelled while held")) {
      if (c.state != State.RELEASE_UNKNOWN || c.beforeRelease != State.HELD) {
        problem(c + " was never released while held, but the server says: " + message);
      }
      c.ended("cancelled");
    } else if (message.contains(" was denied at ")) {
      deniedOk(c, "denied at dispatch");
    } else {
      problem("unexpected end of " + c + ": " + message);
    }
  }

  /** Only the capped number can be denied (the org's daily cap is never reached). */
  void deniedOk(Call c, String how) {
    if (!c.capped()) {
      problem(c + " was " + how + ", but only " + CAPPED_NUMBER + " has a cap that can be reached");
    }
    if (c.everGranted) {
      problem(c + " was granted, and now the server says it was " + how);
    }
    c.ended(how);
  }

  void problem(String what) {
    problems.add("life " + life + ": " + what);
  }

  /** Fails with every problem the clients met, if any. */
  void failIfProblems() {
    if (!problems.isEmpty()) {
      List<String> all = new ArrayList<>(problems);
      throw new AssertionError(where() + " " + all.size() + " problem(s):\n  "
          + String.join("\n  ", all.subList(0, Math.min(all.size(), 30))));
    }
  }

  /** The prefix of every failure: the seed and how to replay it. */
  String where() {
    return "[seed " + seed + " (rerun with -Ddurability.seed=" + seed + "), server life " + life + "]";
  }
}
