package io.admission.bench.report;

import io.admission.bench.engine.AcquireReleaseBenchmark;
import io.admission.bench.engine.DispatchBenchmark;
import io.admission.bench.engine.IdTableFloorBenchmark;
import io.admission.bench.engine.InlineIdTableFloorBenchmark;
import io.admission.bench.engine.RememberedCallsBenchmark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs the JMH engine benchmarks (JMH forks a JVM per parameter set) and keeps their scores. */
final class EngineResults {
  /** Decisions per second at one shape of the engine; alloc in bytes per decision. */
  record Decisions(int leases, int held, int orgs, double perSecond, double error, double allocBytes) {}

  /** Nanoseconds per dispatch cycle at one queue depth; alloc in bytes per cycle. */
  record Dispatch(int depth, double nanos, double error, double allocBytes) {}

  /** A JFR profile of one shape, with the ns per decision it was measured at. */
  record Profile(int leases, double nanosPerDecision, JfrSummary jfr) {}

  /** One shape of the side-by-side comparison. */
  record Shape(String name, int leases, int held, int orgs) {}

  /**
   * The shapes the flatness targets compare, measured side by side: in each repetition every
   * shape in turn, so machine noise lands on all of them alike, and ratios paired per repetition.
   */
  static final List<Shape> PAIRED_SHAPES = List.of(
      new Shape("base", 1_000, 0, 1),
      new Shape("1M leases", 1_000_000, 0, 1),
      new Shape("100k held", 1_000, 100_000, 1),
      new Shape("all large", 1_000_000, 100_000, 100_000));

  /** A floor beside the shapes: a bare id table doing only the engine's id traffic. */
  record Floor(String name, int leases, Class<?> benchmark) {}

  /**
   * The floors, at the base's and the 1 M shape's lease counts, under these names in
   * {@link #paired}: {@link IdTableFloorBenchmark} (a heap object per lease in a {@code HashMap})
   * and {@link InlineIdTableFloorBenchmark} (no object per lease, one cache line per lookup, placed
   * by hash: the random-access floor).
   */
  static final List<Floor> FLOORS = List.of(
      new Floor("floor base", 1_000, IdTableFloorBenchmark.class),
      new Floor("floor 1M", 1_000_000, IdTableFloorBenchmark.class),
      new Floor("inline floor base", 1_000, InlineIdTableFloorBenchmark.class),
      new Floor("inline floor 1M", 1_000_000, InlineIdTableFloorBenchmark.class));

  /**
   * Ended calls remembered in {@link RememberedCallsBenchmark}'s side-by-side shape: 10 minutes of
   * a server ending 5,000 calls a second. Measured in each repetition beside the base shape.
   */
  static final int REMEMBERED = 3_000_000;
  static final String REMEMBERED_SHAPE = "3M remembered";
  /** The same, applied in loop turns ({@link RememberedCallsBenchmark#loopTurn}), read ahead. */
  static final String REMEMBERED_TURNS = "3M remembered, turns";
  /** The same without the engine's read-ahead: what it takes off. */
  static final String REMEMBERED_TURNS_NO_AHEAD = "3M remembered, turns, no read-ahead";

  /** Measured iterations (1 s each) of a side-by-side run. */
  static final int PAIRED_ITERATIONS = 5;
  /**
   * Warm-up iterations (1 s each) of a side-by-side run. The engine's code takes C2 about 4 s to
   * settle on this machine: with 2 the first measured iterations ran at 0.8-6 M decisions/s
   * against ~10 M after, and the base shape read anywhere from 3 to 10 M between repetitions.
   */
  static final int PAIRED_WARMUP = 6;

  final List<Decisions> decisions = new ArrayList<>();
  /** Per repetition, decisions/s per shape name (in {@link #PAIRED_SHAPES} order). */
  final List<java.util.Map<String, Double>> paired = new ArrayList<>();
  /** Per repetition, the share of measured time spent in GC pauses, per shape name. */
  final List<java.util.Map<String, Double>> pairedGcShare = new ArrayList<>();
  final List<Profile> profiles = new ArrayList<>();
  final List<Dispatch> dispatches = new ArrayList<>();

