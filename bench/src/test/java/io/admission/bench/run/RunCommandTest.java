package io.admission.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    r.load.put("durable", new ArrayList<>(List.of(
        props("ratio.median", "0.7", "a.p99_ms", "9", "b.p99_ms", "4", "a.pairs_per_s", "40000", "b.pairs_per_s", "60000"),
        props("ratio.median", "0.5", "a.p99_ms", "12", "b.p99_ms", "5", "a.pairs_per_s", "30000", "b.pairs_per_s", "60000"),
        props("ratio.median", "0.9", "a.p99_ms", "8", "b.p99_ms", "6", "a.pairs_per_s", "50000", "b.pairs_per_s", "55000"))));
    r.load.put("noop", List.of(props("ratio.median", "0.81")));
    r.load.put("session-redis", List.of(props("ratio.median", "2.5")));
    r.load.put("unary-redis", List.of(props("ratio.median", "1.1")));
    Pauses.Sum gc = Pauses.Sum.NONE.plus(Duration.ofMillis(3));
    for (String[] p99 : new String[][] {{"0.4", "4.0"}, {"0.3", "4.5"}, {"0.9", "6.0"}}) {
      r.contended.add(new RunCommand.Contended(20, props("dispatch.p99_ms", p99[0]), props("dispatch.p99_ms", p99[1]),
          new Pauses(gc, Pauses.Sum.NONE)));
    }
    return r;
  }

  @Test
  void resultLinesKeepTheirNamesAndQuoteMedians() {
    Map<String, String> r = run().results();
    assertEquals(List.of("ratio_durable_vs_memory", "p99_durable_ms", "p99_memory_ms", "ratio_admission_unary_vs_redis",
        "engine_decisions_per_s", "ratio_admission_vs_noop", "ratio_admission_vs_redis", "dispatch_p99_ms",
        "dispatch_p99_ms_polling_peer", "heap_bytes_per_lease"), List.copyOf(r.keySet()));
    assertEquals("0.700", r.get("ratio_durable_vs_memory"));
    assertEquals("9.000", r.get("p99_durable_ms"));
    assertEquals("5.000", r.get("p99_memory_ms"));
    assertEquals("1.100", r.get("ratio_admission_unary_vs_redis"));
    assertEquals("4500000", r.get("engine_decisions_per_s"));
    assertEquals("0.810", r.get("ratio_admission_vs_noop"));
    assertEquals("2.500", r.get("ratio_admission_vs_redis"));
    assertEquals("0.400", r.get("dispatch_p99_ms"));
    assertEquals("4.500", r.get("dispatch_p99_ms_polling_peer"));
    assertEquals("282.2", r.get("heap_bytes_per_lease"));
  }

  @Test
  void figuresNotMeasuredAreNaNNotZero() {
    RunCommand r = new RunCommand();
    r.slots = List.of(20);
    assertTrue(r.results().values().stream().allMatch(v -> v.equals("NaN")), r.results().toString());
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
        "<!-- bench:heap -->", "| live lease | 200000 | 282.2 |")) {
      assertTrue(md.contains(s), s + "\n" + md);
    }
  }
}
