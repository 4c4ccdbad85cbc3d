package io.admission.server.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.io.IOException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The loop stepped by hand: answers leave only after the turn's sync, and a failed log stops it. */
class EventLoopTest {
  private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(1_790_000_000_000L));

  /** A log that records what happened and can be told to fail. */
  private static final class FakeLog implements CommandLog {
    final List<String> calls = new ArrayList<>();
    boolean failSync;

    @Override
    public void append(Commands.Command<?> command, long stampedAt) {
      calls.add("append " + command.getClass().getSimpleName());
    }

    @Override
    public void sync() throws IOException {
      calls.add("sync");
      if (failSync) {
        throw new IOException("disk full");
      }
    }
  }

  /** A reply that records what it got. */
  private static final class Recorded<R> implements Reply<R> {
    final List<Object> got = new ArrayList<>();

    @Override
    public void ok(R result) {
      got.add(result);
    }

    @Override
    public void failed(Throwable error) {
      got.add(error);
    }
  }

  @Test
  void aTurnsCommandsShareOneSyncAndAreAnsweredAfterIt() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    Recorded<Object> put = new Recorded<>();
    Recorded<Object> acquire = new Recorded<>();
    loop.submit(putOrg(), put);
    loop.submit(acquire("c1"), acquire);
    assertTrue(put.got.isEmpty(), "nothing is answered before the turn");
    loop.step();
    assertEquals(List.of("append PutOrg", "append Acquire", "sync"), log.calls);
    assertInstanceOf(Results.OrgView.class, put.got.get(0));
    assertInstanceOf(Results.Granted.class, acquire.got.get(0));
  }

  @Test
  void aFailedSyncFailsTheTurnAndStopsFurtherCommands() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    AtomicBoolean told = new AtomicBoolean();
    loop.onLogFailure(() -> told.set(true));
    Recorded<Object> put = new Recorded<>();
    Recorded<Object> read = new Recorded<>();
    loop.submit(putOrg(), put);
    loop.read((engine, now) -> engine.getOrg("org"), read);
    log.failSync = true;
    loop.step();
    assertInstanceOf(IOException.class, put.got.get(0), "not answered as done");
    assertInstanceOf(IOException.class, read.got.get(0), "a read of the failed turn is answered too");
    assertTrue(told.get(), "health is told");

    log.failSync = false;
    Recorded<Object> later = new Recorded<>();
    loop.submit(acquire("c2"), later);
    loop.step();
    assertInstanceOf(IOException.class, later.got.get(0), "nothing is applied after a log failure");
    assertEquals(List.of("append PutOrg", "sync", "sync"), log.calls, "the later command was never appended");
  }

  private static Commands.PutOrg putOrg() {
    return new Commands.PutOrg(new OrgConfig("org", 2, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT));
  }

  private static Commands.Acquire acquire(String id) {
    return new Commands.Acquire("org", id, "", CallType.OUTBOUND, "", "", 0, 0);
  }
}