  /**
   * Full: every shape of the benchmark's parameters once (3×2 s warm-up, 3×2 s measured, GC
   * profiler). Quick: the base shape (1 k leases, no held calls, one org), 2×1 s and 3×1 s.
   */
  static EngineResults run(boolean quick, Path work) throws RunnerException {
    EngineResults r = new EngineResults();
    ChainedOptionsBuilder decisions = options(quick, work.resolve("jmh-matrix.log"))
        .include(AcquireReleaseBenchmark.class.getName() + ".releaseThenAcquire");
    if (quick) {
      decisions.param("leases", "1000").param("held", "0").param("orgs", "1");
    } else {
      decisions.addProfiler(GCProfiler.class)
          .warmupIterations(3).warmupTime(TimeValue.seconds(2))
          .measurementIterations(3).measurementTime(TimeValue.seconds(2));
    }
    for (RunResult rr : new Runner(decisions.build()).run()) {
      var p = rr.getParams();
      Result<?> primary = rr.getPrimaryResult();
      // JMH normalizes allocation per invocation; an invocation is two decisions.
      r.decisions.add(new Decisions(
          Integer.parseInt(p.getParam("leases")), Integer.parseInt(p.getParam("held")),
          Integer.parseInt(p.getParam("orgs")), medianOfIterations(rr), primary.getScoreError(),
          alloc(rr.getSecondaryResults()) / 2));
    }
    if (!quick) {
      ChainedOptionsBuilder dispatch = options(false, work.resolve("jmh-dispatch.log"))
          .include(DispatchBenchmark.class.getName() + ".releaseDispatchAndHold")
          .addProfiler(GCProfiler.class);
      for (RunResult rr : new Runner(dispatch.build()).run()) {
        Result<?> primary = rr.getPrimaryResult();
        r.dispatches.add(new Dispatch(Integer.parseInt(rr.getParams().getParam("depth")),
            primary.getScore(), primary.getScoreError(), alloc(rr.getSecondaryResults())));
      }
    }
    return r;
  }

  /**
   * {@link #PAIRED_SHAPES}, then the {@link #FLOORS}, {@code reps} times in turn;
   * {@link #PAIRED_WARMUP}×1 s warm-up and 5×1 s measured each, the median iteration kept.
   */
  void paired(int reps, Path work, java.util.function.Consumer<String> progress) throws RunnerException {
    for (int rep = 1; rep <= reps; rep++) {
      java.util.Map<String, Double> scores = new java.util.LinkedHashMap<>();
      java.util.Map<String, Double> gc = new java.util.LinkedHashMap<>();
      String of = rep + "/" + reps;
      for (Shape shape : PAIRED_SHAPES) {
        ChainedOptionsBuilder o = pairedOptions(work, shape.leases())
            .include(AcquireReleaseBenchmark.class.getName() + ".releaseThenAcquire")
            .param("held", Integer.toString(shape.held())).param("orgs", Integer.toString(shape.orgs()));
        measure(o, shape.name(), "decisions/s", of, scores, gc, progress);
      }
      for (Floor floor : FLOORS) {
        ChainedOptionsBuilder o = pairedOptions(work, floor.leases())
            .include(floor.benchmark().getName() + ".removeOldestPutNew");
        measure(o, floor.name(), "table ops/s", of, scores, gc, progress);
      }
      ChainedOptionsBuilder remembering = options(true, work.resolve("jmh-paired.log"))
          .warmupIterations(PAIRED_WARMUP).measurementIterations(PAIRED_ITERATIONS)
          .include(RememberedCallsBenchmark.class.getName() + ".releaseThenAcquire")
          .param("remembered", Integer.toString(REMEMBERED))
          .addProfiler(GCProfiler.class);
      measure(remembering, REMEMBERED_SHAPE, "decisions/s", of, scores, gc, progress);
      for (boolean ahead : new boolean[] {true, false}) {
        ChainedOptionsBuilder turns = options(true, work.resolve("jmh-paired.log"))
            .warmupIterations(PAIRED_WARMUP).measurementIterations(PAIRED_ITERATIONS)
            .include(RememberedCallsBenchmark.class.getName() + ".loopTurn")
            .param("remembered", Integer.toString(REMEMBERED))
            .param("readAhead", Boolean.toString(ahead))
            .addProfiler(GCProfiler.class);
        measure(turns, ahead ? REMEMBERED_TURNS : REMEMBERED_TURNS_NO_AHEAD, "decisions/s", of,
            scores, gc, progress);
      }
      paired.add(scores);
      pairedGcShare.add(gc);
    }
  }

