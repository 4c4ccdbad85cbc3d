package io.admission.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.loop.Loops;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The RESULT lines and tables from made-up results: medians over repetitions, names kept. */
class RunCommandTest {
  @TempDir
  Path dir;

  private static Properties props(String... keysAndValues) {
    Properties p = new Properties();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      p.setProperty(keysAndValues[i], keysAndValues[i + 1]);
    }
    return p;
  }

  private static RunCommand run() {
    RunCommand r = new RunCommand();
    r.slots = List.of(20);
    r.engineBase = 4_500_000.4;
    r.heap.put("lease", props("count", "200000", "lease.bytes", "282.2"));
    // Three repetitions of the durable pair: the median of each figure, not of one repetition.
    r.load.putAll("durable", List.of(
        props("ratio.median", "0.7", "a.p99_ms", "9", "b.p99_ms", "4", "a.pairs_per_s", "40000", "b.pairs_per_s", "60000"),
        props("ratio.median", "0.5", "a.p99_ms", "12", "b.p99_ms", "5", "a.pairs_per_s", "30000", "b.pairs_per_s", "60000"),
        props("ratio.median", "0.9", "a.p99_ms", "8", "b.p99_ms", "6", "a.pairs_per_s", "50000", "b.pairs_per_s", "55000")));
    r.load.put("noop", props("ratio.median", "0.81"));
    r.load.put("session-redis", props("ratio.median", "2.5"));
    r.load.put("unary-redis", props("ratio.median", "1.1"));
    // Metrics on ÷ off, two repetitions: each with its window pairs' spread, then the median.
    r.load.putAll("metrics", List.of(
        props("ratio.median", "0.95", "ratio.min", "0.9", "ratio.max", "1.02", "a.pairs_per_s", "57000", "b.pairs_per_s", "60000"),
        props("ratio.median", "0.85", "ratio.min", "0.8", "ratio.max", "0.88", "a.pairs_per_s", "51000", "b.pairs_per_s", "60000")));
    LongSummaryStatistics gc = new LongSummaryStatistics();
    gc.accept(Duration.ofMillis(3).toNanos());
    for (String[] p99 : new String[][] {{"0.4", "4.0"}, {"0.3", "4.5"}, {"0.9", "6.0"}}) {
      r.contended.add(new RunCommand.Contended(20, props("dispatch.p99_ms", p99[0]), props("dispatch.p99_ms", p99[1]),
          new Pauses(gc, new LongSummaryStatistics())));
    }
    // The cluster stage: three paired runs (median ratio 0.6) and three kills (the worst quoted).
    r.cluster.addAll(List.of(props("ratio.median", "0.6", "a.pairs_per_s", "6000", "b.pairs_per_s", "10000"),
        props("ratio.median", "0.4", "a.pairs_per_s", "4000", "b.pairs_per_s", "10000"),
        props("ratio.median", "0.7", "a.pairs_per_s", "7000", "b.pairs_per_s", "10000")));
    r.failovers.addAll(List.of(new RunCommand.Failover(1, "n1", 0.9, 2.5, 5.0, 7.5, 100, 3),
        new RunCommand.Failover(2, "n2", 1.4, 0.3, 6.0, 9.0, 200, 0),
        new RunCommand.Failover(3, "n3", 0.7, 0.2, 4.0, 6.0, 150, 1)));
    return r;
  }

  @Test
  void resultLinesKeepTheirNamesAndQuoteMedians() {
    Map<String, String> r = run().results();
    assertEquals(List.of("ratio_durable_vs_memory", "p99_durable_ms", "p99_memory_ms", "ratio_admission_unary_vs_redis",
        "engine_decisions_per_s", "ratio_admission_vs_noop", "ratio_admission_vs_redis", "dispatch_p99_ms",
        "dispatch_p99_ms_polling_peer", "dispatch_p99_peer_over_push", "heap_bytes_per_lease", "ratio_cluster_vs_durable", "failover_gap_s",
        "failover_catchup_s", "ratio_metrics_on_vs_off"), List.copyOf(r.keySet()));
    assertEquals("0.700", r.get("ratio_durable_vs_memory"));
    assertEquals("9.000", r.get("p99_durable_ms"));
    assertEquals("5.000", r.get("p99_memory_ms"));
    assertEquals("1.100", r.get("ratio_admission_unary_vs_redis"));
    assertEquals("4500000", r.get("engine_decisions_per_s"));
    assertEquals("0.810", r.get("ratio_admission_vs_noop"));
    assertEquals("2.500", r.get("ratio_admission_vs_redis"));
    assertEquals("0.400", r.get("dispatch_p99_ms"));
    assertEquals("4.500", r.get("dispatch_p99_ms_polling_peer"));
    // Ratios 10, 15 and 6.7 by repetition: their median, not 4.5 ÷ 0.4 = 11.3 from the medians.
    assertEquals("10.0", r.get("dispatch_p99_peer_over_push"));
    assertEquals("282.2", r.get("heap_bytes_per_lease"));
    assertEquals("0.600", r.get("ratio_cluster_vs_durable"));
    assertEquals("1.400", r.get("failover_gap_s"));
    assertEquals("9.000", r.get("failover_catchup_s"));
    assertEquals("0.900", r.get("ratio_metrics_on_vs_off"));
  }

  @Test
  void aKillsPauseIsTheLongestThatOverlapsItsDowntime() {
    List<long[]> gaps = List.of(new long[] {1_000, 900}, new long[] {5_000, 300}, new long[] {6_000, 50},
        new long[] {9_000, 2_000});
    // Killed at 5,100 and restarted at 8,000: the pause under way at the kill and the one after count,
    // the longer pauses before the kill and after the restart do not.
    assertEquals(300, RunCommand.longestPause(gaps, 5_100, 8_000));
    assertEquals(0, RunCommand.longestPause(gaps, 7_000, 8_000));
  }

  @Test
  void percentilesAreNearestRank() {
    double[] ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assertEquals(5.0, RunCommand.percentile(ten, 50));
    assertEquals(10.0, RunCommand.percentile(ten, 99));
    assertEquals(10.0, RunCommand.percentile(ten, 100));
    assertTrue(Double.isNaN(RunCommand.percentile(new double[0], 50)));
  }

  @Test
  void anUnknownStageIsRefusedBeforeAnythingRuns() {
    Path work = dir.resolve("work");
    int exit = new CommandLine(new RunCommand()).setErr(new PrintWriter(new StringWriter()))
        .execute("--redis", "127.0.0.1:1", "--work", work.toString(), "--only", "load,bogus");
    assertEquals(CommandLine.ExitCode.USAGE, exit); // picocli knows the stages
    assertFalse(Files.exists(work));
  }

  @Test
  void theClusterStageTakesOrgsAndNodeOptions() {
    RunCommand r = new RunCommand();
    new CommandLine(r).parseArgs("--redis", "127.0.0.1:1", "--org", "bench-0,bench-1", "--node-arg=--groups=2");
    assertEquals(List.of("bench-0", "bench-1"), r.orgs);
    assertEquals(List.of("--groups=2"), r.nodeArgs);
    RunCommand byDefault = new RunCommand();
    new CommandLine(byDefault).parseArgs("--redis", "127.0.0.1:1");
    assertEquals(List.of("bench"), byDefault.orgs);
    assertEquals(List.of(), byDefault.nodeArgs);
  }

  /** What --org's description and docs/BENCHMARKS.md tell people who measure groups to use. */
  @Test
  void bench0To7FallEvenlyIntoTheServersGroups() {
    List<String> orgs = List.of("bench-0", "bench-1", "bench-2", "bench-3", "bench-4", "bench-5", "bench-6", "bench-7");
    for (int groups : List.of(2, 4)) {
      for (int g = 0; g < groups; g++) {
        int group = g;
        assertEquals(8 / groups, orgs.stream().filter(o -> Loops.group(o, groups) == group).count());
      }
    }
  }

  @Test
  void figuresNotMeasuredAreNaNNotZero() {
    RunCommand r = new RunCommand();
    r.slots = List.of(20);
    assertTrue(r.results().values().stream().allMatch(v -> v.equals("NaN")), r.results().toString());
  }

  @Test
  void aStageThatDidNotRunWritesNoTable() throws Exception {
    RunCommand r = new RunCommand();
    r.slots = List.of(20);
    r.heap.put("lease", props("count", "200000", "lease.bytes", "282.2"));
    Path file = dir.resolve("tables.md");
    r.tables("Measured at commit `abc`.").writeAll(file);
    String md = Files.readString(file);
    assertTrue(md.contains("<!-- bench:heap -->"), md);
    for (String absent : List.of("engine", "load", "metrics", "contended", "cluster", "failover")) {
      assertFalse(md.contains("<!-- bench:" + absent + " -->"), absent + "\n" + md);
    }
  }

  @Test
  void tablesShowEveryRepetitionAndTheMedian() throws Exception {
    Path file = dir.resolve("tables.md");
    run().tables("Measured at commit `abc`.").writeAll(file);
    String md = Files.readString(file);
    for (String s : List.of("<!-- bench:summary -->", "| `ratio_durable_vs_memory` | 0.700 | ≥ 0.80 |",
        "| durable ÷ in-memory Admission | 40,000 | 60,000 | **0.700** | 0.700, 0.500, 0.900 |",
        // Peer ÷ Admission per repetition 10×, 15×, 6.7×: the median row quotes the median ratio, 10×,
        // not the ratio of the medians (4.5 ÷ 0.4).
        "<!-- bench:contended -->", "| 20 / 200 | NaN / 0.300 / NaN / NaN | NaN / 4.500 / NaN / NaN | 15.0× |",
        "| **20 / 200, median** | NaN / 0.400 / NaN / NaN | NaN / 4.500 / NaN / NaN | 10.0× |", "GC pauses 1, 3.0 ms in all, longest 3.0 ms",
        "<!-- bench:heap -->", "| live lease | 200000 | 282.2 |",
        "<!-- bench:cluster -->", "| **median** | 6,000 | 10,000 | **0.600** |",
        "<!-- bench:failover -->", "| 2: n2 | 1.400 | 0.300 | 6.00 | 9.00 | 200 | 0 |",
        "| **p50** | **0.900** | 0.300 | 5.00 | 7.50 |", "| **max** | **1.400** | 2.500 | 6.00 | 9.00 |", "| `ratio_cluster_vs_durable` | 0.600 | ≥ 0.50 |",
        "<!-- bench:metrics -->", "| 1 | 57,000 | 60,000 | **0.950** | 0.900 – 1.020 |",
        "| **median** | 54,000 | 60,000 | **0.900** |", "| `ratio_metrics_on_vs_off` | 0.900 | ≥ 0.90 |")) {
      assertTrue(md.contains(s), s + "\n" + md);
    }
  }
}
