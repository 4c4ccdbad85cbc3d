package io.admission.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.bench.report.RunCommand.Results;
import io.admission.bench.report.RunCommand.Target;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report and the RESULT lines from made-up results: paired ratios, medians, the plot. */
class ReportTest {
  @TempDir
  Path dir;

  @Test
  void ratiosArePairedWithinARepetitionAndTheMedianIsQuoted() {
    Results r = results();
    // Admission 90/100/80 against the no-op's 100/200/100: paired 0.9, 0.5, 0.8 → median 0.8.
    assertEquals(List.of(0.9, 0.5, 0.8), r.e2eRatios(Target.NOOP));
    Map<String, String> h = r.headline();
    assertEquals("0.800", h.get("ratio_admission_vs_noop"));
    // Session ÷ Redis: 120/110, 240/150, 90/100 → median 1.091; unary ÷ Redis: 90/110, 100/150, 0.8 → 0.800.
    assertEquals("1.091", h.get("ratio_admission_vs_redis"));
    assertEquals("0.800", h.get("ratio_admission_unary_vs_redis"));
    // Without the paired durable run, durable ÷ in-memory comes from the sequential runs: 45/90, 50/100, 40/80.
    assertEquals("0.500", h.get("ratio_durable_vs_memory"));
    assertEquals("1.000", h.get("p99_durable_ms"));
    // The six come last, in its order.
    assertEquals(List.of("ratio_durable_vs_memory", "p99_durable_ms", "p99_memory_ms",
        "ratio_admission_unary_vs_redis", "engine_decisions_per_s", "ratio_admission_vs_noop", "ratio_admission_vs_redis", "dispatch_p99_ms", "dispatch_p99_ms_polling_peer", "heap_bytes_per_lease"), List.copyOf(h.keySet()));
    assertEquals("1.500", h.get("dispatch_p99_ms"));
    assertEquals("30.000", h.get("dispatch_p99_ms_polling_peer"));
    assertEquals("280.5", h.get("heap_bytes_per_lease"));
  }

  @Test
  void reportHasEveryTargetAndThePlotIsAPicture() throws Exception {
    Results r = results();
    Path png = dir.resolve("plot.png");
    LatencyPlot.write(r.sweep, png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(960, img.getWidth());
    String md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("| **0.500** |"), "durable ÷ in-memory, median of 0.5, 0.5, 0.5");
    assertTrue(md.contains("durable ÷ in-memory Admission throughput, 256 callers, unary calls (median of paired ratios "
        + "of runs one after the other) | ≥ 0.80 | 0.500 | **no**"), md);
    for (String s : List.of("## Targets", "Admission ÷ no-op gRPC", "Admission ÷ Redis peer", "Admission on one Session stream",
        "| **1.091** |", "session ÷ Redis", "release-to-dispatch p99",
        "heap bytes per live lease", "![latency against load](plot.png)", "| **median** |")) {
      assertTrue(md.contains(s), s);
    }
    Files.writeString(dir.resolve("BENCHMARKS.md"), md);
  }