  private static ChainedOptionsBuilder pairedOptions(Path work, int leases) {
    return options(true, work.resolve("jmh-paired.log"))
        .warmupIterations(PAIRED_WARMUP).measurementIterations(PAIRED_ITERATIONS)
        .param("leases", Integer.toString(leases))
        .addProfiler(GCProfiler.class);
  }

  private static void measure(ChainedOptionsBuilder o, String name, String unit, String of,
      java.util.Map<String, Double> scores, java.util.Map<String, Double> gc,
      java.util.function.Consumer<String> progress) throws RunnerException {
    RunResult rr = new Runner(o.build()).runSingle();
    double score = medianOfIterations(rr);
    scores.put(name, score);
    gc.put(name, secondary(rr.getSecondaryResults(), "gc.time") / (PAIRED_ITERATIONS * 1000.0));
    progress.accept(String.format(java.util.Locale.ROOT, "engine paired %s %-17s %,.0f %s", of, name, score, unit));
  }

  /**
   * Per repetition, the nanoseconds an operation of {@link InlineIdTableFloorBenchmark} costs more
   * at 1 M leases than at 1 k: one memory access that misses every cache, placed by hash.
   */
  List<Double> randomAccessNanos() {
    return paired.stream().filter(m -> m.containsKey("inline floor 1M")).map(EngineResults::randomAccessNanos).toList();
  }

  /**
   * Per repetition, the growth one such access a decision adds to this engine: its decision at
   * the base shape plus {@link #randomAccessNanos}, over the former.
   */
  List<Double> growthOfOneAccess() {
    return paired.stream().filter(m -> m.containsKey("inline floor 1M") && m.containsKey("base"))
        .map(m -> 1 + randomAccessNanos(m) / (1e9 / m.get("base"))).toList();
  }

  private static double randomAccessNanos(java.util.Map<String, Double> scores) {
    return 1e9 / scores.get("inline floor 1M") - 1e9 / scores.get("inline floor base");
  }

  /**
   * The same for an engine at exactly the 3 M decisions/s target, 333 ns a decision: a slower
   * engine reads flatter, so this is the least that one access adds to an engine meeting both.
   */
  double growthOfOneAccessAtTargetSpeed() {
    return 1 + Stats.median(randomAccessNanos()) / (1e9 / 3e6);
  }

  /** Scores of one shape over the repetitions. */
  List<Double> pairedScores(String shape) {
    return paired.stream().map(m -> m.get(shape)).filter(java.util.Objects::nonNull).toList();
  }

  /** GC pause share of one shape over the repetitions. */
  List<Double> pairedGcShares(String shape) {
    return pairedGcShare.stream().map(m -> m.get(shape)).filter(java.util.Objects::nonNull).toList();
  }

  /** Like {@link #pairedGrowth}, with each run's GC pause time taken out of its cost. */
  List<Double> pairedGrowthWithoutGc(String shape) {
    return pairedGrowthWithoutGc("base", shape);
  }

