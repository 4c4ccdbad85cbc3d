package io.admission.server.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.StatusView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start-up cost: a data directory whose snapshot holds 1 million live leases, reopened
 * and timed. Tagged "bench": run with `make bench-startup`, never in `make test`.
 */
@Tag("bench")
class StartupBenchmarkTest {
  private static final int LEASES = Integer.getInteger("startup.leases", 1_000_000);
  private static final long T0 = 1_790_000_000_000L;

  @TempDir Path tmp;

  @Test
  void startUpWithAMillionLeasesInTheSnapshot() throws Exception {
    Path dir = tmp.resolve("data");
    // Snapshot after every entry, so the checkpoint below captures everything.
    try (Journal journal = Journal.open(dir, new Journal.Options(64L << 20, 1, Long.MAX_VALUE))) {
      Engine engine = journal.engine();
      Commands.PutOrg org = new Commands.PutOrg(new OrgConfig("big", LEASES, Optional.empty(), ZoneOffset.UTC,
          OptionalLong.of(7 * 86_400_000L),
          new LoginLimits(OptionalInt.of(0), OptionalInt.of(0), OptionalLong.empty()), NumberLimits.INHERIT));
      journal.append(org, T0);
      org.applyTo(engine, T0);
      for (int i = 0; i < LEASES; i++) {
        Commands.Acquire a = new Commands.Acquire(
            "big", "call-" + i, "agent-" + (i % 100), CallType.OUTBOUND, "login-" + (i % 5000), "", 0, 0);
        a.applyTo(engine, T0 + i / 1000);
      }
      // Force a snapshot of the whole state (the acquires above stand for journaled history).
      journal.checkpoint(engine, T0 + LEASES);
      journal.awaitSnapshot();
    }
    long bytes;
    try (var files = Files.list(dir)) {
      bytes = files.filter(f -> f.toString().endsWith(".snap")).mapToLong(f -> f.toFile().length()).sum();
    }
    System.gc();
    long started = System.nanoTime();
    try (Journal reopened = Journal.open(dir, Journal.Options.DEFAULT)) {
      long millis = (System.nanoTime() - started) / 1_000_000;
      var status = (StatusView.Org) reopened.engine().status("big", T0 + LEASES);
      assertEquals(LEASES, status.inUse());
      System.out.printf("RESULT startup_millis_%d_leases=%d%n", LEASES, millis);
      System.out.printf("RESULT snapshot_bytes_%d_leases=%d%n", LEASES, bytes);
    }
  }
}
