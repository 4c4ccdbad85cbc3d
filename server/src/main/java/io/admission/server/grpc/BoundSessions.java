package io.admission.server.grpc;

import io.admission.server.auth.Caller;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Results;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.server.loop.Reply;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The sessions that calls can be bound to (etcd's keepalive model), across the Session streams
 * that carry them: a session outlives its stream by a grace period, within which another stream
 * may resume it; after that, every call still bound to it is released.
 *
 * <p>This lives at the edge, on the node that served the session, and never touches the engine:
 * the release is an ordinary {@link Commands.Release} submitted to the loop, so it is logged,
 * replicated and audited like any Release, and the engine stays a pure function of its log. The
 * grace period is measured on {@link #clock} (a manual clock in tests), by {@link #expireDue},
 * which {@link #start} runs on its own timer thread.
 *
 * <p>Threads: streams open, resume and end sessions on gRPC transport threads; calls are bound
 * and unbound on the loop thread, as answers and events arrive; the timer expires them. Each
 * session's state is guarded by the session itself; what all sessions share — the id map, the
 * queue of ended sessions, the releases to retry — is lock-free, and only the sweeper takes the
 * sweep's lock, so a stream never waits for another session. Ended sessions are expired in
 * the order they ended: with one grace period for all, that is the order of their deadlines, so
 * each sweep costs only what it expires.
 */
public final class BoundSessions implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(BoundSessions.class.getName());
  private static final int ID_BYTES = 16;

  /** A call, by the ids its Acquire gave. */
  record Call(String orgId, String callId) {}

  private final Loops loops;
  private final InstantSource clock;
  private final Duration grace;
  private final SecureRandom random = new SecureRandom();
  private final ConcurrentHashMap<String, Bound> byId = new ConcurrentHashMap<>();
  /** Sessions whose stream ended, in order of their deadlines; an entry may be stale (resumed). */
  private final Queue<Ending> ending = new ConcurrentLinkedQueue<>();
  /** Releases the loop could not take (inbox full, log failure): tried again on the next sweep. */
  private final Queue<Release> retries = new ConcurrentLinkedQueue<>();
  private ScheduledExecutorService timer;

  private record Ending(Bound session, long deadline) {}

  private record Release(Call call, String actor) {}

  /**
   * One session: its owner, the stream that carries it (null while it waits to be resumed) and its
   * bound calls. Guarded by itself.
   */
  final class Bound {
    final String id;
    /** Who opened it (the caller's role and name; null without access control). */
    private final Caller owner;
    private final String actor;
    private Object stream;
    private long deadline;
    private boolean released;
    private final Set<Call> calls = new LinkedHashSet<>();

    private Bound(String id, Caller owner, String actor, Object stream) {
      this.id = id;
      this.owner = owner;
      this.actor = actor;
      this.stream = stream;
    }

    /** Loop thread: {@code call} was granted or held for a bound acquire of this session. */
    void bind(Call call) {
      synchronized (this) {
        if (!released) {
          calls.add(call);
          return;
        }
      }
      release(call, actor); // the session expired before its acquire was answered
    }

    /** Loop thread: {@code call} ended (released on the session, or its wait ended). */
    synchronized void unbind(Call call) {
      calls.remove(call);
    }

    synchronized int boundCalls() {
      return calls.size();
    }
  }

  public BoundSessions(EventLoop loop, InstantSource clock, Duration grace) {
    this(Loops.of(loop), clock, grace);
  }

  /** Bound calls are released through their org's loop. */
  public BoundSessions(Loops loops, InstantSource clock, Duration grace) {
    if (grace.isNegative() || grace.isZero()) {
      throw new IllegalArgumentException("the grace period must be positive, got " + grace);
    }
    this.loops = loops;
    this.clock = clock;
    this.grace = grace;
  }

  /** How long an ended session may be resumed. */
  public Duration grace() {
    return grace;
  }

  /** Starts the timer that expires ended sessions, checking a few times per grace period. */
  public synchronized void start() {
    if (timer != null) {
      return;
    }
    timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "admission-session-grace");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(50, Math.min(1000, grace.toMillis() / 10));
    timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    if (timer != null) {
      timer.shutdownNow();
      timer = null;
    }
  }

  private void sweep() {
    try {
      expireDue();
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "expiring ended sessions failed; trying again", e);
    }
  }

  /** A new session carried by {@code stream}, opened by {@code owner} (null: no access control). */
  Bound open(Caller owner, String actor, Object stream) {
    while (true) {
      byte[] bytes = new byte[ID_BYTES];
      random.nextBytes(bytes);
      Bound b = new Bound(HexFormat.of().formatHex(bytes), owner, actor, stream);
      if (byId.putIfAbsent(b.id, b) == null) {
        return b;
      }
    }
  }

  /**
   * The session {@code id}, now carried by {@code stream}; null when there is no such session that
   * {@code owner} may resume (unknown, another caller's, or expired), which the caller cannot tell
   * apart.
   */
  Bound resume(String id, Caller owner, Object stream) {
    Bound b = byId.get(id);
    if (b == null) {
      return null;
    }
    synchronized (b) {
      if (b.released || !Objects.equals(b.owner, owner)) {
        return null;
      }
      b.stream = stream; // an old stream still open is detached: its end no longer counts
      return b;
    }
  }

  /** Transport thread: {@code stream} ended; if it still carries {@code b}, the grace period starts. */
  void ended(Bound b, Object stream) {
    long deadline = clock.millis() + grace.toMillis();
    synchronized (b) {
      if (b.stream != stream || b.released) {
        return;
      }
      b.stream = null;
      b.deadline = deadline;
    }
    ending.add(new Ending(b, deadline));
  }

  /**
   * Releases the bound calls of every session whose stream ended at least the grace period ago
   * (by {@link #clock}) and that no stream resumed, by submitting one Release per call to the
   * loop. Returns how many sessions expired. Runs on the timer, or in tests by hand.
   */
  public int expireDue() {
    synchronized (ending) { // one sweeper at a time: peek, then poll the same entry
      return expire(clock.millis());
    }
  }

  private int expire(long now) {
    int expired = 0;
    for (int n = retries.size(); n > 0; n--) {
      Release r = retries.poll();
      if (r == null) {
        break;
      }
      release(r.call(), r.actor());
    }
    Ending e;
    while ((e = ending.peek()) != null && e.deadline() <= now) {
      ending.poll();
      List<Call> calls;
      Bound b = e.session();
      synchronized (b) {
        if (b.stream != null || b.released || b.deadline != e.deadline()) {
          continue; // resumed (and maybe ended again: a later entry covers that)
        }
        b.released = true;
        calls = new ArrayList<>(b.calls);
        b.calls.clear();
      }
      byId.remove(b.id, b);
      expired++;
      for (Call call : calls) {
        release(call, b.actor);
      }
    }
    return expired;
  }

  /** Whether session {@code id} has no stream now and waits to be resumed (for tests). */
  boolean awaitsResume(String id) {
    Bound b = byId.get(id);
    if (b == null) {
      return false;
    }
    synchronized (b) {
      return b.stream == null && !b.released;
    }
  }

  /** Sessions known now: carried by a stream or within their grace period. */
  public int sessions() {
    return byId.size();
  }

  /** An ordinary Release through the loop, on behalf of the session's owner. */
  private void release(Call call, String actor) {
    Reply<Results.ReleaseResult> reply = new Reply<>() {
      @Override
      public void ok(Results.ReleaseResult result) {}

      @Override
      public void failed(Throwable error) {
        LOG.log(Level.WARNING, "releasing bound call " + call + " failed; trying again", error);
        retries.add(new Release(call, actor));
      }
    };
    if (!loops.of(call.orgId()).submit(new Commands.Release(call.orgId(), call.callId()), actor, reply)) {
      retries.add(new Release(call, actor)); // the loop is saturated: next sweep
    }
  }
}
