package io.admission.server.engine;

import static io.admission.server.engine.SeatFixture.HOUR;
import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.SECOND;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Taking a snapshot reads state and changes nothing. Snapshots are taken at moments
 * that are not in the command log, so a capture that changed the engine would make a live server
 * and one replaying the same log decide differently. The history here makes that visible: a login
 * counts starts, its window is shortened, a snapshot is taken, the window is made longer again,
 * and the next calls are decided; an untouched twin engine replays the same commands without the
 * snapshot.
 */
class SnapshotReadsOnlyTest {
  private static final String ORG = "acme";
  private static final String NUMBER = "+15550001";

  record At(Commands.Command<?> command, long now) {}

  /**
   * alice may start 3 calls per 10 min and counts starts at T0, T0+1 min and T0+2 min; the
   * number's only start, two hours earlier, has left its rolling hour. At T0+150 s alice's window
   * is shortened to 1 min: only the start at T0+2 min is still inside it.
   */
  private static List<At> history() {
    OrgConfig config = new OrgConfig(ORG, 10, Optional.empty(), ZoneId.of("UTC"),
        OptionalLong.of(8 * HOUR), loginLimits(0, 3, 10 * MINUTE), NumberLimits.INHERIT);
    List<At> out = new ArrayList<>();
    out.add(new At(new Commands.PutOrg(config), T0 - 2 * HOUR));
    out.add(new At(acquire("early", "", NUMBER), T0 - 2 * HOUR));
    out.add(new At(new Commands.Release(ORG, "early"), T0 - 2 * HOUR));
    for (int i = 0; i < 3; i++) {
      out.add(new At(acquire("s" + i, "alice", ""), T0 + i * MINUTE));
      out.add(new At(new Commands.Release(ORG, "s" + i), T0 + i * MINUTE));
    }
    out.add(new At(new Commands.SetLoginLimits(ORG, "alice", loginLimits(null, null, MINUTE)),
        T0 + 150 * SECOND));
    return out;
  }

  /** The window back at 10 min, then three calls of alice and time passing. */
  private static List<At> future() {
    return List.of(
        new At(new Commands.SetLoginLimits(ORG, "alice", LoginLimits.INHERIT), T0 + 165 * SECOND),
        new At(acquire("d1", "alice", ""), T0 + 3 * MINUTE),
        new At(acquire("d2", "alice", ""), T0 + 3 * MINUTE + SECOND),
        new At(acquire("d3", "alice", ""), T0 + 3 * MINUTE + 2 * SECOND),
        new At(new Commands.Tick(), T0 + 20 * MINUTE));
  }

  private static Commands.Acquire acquire(String id, String login, String number) {
    return new Commands.Acquire(ORG, id, "", CallType.OUTBOUND, login, number, 0, 0);
  }

  private static Engine replay(List<At> commands) {
    Engine engine = new Engine();
    apply(engine, commands);
    engine.drainEvents();
    return engine;
  }

  /** Each command's result, then the events it caused, as text. */
  private static List<String> apply(Engine engine, List<At> commands) {
    List<String> out = new ArrayList<>();
    for (At at : commands) {
      out.add(at.now() + " " + at.command() + " -> " + at.command().applyTo(engine, at.now()));
      engine.drainEvents().forEach(e -> out.add("  " + e));
    }
    return out;
  }

  private static Login alice(Engine engine) {
    return engine.org(ORG).logins.get("alice");
  }

  private static CallerNumber number(Engine engine) {
    return engine.org(ORG).numbers.get(NUMBER);
  }

  /** The login's entry in the logins part: its window timer, then its counted starts. */
  private static EngineSnapshot.LoginWindow window(EngineSnapshot s, String login) {
    EngineSnapshot.Entry e = s.orgs().get(0).limits().stream()
        .filter(p -> p.limit().equals(ConcurrencyWindowLimit.LOGINS.name()))
        .flatMap(p -> p.entries().stream())
        .filter(x -> x.key().equals(login)).findFirst().orElseThrow();
    return new EngineSnapshot.LoginWindow(
        e.key(), e.values().subList(1, e.values().size()), e.values().get(0));
  }

  @Test
  void capturingChangesNothingInTheEngine() {
    Engine live = replay(history());
    long[] aliceBefore = alice(live).starts.toArray();
    long[] numberBefore = number(live).starts.toArray();

    EngineSnapshot first = Snapshots.capture(live);

    assertArrayEquals(aliceBefore, alice(live).starts.toArray(), "alice's starts are as they were");
    assertArrayEquals(numberBefore, number(live).starts.toArray(), "the number's starts too");
    assertEquals(first, Snapshots.capture(live), "capture, capture again: equal");
    assertEquals(first, Snapshots.capture(Snapshots.restore(first, IdHashKey.PUBLIC)),
        "capture(restore(capture(engine))) == capture(engine)");
  }

  @Test
  void decisionsAfterACaptureAreThoseOfAnEngineThatTookNone() {
    Engine live = replay(history());
    Engine twin = replay(history());
    Snapshots.capture(live);

    List<String> decided = apply(live, future());

    assertEquals(apply(twin, future()), decided);
    assertEquals(Snapshots.capture(twin), Snapshots.capture(live));
  }

  @Test
  void capturesAroundAWindowChangeHoldTheStartsThatCount() {
    Engine live = replay(history());
    EngineSnapshot shortened = Snapshots.capture(live);
    assertEquals(List.of(T0 + 2 * MINUTE), window(shortened, "alice").starts(),
        "inside the 1 min window at T0+150 s: only the start at T0+2 min");
    assertArrayEquals(new long[] {T0, T0 + MINUTE, T0 + 2 * MINUTE}, alice(live).starts.toArray(),
        "the capture only read them: the engine holds what it held before");

    apply(live, future().subList(0, 1)); // the window is 10 min again
    EngineSnapshot lengthened = Snapshots.capture(live);

    assertEquals(List.of(T0 + 2 * MINUTE), window(lengthened, "alice").starts(),
        "made longer, it counts only the starts still inside the shorter one when it changed");
    assertEquals(1, alice(live).lastWindow(live.org(ORG), T0 + 165 * SECOND));
  }

  @Test
  void anEngineRestoredFromTheSnapshotDecidesAsTheLiveOne() {
    Engine live = replay(history());
    Engine restored = Snapshots.restore(Snapshots.capture(live), IdHashKey.PUBLIC);

    List<String> decided = apply(restored, future());

    assertEquals(apply(live, future()), decided, "as the live engine that took the snapshot");
    assertEquals(apply(replay(history()), future()), decided, "as a replay without a snapshot");
    assertEquals(Snapshots.capture(live), Snapshots.capture(restored));
  }
}
