package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * A snapshot taken for writing ({@link Snapshots#take}: live calls as values, remembered calls as
 * a copy of their bytes) holds exactly what {@link Snapshots#capture} holds, still does after the
 * engine went on (forgot those calls, reused their bytes), and an engine restored from it piece by
 * piece ({@link Snapshots.Restoring}, remembered calls in the order they ended) is the live one.
 */
class TakenSnapshotTest {
  @Test
  void takenStateIsTheCapturedStateAndRestoresToTheLiveEngine() {
    for (long seed = 1; seed <= 60; seed++) {
      RandomCommands commands = new RandomCommands(seed);
      Engine live = new Engine();
      commands.setup().forEach(s -> s.command().applyTo(live, s.at()));
      int snapshotAt = (int) (seed * 7919 % 300);
      Engine restored = null;
      for (int step = 0; step < 300; step++) {
        if (step == snapshotAt) {
          EngineSnapshot captured = Snapshots.capture(live);
          Snapshots.Taken taken = Snapshots.take(live);
          assertEquals(captured, Snapshots.expand(taken), "seed " + seed + ": expand(take) != capture");
          restored = restoreInPieces(taken);
          live.drainEvents();
          assertEquals(captured, Snapshots.capture(restored), "seed " + seed + ": restored state");
          assertEquals(live.timers.describe(), restored.timers.describe(), "seed " + seed + ": timers");
        }
        RandomCommands.Stamped s = commands.next();
        Object expected = s.command().applyTo(live, s.at());
        if (restored != null) {
          Object actual = s.command().applyTo(restored, s.at());
          String where = "seed " + seed + " step " + step + " " + s.command();
          assertEquals(String.valueOf(expected), String.valueOf(actual), where + ": result");
          assertEquals(String.valueOf(live.drainEvents()), String.valueOf(restored.drainEvents()),
              where + ": events");
        }
      }
    }
  }

  @Test
  void theCopyKeepsItsCallsWhileTheEngineForgetsThemAndReusesTheirBytes() {
    Engine live = new Engine();
    long t0 = 1_780_000_000_000L;
    new Commands.PutOrg(new OrgConfig("org", 100, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)).applyTo(live, t0);
    // More than one full-size chunk of remembered calls: dropped chunks are reused.
    int calls = 80_000;
    endCalls(live, "a", calls, t0);
    EngineSnapshot before = Snapshots.capture(live);
    Snapshots.Taken taken = Snapshots.take(live);
    long later = t0 + Engine.REMEMBER_ENDED_MILLIS + 60_000;
    endCalls(live, "b", calls, later); // the first ones are forgotten, their chunks reused
    assertEquals(calls, count(Snapshots.capture(live), "b"), "the engine went on");
    assertEquals(before, Snapshots.expand(taken));
    assertEquals(before, Snapshots.capture(restoreInPieces(taken)));
  }

  @Test
  void aCallOfAnOrgNotGivenBeforeIsRefused() {
    Engine live = new Engine();
    new Commands.PutOrg(new OrgConfig("org", 1, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)).applyTo(live, 1_000);
    endCalls(live, "a", 1, 1_000);
    Snapshots.Taken taken = Snapshots.take(live);
    Snapshots.Restoring restoring = new Snapshots.Restoring(taken.nextSeq(), taken.lastNow(), IdHashKey.PUBLIC);
    List<EngineSnapshot.CallState> remembered = new ArrayList<>();
    taken.remembered().forEach(remembered::add);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> restoring.call(remembered.get(0)));
    assertEquals("snapshot: call a-0 of org org, an org the snapshot has not given", e.getMessage());
  }

  private static Engine restoreInPieces(Snapshots.Taken taken) {
    Snapshots.Restoring restoring = new Snapshots.Restoring(taken.nextSeq(), taken.lastNow(), IdHashKey.PUBLIC);
    taken.orgs().forEach(restoring::org);
    taken.remembered().forEach(restoring::call);
    return restoring.finish();
  }

  private static void endCalls(Engine engine, String prefix, int calls, long at) {
    for (int i = 0; i < calls; i++) {
      String callId = prefix + "-" + i;
      new Commands.Acquire("org", callId, "agent", CallType.OUTBOUND, "", "", 60_000, 0)
          .applyTo(engine, at + i / 100);
      new Commands.Release("org", callId).applyTo(engine, at + i / 100);
      engine.drainEvents();
    }
  }

  private static long count(EngineSnapshot s, String prefix) {
    return s.orgs().get(0).calls().stream().filter(c -> c.request().callId().startsWith(prefix)).count();
  }
}