  /**
   * When Admission and the no-op service ran side by side, their ratio is the median of each
   * repetition's median window pair, not the sequential runs' (0.800 in {@link #results}).
   */
  @Test
  void theNoopTargetComesFromThePairedRunWhenItRan() {
    Results r = results();
    for (double ratio : new double[] {0.86, 0.91, 0.88}) {
      Properties p = new Properties();
      p.setProperty("ratio.median", Double.toString(ratio));
      p.setProperty("ratio.min", "0.8");
      p.setProperty("ratio.max", "0.95");
      for (String k : List.of("a.pairs_per_s", "b.pairs_per_s", "a.server_cpu_us_per_pair", "b.server_cpu_us_per_pair",
          "a.client_cpu_us_per_pair", "b.client_cpu_us_per_pair")) {
        p.setProperty(k, "10");
      }
      r.pairedNoop.add(p);
    }
    assertEquals("0.880", r.headline().get("ratio_admission_vs_noop"));
    String md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("one client alternating 2 s windows between them) | ≥ 0.85 | 0.880 | yes |"), md);
    assertTrue(md.contains("## Admission beside the no-op gRPC service"), md);
    assertTrue(md.contains("| 2 | 10 | 10 | 0.910 | 0.800–0.950 |"), md);
    // A paired run that misses sends the reader to the limits, with the paired run's CPU figures.
    r.pairedNoop.forEach(p -> p.setProperty("ratio.median", "0.8"));
    md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("**Admission against the no-op gRPC service (0.800).** The server spends 10.0 µs"), md);
  }

  /**
   * When durable and in-memory Admission ran side by side, the target, its p99s and the RESULT
   * lines come from that run (medians over repetitions), not the sequential runs' 0.500; the
   * sequential column stays, marked for reference.
   */
  @Test
  void theDurableTargetComesFromThePairedRunWhenItRan() {
    Results r = results();
    double[][] reps = {{0.6, 12, 3}, {0.85, 30, 4}, {0.7, 20, 5}}; // ratio, durable p99, in-memory p99
    for (double[] rep : reps) {
      r.pairedDurable.add(durablePaired(rep[0], rep[1], rep[2]));
    }
    Map<String, String> h = r.headline();
    assertEquals("0.700", h.get("ratio_durable_vs_memory"));
    assertEquals("20.000", h.get("p99_durable_ms"));
    assertEquals("4.000", h.get("p99_memory_ms"));
    String md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("durable ÷ in-memory Admission throughput, paired windows, 256 callers, unary calls (median of "
        + "paired ratios: both servers up, one client alternating 2 s windows between them) | ≥ 0.80 | 0.700 | **no**"), md);
    assertTrue(md.contains("| request p99 beside it, durable / in-memory (median over repetitions) | no target | "
        + "20.000 ms / 4.000 ms | |"), md);
    assertTrue(md.contains("## Durable Admission beside in-memory Admission"), md);
    assertTrue(md.contains("| 2 | 8,500 | 10,000 | 0.850 | 0.500–0.900 | 2.000 ms | 30.000 ms | 1.000 ms | 4.000 ms | 40.0 | 20.0 |"), md);
    assertTrue(md.contains("| **median** | 7,000 | 10,000 | **0.700** | | 2.000 ms | **20.000 ms** | 1.000 ms | **4.000 ms** |"), md);
    assertTrue(md.contains("durable ÷ in-memory, for reference |"), md);
    // Missed: the limits say what the run measured. Durable: 7,000 pairs/s × 40 µs = 0.28 cores; in-memory 0.20.
    assertTrue(md.contains("**Durable against in-memory Admission (0.700).**"), md);
    assertTrue(md.contains("The durable server kept 0.28 cores busy against the in-memory one's 0.20: the durable "
        + "server is as busy"), md);
    r.pairedDurable.forEach(p -> p.setProperty("a.server_cpu_us_per_pair", "20"));
    md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("kept 0.14 cores busy against the in-memory one's 0.20: for part of each turn nothing in "
        + "the durable server runs"), md);

    r.pairedDurable.forEach(p -> p.setProperty("ratio.median", "0.81"));
    md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("| ≥ 0.80 | 0.810 | yes |"), md);
    assertTrue(!md.contains("**Durable against in-memory Admission"), md);
  }

  /** One repetition of the durable (a) ÷ in-memory (b) paired run. */
  private static Properties durablePaired(double ratio, double durableP99, double memoryP99) {
    Properties p = new Properties();
    p.setProperty("ratio.median", Double.toString(ratio));
    p.setProperty("ratio.min", "0.5");
    p.setProperty("ratio.max", "0.9");
    p.setProperty("a.pairs_per_s", Double.toString(10_000 * ratio));
    p.setProperty("b.pairs_per_s", "10000");
    p.setProperty("a.p50_ms", "2");
    p.setProperty("b.p50_ms", "1");
    p.setProperty("a.p99_ms", Double.toString(durableP99));
    p.setProperty("b.p99_ms", Double.toString(memoryP99));
    p.setProperty("a.server_cpu_us_per_pair", "40");
    p.setProperty("b.server_cpu_us_per_pair", "20");
    return p;
  }

  /**
   * The flatness verdict comes from the random-access floor measured in the same run: a 200 ns
   * base decision leaves 60 ns for growth, so a 200 ns memory access cannot fit and a 50 ns one
   * could.
   */
  @Test
  void theFlatnessVerdictFollowsTheRandomAccessFloor() {
    // ns per operation: base 200, 1 M leases 500; random-access floor 50 at 1 k, 250 at 1 M.
    Results r = engineOnly(engineRun(250));
    assertEquals(List.of(200.0), r.engine.randomAccessNanos().stream().map(Math::rint).toList());
    assertEquals(2.0, r.engine.growthOfOneAccess().get(0), 1e-9);
    assertEquals(1.6, r.engine.growthOfOneAccessAtTargetSpeed(), 1e-9);
    String md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("costs 200.0 ns an operation here"), md);
    assertTrue(md.contains("less than one such access"), md);
    assertTrue(md.contains("answers a random access in under 60.0 ns"), md);

    r.engine.paired.set(0, engineRun(100)); // the floor's access adds 50 ns: within 60
    md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("more than one such access: a layout that touches one line per lookup"), md);
  }

  /** The remembered-calls rows: one decision at a time, in loop turns, and what read-ahead takes off. */
  @Test
  void theRememberedCallsRowsCompareTheirOwnRuns() {
    Map<String, Double> run = new java.util.HashMap<>(engineRun(250));
    run.put(EngineResults.REMEMBERED_SHAPE, 2.5e6);
    run.put(EngineResults.REMEMBERED_TURNS, 4e6);
    run.put(EngineResults.REMEMBERED_TURNS_NO_AHEAD, 2e6);
    Results r = engineOnly(run);
    String md = new Report(r, Path.of("plot.png")).markdown();
    assertTrue(md.contains("ended calls, as a server ending 5,000 calls a second does (the base keeps a few "
        + "hundred; median of paired ratios) | no target | 2.00×"), md);
    assertTrue(md.contains("the engine reading the batch's ended-call slots ahead | no target | 1.25×"), md);
    assertTrue(md.contains("(without ÷ with, cost per decision) | no target | 2.00×"), md);
  }

  /** Results of one run that measured only the engine side by side, with these scores. */
  private static Results engineOnly(Map<String, Double> scores) {
    Results r = new Results();
    r.reps = 1;
    r.machine = Machine.describe("7.0.15");
    r.loadAfter = Machine.loadAverage();
    r.engine = new EngineResults();
    r.engine.paired.add(scores);
    r.engine.pairedGcShare.add(Map.of());
    return r;
  }

  /** One repetition's scores (per second) with the random-access floor at {@code nanosAt1M}. */
  private static Map<String, Double> engineRun(double nanosAt1M) {
    return Map.of("base", 5e6, "1M leases", 2e6, "100k held", 5e6, "all large", 1e6,
        "floor base", 3e7, "floor 1M", 4e6, "inline floor base", 2e7, "inline floor 1M", 1e9 / nanosAt1M);
  }

  private static Results results() {
    Results r = new Results();
    r.reps = 3;
    r.machine = Machine.describe("7.0.15");
    r.loadAfter = Machine.loadAverage();
    // By Target ordinal: Admission unary, Admission session, no-op, Redis, durable.
    double[][] pairs = {{90, 120, 100, 110, 45}, {100, 240, 200, 150, 50}, {80, 90, 100, 100, 40}};
    for (int rep = 1; rep <= 3; rep++) {
      for (Target t : Target.values()) {
        Properties p = new Properties();
        p.setProperty("steps", "1");
        p.setProperty("step.0.callers", "256");
        p.setProperty("step.0.pairs_per_s", Double.toString(pairs[rep - 1][t.ordinal()]));
        for (String k : List.of("p50_ms", "p99_ms", "p999_ms", "server_cpu_us_per_pair", "client_cpu_us_per_pair")) {
          p.setProperty("step.0." + k, "1.0");
        }
        r.e2e.add(new Results.LoadRun(t, rep, p));
        Properties c = new Properties();
        c.setProperty("dispatch.p50_ms", "0.5");
        c.setProperty("dispatch.p99_ms", t == Target.ADMISSION ? "1.5" : "30");
        c.setProperty("dispatch.p999_ms", "40");
        if (t != Target.NOOP) {
          r.contended.add(new Results.ContendedRun(t, rep, 20, c));
        }
      }
    }
    for (Target t : Target.values()) {
      Properties s = new Properties();
      s.setProperty("steps", "3");
      for (int i = 0; i < 3; i++) {
        s.setProperty("step." + i + ".callers", Integer.toString(1 << (2 * i)));
        s.setProperty("step." + i + ".pairs_per_s", Double.toString(1000 * (i + 1) * (t.ordinal() + 1)));
        s.setProperty("step." + i + ".p50_ms", Double.toString(0.1 * (i + 1)));
        s.setProperty("step." + i + ".p99_ms", Double.toString(0.5 * (i + 1)));
        s.setProperty("step." + i + ".p999_ms", Double.toString(1.0 * (i + 1)));
      }
      r.sweep.put(t, s);
    }
    Properties heap = new Properties();
    heap.setProperty("count", "1000");
    heap.setProperty("lease.bytes", "280.5");
    heap.setProperty("lease.classes", "0");
    r.heap.put("lease", heap);
    return r;
  }
}
