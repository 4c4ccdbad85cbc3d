package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.journal.Journal;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A server that cannot start says why in one line naming the flag, port or path and the cause,
 * exits with 2, and leaves the data directory as it found it when the cause was knowable first (a
 * bad config file, a port in use). Main runs in this JVM with its output captured.
 */
class StartupTest {
  @TempDir Path tmp;

  // ---- The config file --------------------------------------------------------------------

  @Test
  void aBadFieldNamesTheFileAndEntryAndTheDataDirIsNotCreated() throws IOException {
    Path config = config("""
        {"orgs": [
          {"org": {"orgId": "acme", "concurrencyLimit": 5}},
          {"org": {"orgId": "beta", "concurrencyLimit": 5},
           "reservations": [{"agentId": "a", "callType": "CALL_TYPE_CHAT", "slots": 2000000}]}
        ]}""");
    Path dataDir = tmp.resolve("data");

    String err = cannotStart("--data-dir", dataDir.toString(), "--config", config.toString());

    assertEquals("admission-server: --config " + config
        + ": orgs[1].reservations[0].slots: must be between 0 and 1000000", err);
    assertFalse(Files.exists(dataDir), "a bad config creates no data directory");
  }

  @Test
  void fieldsAreNamedByTheirPlaceInTheFile() throws IOException {
    assertEquals("orgs[0].org.time_zone: must be an IANA time zone such as \"America/New_York\", got \"Mars/Base\"",
        configError("{\"orgs\": [{\"org\": {\"orgId\": \"acme\", \"concurrencyLimit\": 5, \"timeZone\": \"Mars/Base\"}}]}"));
    assertTrue(configError("{\"orgs\": [{\"org\": {\"orgId\": \"acme\", \"concurrencyLimit\": 5},"
            + " \"reservations\": [{\"agentId\": \"a\", \"slots\": 1}]}]}")
        .startsWith("orgs[0].reservations[0].call_type: "));
    assertTrue(configError("{\"orgs\": [{\"org\": {\"orgId\": \"acme\", \"concurrencyLimit\": 5},"
            + " \"loginLimits\": [{\"loginId\": \"alice\", \"limits\": {\"window\": \"0s\"}}]}]}")
        .startsWith("orgs[0].login_limits[0].limits.window: "));
    assertTrue(configError("{\"orgs\": [{\"org\": {\"orgId\": \"acme\", \"concurrencyLimit\": 5},"
            + " \"numberLimits\": [{\"limits\": {\"maxPerDay\": 3}}]}]}")
        .startsWith("orgs[0].number_limits[0].number: is required"));
  }

  @Test
  void anOrgListedTwiceNamesBothEntries() throws IOException {
    assertEquals("orgs[2].org.org_id: \"acme\" repeats orgs[0]", configError("""
        {"orgs": [
          {"org": {"orgId": "acme", "concurrencyLimit": 5}},
          {"org": {"orgId": "beta", "concurrencyLimit": 5}},
          {"org": {"orgId": "acme", "concurrencyLimit": 9}}
        ]}"""));
  }

  @Test
  void aReservationListedTwiceInOneOrgIsNamed() throws IOException {
    assertEquals("orgs[0].reservations[1]: agent a's chat reservation repeats reservations[0]", configError("""
        {"orgs": [{"org": {"orgId": "acme", "concurrencyLimit": 5}, "reservations": [
          {"agentId": "a", "callType": "CALL_TYPE_CHAT", "slots": 1},
          {"agentId": "a", "callType": "CALL_TYPE_CHAT", "slots": 2}]}]}"""));
  }

  @Test
  void reservationsOverTheLimitAreFoundBeforeAnythingStarts() throws IOException {
    assertEquals("orgs[0].reservations[1].slots: reserving 3 inbound slots for agent b would make 6"
        + " reserved in org acme, over its concurrency limit of 5 (0 of them by reservations this"
        + " config does not list)", configError("""
        {"orgs": [{"org": {"orgId": "acme", "concurrencyLimit": 5}, "reservations": [
          {"agentId": "a", "callType": "CALL_TYPE_CHAT", "slots": 3},
          {"agentId": "b", "callType": "CALL_TYPE_INBOUND", "slots": 3}]}]}"""));
  }

