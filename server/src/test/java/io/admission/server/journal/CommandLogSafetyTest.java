package io.admission.server.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.RandomHistories;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.engine.Snapshots;
import io.admission.server.loop.Applier;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the command log promises beyond replay (JournalTest): the format on disk is the engine's
 * own and an old one is converted, never misread; a logged command that throws stops the server
 * and every later start at the same record, with the same words; a snapshot that cannot be
 * written is counted and costs nothing.
 */
class CommandLogSafetyTest {
  private static final Journal.Options NO_SNAPSHOTS = new Journal.Options(4096, Long.MAX_VALUE, Long.MAX_VALUE);
  private static final Journal.Options OFTEN = new Journal.Options(4096, 10, Long.MAX_VALUE);
  private static final long T0 = 1_790_000_000_000L;

  @TempDir Path tmp;

  @Test
  void aFormat1DirectoryIsConvertedOnceAndKeepsItsState() throws Exception {
    // Written by the server before format 2 (org acme: limit 2, one inbound slot reserved for
    // agent support; c1 granted, c2 cancelled while held, c3 c5 c6 held, c4 granted and released).
    Path dir = tmp.resolve("format1");
    Files.createDirectories(dir);
    for (String name : List.of("segment-00000000000000000008.log", "snapshot-00000000000000000008.snap")) {
      try (InputStream in = getClass().getResourceAsStream("format1/" + name)) {
        Files.copy(in, dir.resolve(name));
      }
    }
    EngineSnapshot converted;
    try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
      converted = Snapshots.capture(journal.engine());
    }
    assertEquals("2", Files.readString(dir.resolve("FORMAT")).trim());
    assertEquals(List.of("FORMAT", "LOCK", "journal-00000000000000000000.log", "state-00000000000000000000.snap"),
        names(dir), "the format 1 files are gone once converted");

    EngineSnapshot.Org acme = converted.orgs().get(0);
    assertEquals("acme", acme.config().orgId());
    assertEquals(2, acme.config().concurrencyLimit());
    assertEquals(ZoneId.of("Europe/Paris"), acme.config().timeZone());
    assertEquals(List.of(new Results.Reservation("support", CallType.INBOUND, 1)), acme.reservations());
    assertEquals("alice", acme.loginOverrides().get(0).loginId());
    assertEquals("+15550001", acme.numberOverrides().get(0).number());
    TreeMap<String, String> calls = new TreeMap<>();
    acme.calls().forEach(c -> calls.put(c.request().callId(),
        c.phase() + (c.endReason() == null ? "" : " " + c.endReason())));
    assertEquals("{c1=ACTIVE, c2=ENDED CANCELLED, c3=HELD, c4=ENDED RELEASED, c5=HELD, c6=HELD}", calls.toString());
    assertEquals(List.of("c3", "c5", "c6"), acme.calls().stream()
        .filter(c -> c.phase() == EngineSnapshot.Phase.HELD).map(c -> c.request().callId()).toList(),
        "the queue keeps its order");

