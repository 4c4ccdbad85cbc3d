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
import io.admission.server.engine.Rejection;
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

/**
 * The loop stepped by hand against a log whose durability the test controls: answers, events and
 * observers wait for the log; a refused command is taken back; a failed log, a command that
 * throws or an error part way through a turn halts the loop.
 */
class EventLoopTest {
  private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochMilli(1_790_000_000_000L));

  /**
   * A log that records what happened, makes a commit durable only when the test says so (as the
   * journal thread would, later), and can be told to fail.
   */
  private static final class FakeLog implements CommandLog {
    final List<String> calls = new ArrayList<>();
    long appended;
    long durable;
    IOException failure;
    Runnable wake = () -> {};

    @Override
    public long append(Commands.Command<?> command, long stampedAt) {
      calls.add("append " + command.getClass().getSimpleName());
      return appended++;
    }

    @Override
    public void retract(long entry) {
      calls.add("retract " + entry);
      appended--;
    }

    @Override
    public long commit() throws IOException {
      calls.add("commit");
      if (failure != null) {
        throw failure;
      }
      return appended;
    }

    @Override
    public long durable() {
      return durable;
    }

    @Override
    public IOException failure() {
      return failure;
    }

    @Override
    public void onProgress(Runnable wake) {
      this.wake = wake;
    }

    @Override
    public String where(long entry) {
      return "fake-segment.log, byte offset " + (entry * 100);
    }

    /** The journal thread's fsync finished: everything committed is durable. */
    void synced() {
      durable = appended;
      wake.run();
    }

    void fail(String why) {
      failure = new IOException(why);
      wake.run();
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
  void aTurnIsCommittedOnceAndAnsweredOnlyWhenTheLogSaysItIsDurable() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    Recorded<Object> put = new Recorded<>();
    Recorded<Object> acquire = new Recorded<>();
    loop.submit(putOrg(), put);
    loop.submit(acquire("c1"), acquire);
    loop.step();
    assertEquals(List.of("append PutOrg", "append Acquire", "commit"), log.calls);
    assertTrue(put.got.isEmpty() && acquire.got.isEmpty(), "nothing leaves before the turn is durable");

    // The next turn runs while the first one's fsync is still under way.
    Recorded<Object> second = new Recorded<>();
    loop.submit(acquire("c2"), second);
    loop.step();
    assertEquals(List.of("append PutOrg", "append Acquire", "commit", "append Acquire", "commit"), log.calls);
    assertTrue(acquire.got.isEmpty() && second.got.isEmpty(), "applied, not answered");

    log.durable = 2; // the first turn's fsync finished; the second's not yet
    loop.step(); // the turn the log's wake-up queues
    assertInstanceOf(Results.OrgView.class, put.got.get(0));
    assertInstanceOf(Results.Granted.class, acquire.got.get(0));
    assertTrue(second.got.isEmpty(), "the second turn still waits for its own fsync");
    log.synced();
    loop.step();
    assertInstanceOf(Results.Granted.class, second.got.get(0));
  }

  @Test
  void aReadWaitsForTheTurnsBeforeItToBeDurable() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    loop.submit(putOrg(), new Recorded<>());
    loop.step();
    Recorded<Object> read = new Recorded<>();
    loop.read((engine, now) -> engine.getOrg("org"), read);
    loop.step();
    assertTrue(read.got.isEmpty(), "the read saw the org, which is not yet durable");
    log.synced();
    loop.step();
    assertEquals(1, read.got.size());
  }

  @Test
  void aRefusedCommandIsTakenBackFromTheLog() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    Recorded<Object> acquire = new Recorded<>();
    loop.submit(acquire("c1"), acquire); // no such org: NOT_FOUND, nothing changed
    loop.step();
    assertEquals(List.of("append Acquire", "retract 0", "commit"), log.calls);
    assertInstanceOf(Rejection.class, acquire.got.get(0), "nothing new to wait for: answered at once");
  }

  @Test
  void observersSeeATurnOnlyOnceItIsDurable() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    List<String> seen = new ArrayList<>();
    loop.observe(new LoopObserver() {
      @Override
      public void applied(Commands.Command<?> command, Object result, long now) {
        seen.add("applied " + command.getClass().getSimpleName());
      }

      @Override
      public void event(io.admission.server.engine.Event event, long now) {
        seen.add("event " + event.getClass().getSimpleName());
      }
    });
    loop.submit(putOrg(), new Recorded<>());
    loop.submit(acquire("c1"), new Recorded<>());
    loop.submit(acquire("c2"), new Recorded<>());
    loop.submit(acquire("c3"), new Recorded<>()); // held: the org has 2 slots
    loop.submit(new Commands.Release("org", "c1"), new Recorded<>()); // dispatches c3
    loop.step();
    assertEquals(List.of(), seen, "audit and metrics must not record what a crash could undo");
    log.synced();
    loop.step();
    assertEquals(List.of("applied PutOrg", "applied Acquire", "applied Acquire", "applied Acquire",
        "applied Release", "event LeaseEnded", "event Dispatched"), seen);
  }

  @Test
  void aCommandThatThrowsHaltsTheLoopAndFailsItsTurn() {
    FakeLog log = new FakeLog();
    Applier faulty = new Applier() {
      @Override
      public <R> R apply(Commands.Command<R> command, Engine engine, long now) {
        if (command instanceof Commands.Acquire a && a.callId().equals("poison")) {
          throw new IllegalStateException("injected fault");
        }
        return command.applyTo(engine, now);
      }
    };
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16, faulty);
    AtomicBoolean halted = new AtomicBoolean();
    loop.onLogFailure(() -> halted.set(true));
    Recorded<Object> put = new Recorded<>();
    loop.submit(putOrg(), put);
    loop.step();
    log.synced();
    loop.step();
    assertInstanceOf(Results.OrgView.class, put.got.get(0));

    Recorded<Object> before = new Recorded<>();
    Recorded<Object> poison = new Recorded<>();
    Recorded<Object> after = new Recorded<>();
    loop.submit(acquire("c1"), before);
    loop.submit(acquire("poison"), poison);
    loop.submit(acquire("c2"), after);
    loop.step();
    assertTrue(halted.get(), "health is told at once");
    assertEquals(List.of("append PutOrg", "commit", "commit", "append Acquire", "append Acquire", "commit"),
        log.calls, "the record that threw stays in the log for a restart to name; nothing after it is applied");
    log.synced();
    loop.step();
    for (Recorded<Object> r : List.of(before, poison, after)) {
      IOException e = assertInstanceOf(IOException.class, r.got.get(0), "the whole turn is UNAVAILABLE");
      assertTrue(e.getMessage().contains("applying journal entry 2 (fake-segment.log, byte offset 200:")
          && e.getMessage().contains("poison") && e.getMessage().contains("injected fault"), e.getMessage());
    }
    Recorded<Object> later = new Recorded<>();
    loop.submit(acquire("c3"), later);
    loop.step();
    assertInstanceOf(IOException.class, later.got.get(0), "nothing is applied after the fault");
    assertEquals(3, log.calls.stream().filter(c -> c.startsWith("append")).count(),
        "the later command was never appended");
  }

  @Test
  void aFailedLogFailsEveryTurnNotYetDurableAndStopsFurtherCommands() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    AtomicBoolean told = new AtomicBoolean();
    loop.onLogFailure(() -> told.set(true));
    Recorded<Object> put = new Recorded<>();
    Recorded<Object> read = new Recorded<>();
    loop.submit(putOrg(), put);
    loop.read((engine, now) -> engine.getOrg("org"), read);
    loop.step();
    log.fail("disk full");
    loop.step();
    assertInstanceOf(IOException.class, put.got.get(0), "not answered as done");
    assertInstanceOf(IOException.class, read.got.get(0), "a read of the failed turn is answered too");
    assertTrue(told.get(), "health is told");

    Recorded<Object> later = new Recorded<>();
    loop.submit(acquire("c2"), later);
    loop.step();
    assertInstanceOf(IOException.class, later.got.get(0), "nothing is applied after a log failure");
    assertEquals(List.of("append PutOrg", "commit", "commit", "commit"), log.calls,
        "the later command was never appended");
  }

  @Test
  void aTaskThatThrowsIsLoggedAndTheRestOfItsTurnIsStillAnswered() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    List<String> runs = new ArrayList<>();
    Recorded<Object> put = new Recorded<>();
    Recorded<Object> acquire = new Recorded<>();
    loop.submit(putOrg(), put);
    loop.offer((turns, now, out) -> {
      runs.add("thrown");
      throw new IllegalStateException("injected fault outside any command");
    });
    loop.submit(acquire("c1"), acquire);
    loop.step();
    assertEquals(List.of("append PutOrg", "append Acquire", "commit"), log.calls,
        "the commands around it are applied and committed");
    log.synced();
    loop.step();
    assertInstanceOf(Results.OrgView.class, put.got.get(0));
    assertInstanceOf(Results.Granted.class, acquire.got.get(0));
    assertEquals(List.of("thrown"), runs, "it ran once");
  }

  @Test
  void anErrorInATurnHaltsTheLoopAndAnswersEveryRequestOfTheTurn() {
    FakeLog log = new FakeLog();
    EventLoop loop = new EventLoop(new Engine(), log, CLOCK, 16);
    AtomicBoolean halted = new AtomicBoolean();
    loop.onLogFailure(() -> halted.set(true));
    loop.submit(putOrg(), new Recorded<>());
    loop.step();
    log.synced();
    loop.step();

    List<String> runs = new ArrayList<>();
    Recorded<Object> before = new Recorded<>();
    Recorded<Object> read = new Recorded<>();
    loop.submit(acquire("c1"), before);
    loop.read((engine, now) -> engine.getOrg("org"), read);
    loop.offer((turns, now, out) -> {
      runs.add("thrown");
      throw new OutOfMemoryError("injected: Java heap space");
    });
    Recorded<Object> after = new Recorded<>();
    loop.submit(acquire("c2"), after);
    loop.step(); // the error does not escape the loop's thread
    assertTrue(halted.get(), "health is told at once");
    log.synced();
    loop.step();
    for (Recorded<Object> r : List.of(before, read, after)) {
      IOException e = assertInstanceOf(IOException.class, r.got.get(0),
          "answered UNAVAILABLE, not left waiting: the turn's events may be half collected");
      assertTrue(e.getMessage().contains("Java heap space"), e.getMessage());
    }

    Recorded<Object> later = new Recorded<>();
    loop.submit(acquire("c3"), later);
    loop.step();
    assertInstanceOf(IOException.class, later.got.get(0), "nothing is applied after the error");
    assertEquals(List.of("thrown"), runs, "the failed turn's batch was cleared, not run again");
  }

  private static Commands.PutOrg putOrg() {
    return new Commands.PutOrg(new OrgConfig("org", 2, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT));
  }

  private static Commands.Acquire acquire(String id) {
    return new Commands.Acquire("org", id, "", CallType.OUTBOUND, "", "", 0, 0);
  }
}
