package io.admission.server.loop;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.DailyCap;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real {@link EventLoop} whose thread never starts: the test moves its clock and runs its turns
 * ({@link #run}, {@link #at}), so what observers see follows from the commands alone. For tests
 * of loop observers (metrics, audit).
 */
public final class SteppedLoop implements AutoCloseable {
  public static final long SECOND = 1_000L;
  /** 3 Mar 2026 14:07:05 UTC: an arbitrary, unround start. */
  public static final long T0 = Instant.parse("2026-03-03T14:07:05Z").toEpochMilli();

  private volatile long millis = T0;
  public final Engine engine;
  public final EventLoop loop;

  public SteppedLoop() {
    this(new Engine());
  }

  public SteppedLoop(Engine engine) {
    this.engine = engine;
    InstantSource clock = new InstantSource() {
      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(millis);
      }

      @Override
      public long millis() {
        return millis;
      }
    };
    this.loop = new EventLoop(engine, CommandLog.NONE, clock, 1024);
  }

  /** The loop's time now. */
  public long now() {
    return millis;
  }

  /** Moves the clock to {@code T0 + offset} and runs one turn, so due timers fire. */
  public void at(long offsetFromT0) {
    millis = T0 + offsetFromT0;
    loop.step();
  }

  /** Runs {@code command} in a turn of its own; returns the engine's answer. */
  public <R> R run(Commands.Command<R> command) {
    AtomicReference<Object> answer = new AtomicReference<>();
    loop.submit(command, new Reply<R>() {
      @Override
      public void ok(R result) {
        answer.set(result);
      }

      @Override
      public void failed(Throwable error) {
        answer.set(error);
      }
    });
    loop.step();
    if (answer.get() instanceof Throwable t) {
      throw new AssertionError("command failed: " + command, t);
    }
    @SuppressWarnings("unchecked")
    R result = (R) answer.get();
    return result;
  }

  @Override
  public void close() {
    loop.close();
  }

  // ---- Commands ---------------------------------------------------------------------------

  public static Commands.PutOrg putOrg(String orgId, int limit) {
    return new Commands.PutOrg(new OrgConfig(orgId, limit, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT));
  }

  /** An org whose outbound calls are capped at {@code cap} per UTC day. */
  public static Commands.PutOrg putOrg(String orgId, int limit, int dailyCap) {
    return new Commands.PutOrg(new OrgConfig(orgId, limit,
        Optional.of(new DailyCap(dailyCap, List.of(), null, Set.of())), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT));
  }

  /** A web call for no agent, no login and no number: only the org pool decides. */
  public static Commands.Acquire call(String orgId, String callId) {
    return new Commands.Acquire(orgId, callId, "", CallType.WEBCALL, "", "", 0, 0);
  }

  public static Commands.Acquire call(
      String orgId, String callId, String agentId, CallType type, String loginId, String number,
      long leaseTtlMillis, long maxWaitMillis) {
    return new Commands.Acquire(
        orgId, callId, agentId, type, loginId, number, leaseTtlMillis, maxWaitMillis);
  }

  public static Commands.Release release(String orgId, String callId) {
    return new Commands.Release(orgId, callId);
  }
}