    try (Journal again = Journal.open(dir, NO_SNAPSHOTS)) {
      assertEquals(converted, Snapshots.capture(again.engine()), "a second start reads format 2 as it is");
    }
  }

  @Test
  void everyCommandDecodesToWhatWasEncoded() throws Exception {
    OrgConfig full = new OrgConfig("org", 7,
        Optional.of(new io.admission.server.engine.DailyCap(100,
            List.of(new io.admission.server.engine.DailyCap.RampStep(7, 50)), java.time.LocalDate.of(2026, 12, 1),
            java.util.EnumSet.of(CallType.OUTBOUND, CallType.CHAT))),
        ZoneId.of("America/New_York"), OptionalLong.of(60_000),
        new LoginLimits(java.util.OptionalInt.of(3), java.util.OptionalInt.empty(), OptionalLong.of(900_000)),
        new NumberLimits(java.util.OptionalInt.empty(), java.util.OptionalInt.of(20), java.util.OptionalInt.of(0)));
    List<Commands.Command<?>> all = List.of(
        acquire("c1"),
        new Commands.Acquire("org", "c2", "agent", CallType.INBOUND, "login", "+1555", 30_000, 5_000),
        new Commands.Release("org", "c1"),
        new Commands.Renew("org", List.of("c1", "c2"), 120_000),
        new Commands.PutOrg(full),
        new Commands.SetReservation("org", "agent", CallType.WEBCALL, 2),
        new Commands.RemoveAgent("org", "agent"),
        new Commands.SetLoginLimits("org", "login", full.loginDefaults()),
        new Commands.SetLoginLimits("org", "login", LoginLimits.INHERIT),
        new Commands.SetNumberLimits("org", "+1555", full.numberDefaults()),
        new Commands.UpdateOrg(full, java.util.EnumSet.of(io.admission.server.engine.OrgField.DAILY_CAP,
            io.admission.server.engine.OrgField.LOGIN_WINDOW)),
        new Commands.DeleteOrg("org"),
        new Commands.ApplyConfig(List.of(new Commands.OrgSetup(full,
            List.of(new Results.Reservation("agent", CallType.CHAT, 1)),
            List.of(new Results.LoginOverride("login", full.loginDefaults())),
            List.of(new Results.NumberOverride("+1555", full.numberDefaults()))))));
    for (Commands.Command<?> command : all) {
      var record = JournalCodec.encode(command, T0);
      assertEquals(command, JournalCodec.decode(
          io.admission.server.journal.proto.Record.parseFrom(record.toByteArray())), command.toString());
    }
  }

  @Test
  void orgChangesSurviveARestart() throws Exception {
    Path dir = tmp.resolve("org-changes");
    Commands.UpdateOrg raise = new Commands.UpdateOrg(new OrgConfig("org", 9, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT),
        java.util.EnumSet.of(io.admission.server.engine.OrgField.CONCURRENCY_LIMIT));
    EngineSnapshot live;
    try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
      EventLoop loop = new EventLoop(journal.engine(), journal,
          InstantSource.fixed(Instant.ofEpochMilli(T0)), 64);
      answer(loop, putOrg());
      answer(loop, new Commands.PutOrg(new OrgConfig("gone", 1, Optional.empty(), ZoneOffset.UTC,
          OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)));
      assertInstanceOf(Results.OrgUpdated.class, answer(loop, raise));
      assertInstanceOf(Results.OrgDeleted.class, answer(loop, new Commands.DeleteOrg("gone")));
      live = Snapshots.capture(journal.engine());
    }
    try (Journal reopened = Journal.open(dir, NO_SNAPSHOTS)) {
      EngineSnapshot restored = Snapshots.capture(reopened.engine());
      assertEquals(live, restored);
      assertEquals(1, restored.orgs().size(), "the deleted org stays deleted");
      assertEquals(9, restored.orgs().get(0).config().concurrencyLimit());
    }
  }

  private static final Journal.Options EVERY_300 = new Journal.Options(64L << 20, 300, Long.MAX_VALUE);

  @Test
  void aSnapshotWaitsUntilTheJournalSinceTheLastOneOutgrowsIt() throws Exception {
    Path dir = tmp.resolve("amortized");
    try (Journal journal = Journal.open(dir, EVERY_300)) {
      long snapshotBytes = firstSnapshotThenSmallRecords(journal, dir);
      long renewBytes = (Files.size(dir.resolve("journal-00000000000000000301.log")) + 299) / 300;
      int more = (int) (snapshotBytes / renewBytes) + 1;
      journalTurn(journal, journal.engine(), Collections.nCopies(more, renew()));
      assertEquals(List.of(String.format("state-%020d.snap", journal.nextEntry())), snapshots(dir));
    }
  }

  @Test
  void aRestartGoesOnWithTheSnapshotRuleWhereTheLastRunLeftIt() throws Exception {
    Path dir = tmp.resolve("amortized-restart");
    long snapshotBytes;
    try (Journal journal = Journal.open(dir, EVERY_300)) {
      snapshotBytes = firstSnapshotThenSmallRecords(journal, dir);
    }
    long renewBytes = (Files.size(dir.resolve("journal-00000000000000000301.log")) + 299) / 300;
    try (Journal reopened = Journal.open(dir, EVERY_300)) {
      // More than 300 records since the snapshot, counting the 300 replayed, but fewer bytes.
      journalTurn(reopened, reopened.engine(), List.of(renew()));
      assertEquals(List.of("state-00000000000000000301.snap"), snapshots(dir),
          "a restart does not make a full snapshot due while the journal since it is smaller");
      int more = (int) (snapshotBytes / renewBytes) - 300 + 1;
      journalTurn(reopened, reopened.engine(), Collections.nCopies(more, renew()));
      assertEquals(List.of(String.format("state-%020d.snap", reopened.nextEntry())), snapshots(dir),
          "the records replayed at the start count towards the next snapshot");
    }
  }

  /** The first snapshot (due at once), then 300 records fewer bytes than it; its size. */
  private static long firstSnapshotThenSmallRecords(Journal journal, Path dir) throws Exception {
    Engine engine = journal.engine();
    List<Commands.Command<?>> calls = new java.util.ArrayList<>();
    calls.add(new Commands.PutOrg(new OrgConfig("org", 1000, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), new LoginLimits(java.util.OptionalInt.of(0), java.util.OptionalInt.of(0),
            OptionalLong.empty()), NumberLimits.INHERIT)));
    for (int i = 0; i < 300; i++) {
      calls.add(new Commands.Acquire("org", "a-rather-long-call-id-" + i, "agent-" + i, CallType.OUTBOUND,
          "login-" + i, "+1555000" + i, 0, 0));
    }
    journalTurn(journal, engine, calls);
    List<String> first = snapshots(dir);
    assertEquals(List.of("state-00000000000000000301.snap"), first, "the first snapshot is due at once");
    journalTurn(journal, engine, Collections.nCopies(300, renew()));
    assertTrue(journal.nextEntry() > 600);
    assertEquals(first, snapshots(dir), "not before the journal since it is as large as it");
    return Files.size(dir.resolve(first.get(0)));
  }

  private static Commands.Command<?> renew() {
    return new Commands.Renew("org", List.of("x"), 0);
  }

  private static void journalTurn(Journal journal, Engine engine, List<Commands.Command<?>> commands)
      throws Exception {
    for (Commands.Command<?> c : commands) {
      journal.append(c, T0);
      c.applyTo(engine, T0);
    }
    journal.commit();
    journal.checkpoint(engine, T0);
    journal.flush();
    journal.awaitSnapshot();
  }

  private static List<String> snapshots(Path dir) throws IOException {
    return names(dir).stream().filter(n -> n.endsWith(".snap")).toList();
  }

  @Test
  void anUnknownFormatIsRefusedNamingIt() throws Exception {
    Path dir = tmp.resolve("future");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("FORMAT"), "3\n");
    IOException e = assertThrows(IOException.class, () -> Journal.open(dir, NO_SNAPSHOTS));
    assertTrue(e.getMessage().contains("holds data format 3") && !e.getMessage().contains("\n"), e.getMessage());
  }

  @Test
  void theRecordsAreTheEnginesOwnCommandsNotApiRequests() throws Exception {
    Path dir = tmp.resolve("own");
    try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
      journal.append(putOrg(), T0);
      journal.append(acquire("c1"), T0 + 1);
      journal.flush();
    }
    byte[] bytes = Files.readAllBytes(dir.resolve("journal-00000000000000000000.log"));
    var first = io.admission.server.journal.proto.Record.parseFrom(
        java.nio.ByteBuffer.wrap(bytes, Records.HEADER, java.nio.ByteBuffer.wrap(bytes).getInt(0)));
    assertEquals(T0, first.getStampedAtMillis());
    assertEquals("org", first.getPutOrg().getOrg().getOrgId());
    assertEquals(2, first.getPutOrg().getOrg().getConcurrencyLimit());
  }

  @Test
  void aRecordThatThrowsOnReplayStopsEveryStartWithOneLineNamingItAndChangesNothing() throws Exception {
    Path dir = tmp.resolve("poisoned");
    RandomHistories history = new RandomHistories(11);
    long written;
    try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
      for (RandomHistories.Stamped s : history.next(60)) {
        journal.append(s.command(), s.at());
        s.command().applyTo(journal.engine(), s.at());
      }
      journal.flush();
      written = journal.nextEntry();
    }
    byte[] before = Files.readAllBytes(dir.resolve("journal-00000000000000000000.log"));
    Applier throwsOnEntry = throwingOn(c -> c instanceof Commands.Acquire);
    IOException first = assertThrows(IOException.class, () -> Journal.open(dir, NO_SNAPSHOTS, throwsOnEntry));
    IOException second = assertThrows(IOException.class, () -> Journal.open(dir, NO_SNAPSHOTS, throwsOnEntry));
    assertEquals(first.getMessage(), second.getMessage(), "the same words at every start");
    String m = first.getMessage();
    assertTrue(m.startsWith("applying journal entry ") && m.contains("journal-00000000000000000000.log, byte offset ")
        && m.contains("Acquire[") && m.contains("injected fault") && !m.contains("\n"), m);
    assertArrayEquals(before, Files.readAllBytes(dir.resolve("journal-00000000000000000000.log")));
    try (Journal fixed = Journal.open(dir, NO_SNAPSHOTS)) {
      assertEquals(written, fixed.nextEntry(), "a server with the fix replays every record");
    }
  }

  @Test
  void aCommandThatThrowsLiveIsNamedTheSameWayByTheNextStart() throws Exception {
    Path dir = tmp.resolve("live-poison");
    Applier faulty = throwingOn(c -> c instanceof Commands.Acquire a && a.callId().equals("poison"));
    String live;
    try (Journal journal = Journal.open(dir, NO_SNAPSHOTS)) {
      EventLoop loop = new EventLoop(journal.engine(), journal,
          InstantSource.fixed(Instant.ofEpochMilli(T0)), 64, faulty);
      assertInstanceOf(Results.OrgView.class, answer(loop, putOrg()));
      assertInstanceOf(Results.Granted.class, answer(loop, acquire("c1")));
      ExecutionException e = assertThrows(ExecutionException.class, () -> answer(loop, acquire("poison")));
      live = e.getCause().getMessage();
      ExecutionException after = assertThrows(ExecutionException.class, () -> answer(loop, acquire("c2")));
      assertTrue(after.getCause().getMessage().contains("stopped applying commands"), after.getCause().getMessage());
    }
    IOException restart = assertThrows(IOException.class, () -> Journal.open(dir, NO_SNAPSHOTS, faulty));
    assertTrue(restart.getMessage().startsWith(live), "live: " + live + "\nrestart: " + restart.getMessage());
    assertTrue(live.contains("applying journal entry 2 (" + dir.resolve("journal-00000000000000000000.log")
        + ", byte offset "), live);
  }

  @Test
  void aSnapshotThatCannotBeWrittenIsCountedAndLosesNothing() throws Exception {
    Path dir = tmp.resolve("no-snapshots");
    RandomHistories history = new RandomHistories(5);
    Engine live = new Engine();
    long failures;
    try (Journal journal = Journal.open(dir, OFTEN)) {
      // A snapshot is written to <name>.tmp first: a directory there makes every write fail.
      for (int i = 0; i <= 400; i++) {
        Files.createDirectories(dir.resolve(String.format("state-%020d.snap.tmp", i)));
      }
      Engine durable = journal.engine();
      for (RandomHistories.Stamped s : history.next(200)) {
        long entry = journal.append(s.command(), s.at());
        if (s.command().applyTo(durable, s.at()) instanceof Rejection) {
          journal.retract(entry);
        }
        s.command().applyTo(live, s.at());
        journal.commit();
        journal.checkpoint(durable, s.at());
        journal.awaitSnapshot();
      }
      journal.flush();
      failures = journal.snapshotFailures();
    }
    assertTrue(failures > 0, "failed snapshot writes are counted");
    try (Stream<Path> files = Files.list(dir)) {
      assertFalse(files.anyMatch(f -> f.toString().endsWith(".snap")), "no snapshot was written");
    }
    try (Journal reopened = Journal.open(dir, NO_SNAPSHOTS)) {
      new Commands.Tick().applyTo(reopened.engine(), history.lastAt());
      assertEquals(Snapshots.capture(live), Snapshots.capture(reopened.engine()),
          "the journal kept every record: the restart restores what clients were told");
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static Applier throwingOn(java.util.function.Predicate<Commands.Command<?>> which) {
    return new Applier() {
      @Override
      public <R> R apply(Commands.Command<R> command, Engine engine, long now) {
        if (which.test(command)) {
          throw new IllegalStateException("injected fault");
        }
        return command.applyTo(engine, now);
      }
    };
  }

  /** Submits and steps the loop until the answer leaves (the journal syncs on its own thread). */
  private static Object answer(EventLoop loop, Commands.Command<?> command) throws Exception {
    CompletableFuture<Object> done = new CompletableFuture<>();
    assertTrue(loop.submit(command, Reply.into(done)));
    for (int i = 0; i < 10_000 && !done.isDone(); i++) {
      loop.step();
      Thread.sleep(1);
    }
    return done.get();
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  private static Commands.PutOrg putOrg() {
    return new Commands.PutOrg(new OrgConfig("org", 2, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT));
  }

  private static Commands.Acquire acquire(String id) {
    return new Commands.Acquire("org", id, "", CallType.OUTBOUND, "", "", 0, 0);
  }

}