  @Test
  void jsonThatIsNotAServerConfigOrAFileThatIsNotThereIsOneLine() throws IOException {
    assertTrue(configError("{\"orgs\": [ {\"org\": ").startsWith("not a ServerConfig in JSON: "));
    assertTrue(configError("{\"orgz\": []}").startsWith("not a ServerConfig in JSON: "));
    Path missing = tmp.resolve("missing.json");
    assertEquals("admission-server: --config " + missing + ": cannot be read: no such file",
        cannotStart("--in-memory", "--config", missing.toString()));
  }

  @Test
  void aBadConfigLeavesADataDirWithStateByteForByteUnchanged() throws IOException {
    Path dataDir = tmp.resolve("data");
    journal(dataDir, org("acme", 10), new Commands.SetReservation("acme", "a", CallType.CHAT, 4));
    Map<String, String> before = contents(dataDir);
    Path config = config("{\"orgs\": [{\"org\": {\"orgId\": \"acme\", \"concurrencyLimit\": 0}}]}");

    String err = cannotStart("--data-dir", dataDir.toString(), "--config", config.toString(), "--config-apply");

    assertTrue(err.contains("orgs[0].org.concurrency_limit: must be between 1 and"), err);
    assertEquals(before, contents(dataDir));
  }

  @Test
  void aConfigRefusedOverExistingStateChangesNothing() throws IOException {
    Path dataDir = tmp.resolve("data");
    journal(dataDir, org("acme", 10), new Commands.SetReservation("acme", "a", CallType.CHAT, 4));
    Map<String, String> before = contents(dataDir);
    // Valid alone (no reservations listed), refused over a state that reserves 4 of acme's slots.
    Path config = config("{\"orgs\": [{\"org\": {\"orgId\": \"beta\", \"concurrencyLimit\": 3}},"
        + " {\"org\": {\"orgId\": \"acme\", \"concurrencyLimit\": 3}}]}");

    String err = cannotStart("--data-dir", dataDir.toString(), "--config", config.toString(), "--config-apply");

    assertEquals("admission-server: --config " + config + ": orgs[1].org.concurrency_limit:"
        + " concurrency_limit 3 is below the 4 slots reserved for agents in org acme by reservations"
        + " this config does not list; lower or remove those first (refused over the state in"
        + " --data-dir " + dataDir + "; nothing was changed)", err);
    assertEquals(before, contents(dataDir));
  }

  // ---- Ports ------------------------------------------------------------------------------

