package io.admission.server.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.RandomHistories;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Snapshots;
import io.admission.server.journal.proto.SnapshotEnd;
import io.admission.server.journal.proto.SnapshotPart;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots are written and read as a stream of parts. A snapshot written as one message (by a
 * server before the streamed form) still restores, in a data directory and in a cluster; a
 * streamed one cut short or damaged stops the start naming the file, as a whole one did.
 */
class StreamedSnapshotTest {
  private static final Journal.Options NO_SNAPSHOTS =
      new Journal.Options(4096, Long.MAX_VALUE, Long.MAX_VALUE);
  private static final Journal.Options OFTEN = new Journal.Options(4096, 37, Long.MAX_VALUE);

  @TempDir Path tmp;

  @Test
  void aSnapshotWrittenAsOneMessageStillRestoresAndTheNextIsStreamed() throws Exception {
    for (long seed = 1; seed <= 12; seed++) {
      Path dir = tmp.resolve("old-" + seed);
      RandomHistories history = new RandomHistories(seed);
      Engine live = new Engine();
      run(dir, NO_SNAPSHOTS, history, live, 250);
      long next;
      EngineSnapshot state;
      try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
        next = journal.nextEntry();
        state = Snapshots.capture(journal.engine());
      }
      // As the server before the streamed form left it: the state in one message, the journal
      // it covers deleted.
      writeFramed(dir.resolve(String.format("state-%020d.snap", next)),
          JournalCodec.encode(state, next).toByteArray());
      for (Path segment : files(dir, ".log")) {
        Files.delete(segment);
      }
      assertEquals(Snapshots.capture(live), reopen(dir, history.lastAt()), "seed " + seed);
      run(dir, OFTEN, history, live, 150); // snapshots again, streamed now
      assertTrue(firstByteOfNewestSnapshot(dir) == 0, "seed " + seed + ": a streamed snapshot");
      assertEquals(Snapshots.capture(live), reopen(dir, history.lastAt()), "seed " + seed);
    }
  }

  /**
   * format2/one-message-200-calls.snap: written by the server before the streamed form, at entry
   * 401, after {@link RememberedCallsProcess} put an org and acquired and released 200 calls.
   */
  @Test
  void aSnapshotFileWrittenBeforeTheStreamedFormRestoresEveryCall() throws Exception {
    Path dir = tmp.resolve("written-before");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("FORMAT"), "2\n");
    try (var in = getClass().getResourceAsStream("format2/one-message-200-calls.snap")) {
      Files.copy(in, dir.resolve(String.format("state-%020d.snap", 401)));
    }
    try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
      assertEquals(401, journal.nextEntry());
      Engine engine = journal.engine();
      EngineSnapshot state = Snapshots.capture(engine);
      assertEquals(200, state.orgs().get(0).calls().size());
      for (int i = 0; i < 200; i++) {
        Object answer = RememberedCallsProcess.acquire(i).applyTo(engine, state.lastNow());
        assertTrue(answer instanceof Rejection r && r.reason() instanceof Rejection.CallEnded,
            "call " + i + ": " + answer);
      }
    }
  }

  @Test
  void aStreamedSnapshotCutShortStopsTheStart() throws Exception {
    Path dir = snapshotted("short");
    Path snapshot = files(dir, ".snap").get(0);
    byte[] bytes = Files.readAllBytes(snapshot);
    Files.write(snapshot, Arrays.copyOf(bytes, bytes.length - 5));
    IOException e = assertThrows(IOException.class, () -> Journal.open(dir, OFTEN));
    assertTrue(e.getMessage().contains(snapshot + " is damaged at byte offset 0: length field "
        + (bytes.length - 8) + " does not match the file size " + (bytes.length - 5)), e.getMessage());
  }

  @Test
  void aDamagedStreamedSnapshotStopsTheStartAsAChecksumMismatch() throws Exception {
    Path dir = snapshotted("flipped");
    Path snapshot = files(dir, ".snap").get(0);
    byte[] bytes = Files.readAllBytes(snapshot);
    bytes[bytes.length / 2] ^= 0x10;
    Files.write(snapshot, bytes);
    IOException e = assertThrows(IOException.class, () -> Journal.open(dir, OFTEN));
    assertTrue(e.getMessage().contains(snapshot + " is damaged at byte offset 8: checksum mismatch"),
        e.getMessage());
  }

  @Test
  void aStreamedSnapshotWithoutItsEndPartIsNeverTakenForAWholeOne() throws Exception {
    Engine engine = engineAfter(3, 200);
    Snapshots.Taken taken = Snapshots.take(engine);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    JournalCodec.writeSnapshot(taken, 0, out);
    byte[] whole = out.toByteArray();
    long calls = Snapshots.expand(taken).orgs().stream().mapToLong(o -> o.calls().size()).sum();
    SnapshotPart end = SnapshotPart.newBuilder().setEnd(
        SnapshotEnd.newBuilder().setOrgs(taken.orgs().size()).setCalls(calls)).build();
    int endBytes = CodedOutputStream.computeUInt32SizeNoTag(end.getSerializedSize())
        + end.getSerializedSize();
    byte[] cut = Arrays.copyOf(whole, whole.length - endBytes);

    // In a data directory: framed and checksummed as a whole snapshot would be.
    Path dir = tmp.resolve("no-end");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("FORMAT"), "2\n");
    Path snapshot = dir.resolve(String.format("state-%020d.snap", 0));
    writeFramed(snapshot, cut);
    IOException e = assertThrows(IOException.class, () -> Journal.open(dir, OFTEN));
    assertTrue(e.getMessage().contains(snapshot + " is damaged at byte offset 8: not a valid"
        + " snapshot: the snapshot ends after " + taken.orgs().size() + " orgs and " + calls
        + " calls without its end part: it was cut short"), e.getMessage());
    // In a cluster, whose snapshot files have no frame of their own.
    IOException r = assertThrows(IOException.class,
        () -> ReplicatedEntries.readSnapshot(new ByteArrayInputStream(cut), IdHashKey.PUBLIC));
    assertTrue(r.getMessage().contains("it was cut short"), r.getMessage());
  }

  @Test
  void aClusterSnapshotRestoresStreamedAndWrittenAsOneMessage() throws Exception {
    for (long seed = 1; seed <= 12; seed++) {
      Engine engine = engineAfter(seed, 300);
      EngineSnapshot state = Snapshots.capture(engine);
      ByteArrayOutputStream streamed = new ByteArrayOutputStream();
      ReplicatedEntries.writeSnapshot(Snapshots.take(engine), streamed);
      assertEquals(state, Snapshots.capture(ReplicatedEntries.readSnapshot(
          new ByteArrayInputStream(streamed.toByteArray()), IdHashKey.PUBLIC)), "seed " + seed);
      byte[] oneMessage = JournalCodec.encode(state, 0).toByteArray();
      assertEquals(state, Snapshots.capture(ReplicatedEntries.readSnapshot(
          new ByteArrayInputStream(oneMessage), IdHashKey.PUBLIC)), "seed " + seed);
    }
  }

  private static Engine engineAfter(long seed, int steps) {
    Engine engine = new Engine();
    for (RandomHistories.Stamped s : new RandomHistories(seed).next(steps)) {
      s.command().applyTo(engine, s.at());
    }
    engine.drainEvents();
    return engine;
  }

  private Path snapshotted(String name) throws Exception {
    Path dir = tmp.resolve(name);
    run(dir, OFTEN, new RandomHistories(9), new Engine(), 100);
    assertEquals(1, files(dir, ".snap").size(), "one snapshot, the newest");
    return dir;
  }

  /** As DataDir frames a snapshot: length, CRC32C, payload. */
  private static void writeFramed(Path file, byte[] payload) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(Records.HEADER + payload.length);
    Records.write(buf, payload);
    Files.write(file, buf.array());
  }

  private static int firstByteOfNewestSnapshot(Path dir) throws IOException {
    List<Path> snapshots = files(dir, ".snap");
    try (FileChannel in = FileChannel.open(snapshots.get(snapshots.size() - 1), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      in.read(b, Records.HEADER);
      return b.get(0);
    }
  }

  private static List<Path> files(Path dir, String suffix) throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(suffix)).sorted().toList();
    }
  }

  /** As JournalTest writes a history: as the loop does, mirrored on {@code live}. */
  private static void run(Path dir, Journal.Options options, RandomHistories history, Engine live,
      int steps) throws Exception {
    try (Journal journal = Journal.open(dir, options)) {
      Engine durable = journal.engine();
      int inTurn = 0;
      for (RandomHistories.Stamped s : history.next(steps)) {
        long entry = journal.append(s.command(), s.at());
        if (s.command().applyTo(durable, s.at()) instanceof Rejection) {
          journal.retract(entry);
        }
        s.command().applyTo(live, s.at());
        if (++inTurn >= 1 + (int) (s.at() % 6)) {
          journal.commit();
          journal.checkpoint(durable, s.at());
          inTurn = 0;
        }
      }
      journal.flush();
      journal.awaitSnapshot();
    }
  }

  private static EngineSnapshot reopen(Path dir, long at) throws IOException {
    try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
      new Commands.Tick().applyTo(journal.engine(), at);
      return Snapshots.capture(journal.engine());
    }
  }
}
