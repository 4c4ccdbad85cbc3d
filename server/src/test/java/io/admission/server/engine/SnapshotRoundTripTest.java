package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A restored engine is the live engine: capture → restore → capture is the identity, and both
 * then answer the same further commands identically — results, events and state.
 */
class SnapshotRoundTripTest {
  private static final int SEEDS = 150;
  private static final int STEPS = 400;

  @Test
  void restoredEngineBehavesExactlyAsTheLiveOne() {
    for (long seed = 1; seed <= SEEDS; seed++) {
      RandomCommands commands = new RandomCommands(seed);
      Engine live = new Engine();
      commands.setup().forEach(s -> s.command().applyTo(live, s.at()));
      int snapshotAt = (int) (seed * 7919 % STEPS);
      Engine restored = null;
      for (int step = 0; step < STEPS; step++) {
        if (step == snapshotAt) {
          EngineSnapshot snapshot = Snapshots.capture(live);
          restored = Snapshots.restore(snapshot, IdHashKey.PUBLIC);
          live.drainEvents();
          assertEquals(snapshot, Snapshots.capture(restored),
              "seed " + seed + " step " + step + ": capture(restore(s)) != s");
          assertEquals(live.timers.describe(), restored.timers.describe(),
              "seed " + seed + " step " + step + ": timers");
        }
        RandomCommands.Stamped s = commands.next();
        Object expected = s.command().applyTo(live, s.at());
        if (restored != null) {
          Object actual = s.command().applyTo(restored, s.at());
          String where = "seed " + seed + " step " + step + " " + s.command();
          assertEquals(String.valueOf(expected), String.valueOf(actual), where + ": result");
          assertEquals(events(live), events(restored), where + ": events");
          assertEquals(Snapshots.capture(live), Snapshots.capture(restored), where + ": state");
        }
      }
    }
  }

  private static List<String> events(Engine engine) {
    List<String> out = new ArrayList<>();
    engine.drainEvents().forEach(e -> out.add(e.toString()));
    return out;
  }
}
