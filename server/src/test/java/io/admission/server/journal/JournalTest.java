package io.admission.server.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.RandomHistories;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Snapshots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal rebuilds exactly the live state: random command histories written as the loop
 * writes them (append, apply, sync, checkpoint per turn), then reopened — with and without
 * snapshots in the middle, across segment rolls — must capture equal to the live engine. Damage:
 * a torn last record is cut off; anything else stops the start naming the file and offset.
 */
class JournalTest {
  private static final Journal.Options NO_SNAPSHOTS = new Journal.Options(4096, Long.MAX_VALUE, Long.MAX_VALUE);
  private static final Journal.Options OFTEN = new Journal.Options(4096, 37, Long.MAX_VALUE);

  @TempDir Path tmp;

  @Test
  void replayWithoutSnapshotsRebuildsTheLiveState() throws Exception {
    for (long seed = 1; seed <= 25; seed++) {
      assertReplayMatches(tmp.resolve("plain-" + seed), seed, NO_SNAPSHOTS, 300);
    }
  }

  @Test
  void replayFromASnapshotInTheMiddleRebuildsTheLiveState() throws Exception {
    for (long seed = 1; seed <= 25; seed++) {
      Path dir = tmp.resolve("snap-" + seed);
      assertReplayMatches(dir, seed, OFTEN, 300);
      try (var files = Files.list(dir)) {
        assertTrue(files.anyMatch(f -> f.toString().endsWith(".snap")), "a snapshot was written");
      }
    }
  }

  @Test
  void reopenedJournalKeepsAppendingWhereItStopped() throws Exception {
    Path dir = tmp.resolve("twice");
    RandomHistories history = new RandomHistories(7);
    Engine live = new Engine();
    run(dir, OFTEN, history, live, 120);
    run(dir, OFTEN, history, live, 120); // continues on the recovered engine, same history
    assertEquals(Snapshots.capture(live), reopen(dir, history.lastAt()));
  }

  @Test
  void tornLastRecordIsCutOffAndTheRestSurvives() throws Exception {
    Path dir = tmp.resolve("torn");
    RandomHistories history = new RandomHistories(3);
    Engine live = new Engine();
    run(dir, NO_SNAPSHOTS, history, live, 50);
    Path newest = newestSegment(dir);
    long before = Files.size(newest);
    // A crash mid-write: a header promising 100 bytes, and only 10 of them.
    Files.write(newest, new byte[] {0, 0, 0, 100, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, StandardOpenOption.APPEND);
    assertEquals(Snapshots.capture(live), reopen(dir, history.lastAt()));
    assertEquals(before, Files.size(newest), "the torn record was cut off");
  }

  @Test
  void damageInTheMiddleStopsTheStartNamingFileAndOffset() throws Exception {
    Path dir = tmp.resolve("middle");
    RandomHistories history = new RandomHistories(5);
    run(dir, NO_SNAPSHOTS, history, new Engine(), 80);
    Path first = Files.list(dir).filter(f -> f.toString().endsWith(".log")).sorted().findFirst().orElseThrow();
    byte[] bytes = Files.readAllBytes(first);
    bytes[12] ^= 0x40; // inside the first record's payload; more records follow
    Files.write(first, bytes);
    IOException e = assertThrows(IOException.class, () -> Journal.open(dir, NO_SNAPSHOTS));
    assertTrue(e.getMessage().contains(first.toString()) && e.getMessage().contains("offset 0"), e.getMessage());
  }

  @Test
  void badSnapshotStopsTheStartNamingTheFile() throws Exception {
    Path dir = tmp.resolve("badsnap");
    run(dir, OFTEN, new RandomHistories(9), new Engine(), 100);
    Path snapshot = Files.list(dir).filter(f -> f.toString().endsWith(".snap")).findFirst().orElseThrow();
    byte[] bytes = Files.readAllBytes(snapshot);
    bytes[bytes.length - 3] ^= 0x01;
    Files.write(snapshot, bytes);
    IOException e = assertThrows(IOException.class, () -> Journal.open(dir, OFTEN));
    assertTrue(e.getMessage().contains(snapshot.toString()), e.getMessage());
  }

  @Test
  void oneServerPerDataDirectory() throws Exception {
    Path dir = tmp.resolve("locked");
    try (Journal first = Journal.open(dir, NO_SNAPSHOTS)) {
      IOException e = assertThrows(IOException.class, () -> Journal.open(dir, NO_SNAPSHOTS));
      assertTrue(e.getMessage().contains("another admission server"), e.getMessage());
      assertEquals(0, first.nextEntry());
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  private void assertReplayMatches(Path dir, long seed, Journal.Options options, int steps) throws Exception {
    RandomHistories history = new RandomHistories(seed);
    Engine live = new Engine();
    run(dir, options, history, live, steps);
    assertEquals(Snapshots.capture(live), reopen(dir, history.lastAt()), "seed " + seed);
  }

  /**
   * Writes {@code steps} commands of {@code history} as the loop does, on the engine recovered
   * from {@code dir}, mirroring them on {@code live}.
   */
  private static void run(Path dir, Journal.Options options, RandomHistories history, Engine live, int steps)
      throws Exception {
    try (Journal journal = Journal.open(dir, options)) {
      Engine durable = journal.engine();
      int inTurn = 0;
      for (RandomHistories.Stamped s : history.next(steps)) {
        long entry = journal.append(s.command(), s.at());
        if (s.command().applyTo(durable, s.at()) instanceof Rejection) {
          journal.retract(entry); // as the loop does: a refused command changed nothing
        }
        s.command().applyTo(live, s.at());
        if (++inTurn >= 1 + (int) (s.at() % 6)) { // turns of 1 to 6 commands share one commit
          journal.commit();
          journal.checkpoint(durable, s.at());
          inTurn = 0;
        }
      }
      journal.flush();
      journal.awaitSnapshot();
    }
  }

  /** The state recovered from {@code dir}, with time advanced to the last command's time. */
  private static EngineSnapshot reopen(Path dir, long at) throws IOException {
    try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
      new Commands.Tick().applyTo(journal.engine(), at);
      return Snapshots.capture(journal.engine());
    }
  }

  private static Path newestSegment(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      List<Path> segments = files.filter(f -> f.toString().endsWith(".log")).sorted().toList();
      return segments.get(segments.size() - 1);
    }
  }
}