  @Test
  void aPortInUseIsNamedByItsFlagAndTheDataDirIsNotCreated() throws IOException {
    Path dataDir = tmp.resolve("data");
    try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String at = "127.0.0.1:" + busy.getLocalPort();
      assertEquals("admission-server: --listen " + at + ": address already in use",
          cannotStart("--data-dir", dataDir.toString(), "--listen", at));
      assertEquals("admission-server: --http " + at + ": address already in use",
          cannotStart("--data-dir", dataDir.toString(), "--listen", "127.0.0.1:0", "--http", at));
      assertEquals("admission-server: --metrics " + at + ": address already in use",
          cannotStart("--data-dir", dataDir.toString(), "--listen", "127.0.0.1:0", "--metrics", at));
    }
    assertFalse(Files.exists(dataDir));
  }

  @Test
  void aPortTakenAfterTheCheckIsNamedTooAndWhatStartedIsStopped() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    String at = "127.0.0.1:" + port;
    Path dataDir = tmp.resolve("data");
    // Each port is free when checked; the server itself takes it first for gRPC, then the web page.
    assertEquals("admission-server: --http " + at + ": address already in use",
        cannotStart("--data-dir", dataDir.toString(), "--listen", at, "--http", at));
    // The metrics exporter binds first, then gRPC (Netty's own error) finds the port taken.
    assertEquals("admission-server: --listen " + at + ": address already in use",
        cannotStart("--data-dir", dataDir.toString(), "--listen", at, "--metrics", at));
    // Everything it started was stopped: the data directory's lock and the port are free again.
    Journal.open(dataDir, Journal.Options.DEFAULT).close();
    new ServerSocket(port, 50, InetAddress.getLoopbackAddress()).close();
  }

  // ---- The data directory -----------------------------------------------------------------

  @Test
  void aDataDirThatIsAFileIsNamed() throws IOException {
    Path file = Files.writeString(tmp.resolve("data"), "not a directory");
    assertEquals("admission-server: --data-dir " + file + ": is a file, not a directory",
        cannotStart("--data-dir", file.toString()));
    assertEquals("not a directory", Files.readString(file));
  }

  @Test
  void aDataDirThatCannotBeWrittenIsNamed() throws IOException {
    Path dataDir = unwritableDataDir();
    String err = cannotStart("--data-dir", dataDir.toString());
    assertTrue(err.matches("admission-server: --data-dir " + dataDir + ": cannot write .*: permission denied"), err);
  }

  @Test
  void aDataDirInUseByAnotherServerIsNamed() throws IOException {
    Path dataDir = tmp.resolve("data");
    Journal other = Journal.open(dataDir, Journal.Options.DEFAULT);
    try {
      assertEquals("admission-server: another admission server is using --data-dir " + dataDir,
          cannotStart("--data-dir", dataDir.toString()));
    } finally {
      other.close();
    }
  }

  @Test
  void aDamagedJournalIsOneSentenceNamingTheFileAndOffset() throws IOException {
    Path dataDir = tmp.resolve("data");
    journal(dataDir, org("acme", 10), org("beta", 10));
    Path segment;
    try (Stream<Path> files = Files.list(dataDir)) {
      segment = files.filter(p -> p.getFileName().toString().endsWith(".log")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(segment);
    bytes[10] ^= 0x55; // inside the first record: not a torn tail, but damage
    Files.write(segment, bytes);

    String err = cannotStart("--data-dir", dataDir.toString());

    assertTrue(err.startsWith("admission-server: --data-dir " + dataDir + ": " + segment
        + " is damaged at byte offset 0: checksum mismatch (entry 0)."), err);
  }

  // ---- Helpers ----------------------------------------------------------------------------

  /** Runs Main, expects it not to start, and returns what it printed: one line. */
  private static String cannotStart(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Main())
        .setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    List<String> all = new ArrayList<>(List.of(args));
    if (!all.contains("--listen")) {
      all.addAll(List.of("--listen", "127.0.0.1:0")); // never the default port of a server running here
    }
    assertEquals(Main.CANNOT_START, cli.execute(all.toArray(new String[0])), err.toString());
    String printed = err.toString();
    assertEquals(1, printed.lines().count(), "one line, no stack trace:\n" + printed);
    assertFalse(out.toString().contains("listening"), out.toString());
    return printed.strip();
  }

  /** The message after {@code --config FILE: } for a file holding {@code json}. */
  private String configError(String json) throws IOException {
    Path config = config(json);
    String err = cannotStart("--in-memory", "--config", config.toString());
    String prefix = "admission-server: --config " + config + ": ";
    assertTrue(err.startsWith(prefix), err);
    return err.substring(prefix.length());
  }

  private int configs;

  private Path config(String json) throws IOException {
    return Files.writeString(tmp.resolve("config-" + ++configs + ".json"), json);
  }

  static Commands.PutOrg org(String orgId, int limit) {
    return new Commands.PutOrg(new OrgConfig(orgId, limit, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT));
  }

  /** A data directory holding state: these commands, journaled as the loop would. */
  static void journal(Path dataDir, Commands.Command<?>... commands) throws IOException {
    try (Journal journal = Journal.open(dataDir, Journal.Options.DEFAULT)) {
      long now = System.currentTimeMillis();
      for (Commands.Command<?> c : commands) {
        journal.append(c, now);
        c.applyTo(journal.engine(), now);
      }
      journal.flush();
    }
  }

  /** Every file under {@code dir} with its bytes. */
  static Map<String, String> contents(Path dir) throws IOException {
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        all.put(dir.relativize(p).toString(),
            Files.isDirectory(p) ? "dir" : Base64.getEncoder().encodeToString(Files.readAllBytes(p)));
      }
    }
    return all;
  }

  /**
   * A directory the server cannot create its files in: a read-only one, or where permissions do
   * not stop this user (root), a kernel file system that takes no new files.
   */
  private Path unwritableDataDir() throws IOException {
    Path readOnly = Files.createDirectory(tmp.resolve("read-only"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
    for (Path candidate : List.of(readOnly.resolve("data"), Path.of("/sys"))) {
      if (!canCreateIn(candidate)) {
        return candidate;
      }
    }
    assumeTrue(false, "no unwritable directory for this user");
    return null;
  }

  private static boolean canCreateIn(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.delete(Files.createTempFile(dir, "probe", ""));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