  /** Like {@link #pairedGrowth(String, String)}, with GC pause time taken out of both costs. */
  List<Double> pairedGrowthWithoutGc(String from, String shape) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < paired.size(); i++) {
      var m = paired.get(i);
      var gc = pairedGcShare.get(i);
      if (m.containsKey(shape) && m.containsKey(from)) {
        double base = (1 - gc.getOrDefault(from, 0.0)) / m.get(from);
        double at = (1 - gc.getOrDefault(shape, 0.0)) / m.get(shape);
        out.add(at / base);
      }
    }
    return out;
  }

  /** cost(shape) ÷ cost(base) per repetition: how much slower a decision is at that shape. */
  List<Double> pairedGrowth(String shape) {
    return pairedGrowth("base", shape);
  }

  /** cost(shape) ÷ cost(from) per repetition, for any two names measured in the same runs. */
  List<Double> pairedGrowth(String from, String shape) {
    return paired.stream().filter(m -> m.containsKey(shape) && m.containsKey(from))
        .map(m -> m.get(from) / m.get(shape)).toList();
  }

  /**
   * Profiles the smallest and the largest lease count (no held calls, one org) with JFR, so the
   * report can show which methods' cost grows with the number of leases.
   */
  void profile(Path work) throws RunnerException, java.io.IOException {
    Path dir = work.resolve("jfr-engine");
    ChainedOptionsBuilder o = options(true, work.resolve("jmh-profile.log"))
        .include(AcquireReleaseBenchmark.class.getName() + ".releaseThenAcquire")
        .param("leases", "1000", "1000000").param("held", "0").param("orgs", "1")
        .measurementIterations(5).measurementTime(TimeValue.seconds(2))
        .addProfiler(org.openjdk.jmh.profile.JavaFlightRecorderProfiler.class,
            "dir=" + dir + ";configName=" + samplingEveryMillisecond(dir));
    for (RunResult rr : new Runner(o.build()).run()) {
      int leases = Integer.parseInt(rr.getParams().getParam("leases"));
      try (var files = java.nio.file.Files.walk(dir)) {
        Path jfr = files.filter(f -> f.toString().endsWith(".jfr") && f.toString().contains("leases-" + leases + "-"))
            .findFirst().orElseThrow(() -> new java.io.IOException("no JFR file for leases=" + leases + " in " + dir));
        profiles.add(new Profile(leases, 1e9 / rr.getPrimaryResult().getScore(), JfrSummary.read(jfr)));
      }
    }
  }

  /**
   * JFR's "profile" settings with execution samples every 1 ms instead of 10 ms: enough samples
   * in 10 s to tell where a few hundred nanoseconds go.
   */
  private static Path samplingEveryMillisecond(Path dir) throws java.io.IOException {
    String profile = java.nio.file.Files.readString(Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc"));
    String fast = profile.replaceFirst(
        "(<event name=\"jdk.ExecutionSample\">\\s*<setting name=\"enabled\"[^<]*</setting>\\s*<setting name=\"period\"[^>]*>)[^<]*",
        "$11 ms");
    java.nio.file.Files.createDirectories(dir);
    Path jfc = dir.resolve("sampling-1ms.jfc").toAbsolutePath();
    java.nio.file.Files.writeString(jfc, fast);
    return jfc;
  }

  private static ChainedOptionsBuilder options(boolean quick, Path log) {
    ChainedOptionsBuilder o = new OptionsBuilder()
        .forks(1)
        .shouldFailOnError(true)
        .output(log.toString());
    if (quick) {
      // 5 s of warm-up, not 2: C2 needs that long for a decision's whole call graph (measured: a
      // 2 s warm-up read 0.8-2.5 M decisions/s where 5 s reads the full runs' 5-6 M).
      o.warmupIterations(5).warmupTime(TimeValue.seconds(1))
          .measurementIterations(3).measurementTime(TimeValue.seconds(1));
    }
    return o;
  }

  private static double alloc(java.util.Map<String, ?> secondary) {
    return secondary(secondary, "gc.alloc.rate.norm");
  }

  /**
   * The median of the measured iterations' scores: on a shared machine one disturbed iteration
   * would drag JMH's mean far down, the median ignores it.
   */
  static double medianOfIterations(RunResult rr) {
    List<Double> scores = new ArrayList<>();
    for (var br : rr.getBenchmarkResults()) {
      for (var ir : br.getIterationResults()) {
        scores.add(ir.getPrimaryResult().getScore());
      }
    }
    return scores.isEmpty() ? rr.getPrimaryResult().getScore() : Stats.median(scores);
  }

  /** A secondary result by the end of its name; JMH hands them over as a raw map. */
  private static double secondary(java.util.Map<String, ?> secondary, String name) {
    for (var e : secondary.entrySet()) {
      if (e.getKey().endsWith(name)) {
        return ((Result<?>) e.getValue()).getScore();
      }
    }
    return Double.NaN;
  }

}
