package io.admission.bench.report;

import io.admission.bench.BenchCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Everything `make bench` measures, side by side in one run, and the report.
 *
 * <p>Every comparison follows TOOLCHAIN.md's rules for this 2-core machine: each measurement gets
 * a fresh server JVM and a fresh client JVM (gRPC throughput varies ±20–35 % between JVM pairs),
 * warms up before measuring (the JIT needs 15–20 s under load), the targets alternate within each
 * repetition (A B C A B C …), ratios are paired within a repetition and the median is quoted.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = "Run every benchmark; write docs/BENCHMARKS.md (full) and print RESULT lines.")
public final class RunCommand implements Callable<Integer> {
  @Option(names = "--quick", description = "One repetition of everything, short: about a minute and a half.")
  boolean quick;

  @Option(names = "--server-jar", defaultValue = "server/target/admission-server.jar")
  Path serverJar;

  @Option(names = "--bench-jar", description = "This jar (default: where this class was loaded from).")
  Path benchJar;

  @Option(names = "--redis", required = true, description = "HOST:PORT of the Redis the script started.")
  String redis;

  @Option(names = "--redis-pid", defaultValue = "0", description = "Its pid, for CPU time per pair.")
  long redisPid;

  @Option(names = "--redis-version", defaultValue = "?")
  String redisVersion;

  @Option(names = "--report", defaultValue = "docs/BENCHMARKS.md", description = "Written by full runs only.")
  Path report;

  @Option(names = "--plot", defaultValue = "docs/benchmarks-latency.png")
  Path plot;

  @Option(names = "--work", defaultValue = "bench/target/bench-run", description = "Logs and raw results.")
  Path work;

  @Option(names = "--reps", description = "Repetitions (default 5, quick 1).")
  Integer reps;

  @Option(names = "--slots", split = ",", description = "Org sizes of the contended run (default 20,2; quick 20).")
  List<Integer> slots;

  @Option(names = "--targets", split = ",",
      description = "End-to-end systems (admission,session,noop,redis,durable); default all, quick leaves durable out.")
  List<String> targets;

  @Option(names = "--only", split = ",",
      description = "Stages to run (engine,engine-paired,engine-profile,heap,e2e,e2e-paired,durable-paired,sweep,"
          + "contended,profile); "
          + "default all of the mode. A run of some stages writes its report into --work, not over --report.")
  List<String> only;

  /** Server JVM options: the same for Admission and the no-op service. */
  static final List<String> SERVER_JVM = List.of("-Xms1g", "-Xmx4g");
  static final List<String> CLIENT_JVM = List.of("-Xms512m", "-Xmx1g");
  static final int CALLERS = 256;
  static final List<Integer> SWEEP = List.of(1, 4, 16, 64, 256);
  /**
   * How a paired run alternates its two servers ({@link io.admission.bench.load.PairedLoadCommand}):
   * seconds of warm-up on each, measured window pairs, and each window's measured and settling seconds.
   */
  record Windows(double warmup, int pairs, double window, double settle) {}

  /** The paired runs of `make bench`: Admission ÷ no-op and durable ÷ in-memory. */
  static final Windows PAIRED = new Windows(20, 8, 2, 0.5);
  /**
   * `make bench-quick`'s durable ÷ in-memory run: about 20 s with its JVMs' start, a smoke check of
   * the figure rather than a measurement of it (the JIT is not done in 5 s).
   */
  static final Windows PAIRED_QUICK = new Windows(5, 3, 1, 0.5);

  private final Results results = new Results();
  private boolean explicitStages;
  private int rep;

  @Override
  public Integer call() throws Exception {
    if (benchJar == null) {
      benchJar = Path.of(BenchCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }
    if (reps == null) {
      reps = quick ? 1 : 5;
    }
    if (slots == null) {
      slots = quick ? List.of(20) : List.of(20, 2);
    }
    explicitStages = only != null;
    if (only == null) {
      only = quick ? List.of("engine", "heap", "e2e", "durable-paired", "contended")
          : List.of("engine", "engine-paired", "engine-profile", "heap", "e2e", "e2e-paired", "durable-paired", "sweep",
              "contended", "profile");
    }
    Files.createDirectories(work);
    results.quick = quick;
    results.reps = reps;
    results.machine = Machine.describe(redisVersion);
    long started = System.nanoTime();
    Path config = writeAdmissionConfig();
    engine();
    heap();
    if (only.contains("e2e")) {
      endToEnd(config);
    }
    if (only.contains("e2e-paired")) {
      pairedWithNoop(config);
    }
    if (only.contains("durable-paired")) {
      durableBesideInMemory(config);
    }
    if (only.contains("sweep")) {
      sweep(config);
    }
    if (only.contains("contended")) {
      contended(config);
    }
    if (only.contains("profile")) {
      profiles(config);
    }
    results.elapsedSeconds = (System.nanoTime() - started) / 1e9;
    results.loadAfter = Machine.loadAverage();
    results.commands.putIfAbsent("redis",
        "redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no   # started by scripts/bench.sh");
    if (!quick) {
      writeReport();
    }
    System.out.println();
    for (Map.Entry<String, String> r : results.headline().entrySet()) {
      System.out.println("RESULT " + r.getKey() + "=" + r.getValue());
    }
    return 0;
  }

  // ---- Stages -----------------------------------------------------------------------------

  private void engine() throws Exception {
    if (only.contains("engine")) {
      progress("engine: JMH " + (quick ? "(one shape)" : "(18 shapes + 3 queue depths)") + ", logs in " + work);
      results.engine = EngineResults.run(quick, work);
      for (var d : results.engine.decisions) {
        progress(String.format(Locale.ROOT, "  leases=%d held=%d orgs=%d: %.0f decisions/s",
            d.leases(), d.held(), d.orgs(), d.perSecond()));
      }
    }
    if ((only.contains("engine-paired") || only.contains("engine-profile")) && results.engine == null) {
      results.engine = new EngineResults();
    }
    if (only.contains("engine-paired")) {
      progress("engine: " + EngineResults.PAIRED_SHAPES.size() + " shapes side by side, " + reps + " repetitions");
      results.engine.paired(reps, work, RunCommand::progress);
    }
    if (only.contains("engine-profile")) {
      progress("engine: JFR profiles at 1 k and 1 M leases");
      results.engine.profile(work);
    }
  }

  /** One JVM per kind, so that neither measurement sees the other's garbage. */
  private void heap() throws IOException, InterruptedException {
    if (!only.contains("heap")) {
      return;
    }
    int count = quick ? 200_000 : 1_000_000;
    for (String kind : quick ? List.of("lease") : List.of("lease", "held", "ended")) {
      Path out = work.resolve("heap-" + kind + ".properties");
      Properties p = Proc.run(cmd(List.of("-XX:+UseSerialGC", "-Xmx4g"), "heap", "--kind", kind,
          "--count", Integer.toString(count), "--out", out.toString()), work.resolve("heap-" + kind + ".log"), out, 300);
      results.heap.put(kind, p);
      progress("heap: " + p.getProperty(kind + ".bytes") + " bytes per " + kind);
    }
  }

  /** Repetitions of A B C (D): fresh JVMs each, {@link #CALLERS} callers. */
  private void endToEnd(Path config) throws IOException, InterruptedException {
    double warmup = quick ? 6 : 20;
    double seconds = quick ? 4 : 10;
    for (rep = 1; rep <= reps; rep++) {
      for (Target t : e2eTargets()) {
        // Quick runs keep `make bench-quick` under 90 s: the added session run is shorter.
        boolean shortRun = quick && t == Target.SESSION;
        Properties p = load(t, config, List.of(CALLERS), shortRun ? 4 : warmup, shortRun ? 3 : seconds, null);
        results.e2e.add(new Results.LoadRun(t, rep, p));
        progress(String.format(Locale.ROOT, "e2e %d/%d %-9s %8.0f pairs/s  p50 %.2f ms  p99 %.2f ms", rep, reps,
            t.key, Double.parseDouble(p.getProperty("step.0.pairs_per_s")),
            Double.parseDouble(p.getProperty("step.0.p50_ms")), Double.parseDouble(p.getProperty("step.0.p99_ms"))));
      }
    }
  }

  /**
   * Admission (unary) and the no-op service up side by side, one client moving its callers between
   * them in alternating windows ({@link io.admission.bench.load.PairedLoadCommand}): fresh JVMs per
   * repetition, the host's drift paired out within each.
   */
  private void pairedWithNoop(Path config) throws IOException, InterruptedException {
    for (rep = 1; rep <= reps; rep++) {
      Properties p = paired("paired-noop-rep" + rep, Target.ADMISSION, Target.NOOP, config, PAIRED, "client-paired");
      results.pairedNoop.add(p);
      progress(String.format(Locale.ROOT, "e2e paired %d/%d: Admission %.0f, no-op %.0f pairs/s, ratio %.3f",
          rep, reps, Double.parseDouble(p.getProperty("a.pairs_per_s")),
          Double.parseDouble(p.getProperty("b.pairs_per_s")), Double.parseDouble(p.getProperty("ratio.median"))));
    }
  }

  /**
   * Durable Admission (A, a fresh --data-dir of its own) and Admission --in-memory (B) up side by
   * side, one client alternating between them as {@link #pairedWithNoop} does: what the journal
   * costs in throughput and latency with the host's drift paired out.
   */
  private void durableBesideInMemory(Path config) throws IOException, InterruptedException {
    Windows windows = quick ? PAIRED_QUICK : PAIRED;
    for (rep = 1; rep <= reps; rep++) {
      Properties p = paired("paired-durable-rep" + rep, Target.DURABLE, Target.ADMISSION, config, windows,
          "client-paired-durable");
      results.pairedDurable.add(p);
      progress(String.format(Locale.ROOT,
          "durable paired %d/%d: durable %.0f, in-memory %.0f pairs/s, ratio %.3f; p99 %.2f ms, %.2f ms",
          rep, reps, Double.parseDouble(p.getProperty("a.pairs_per_s")),
          Double.parseDouble(p.getProperty("b.pairs_per_s")), Double.parseDouble(p.getProperty("ratio.median")),
          Double.parseDouble(p.getProperty("a.p99_ms")), Double.parseDouble(p.getProperty("b.p99_ms"))));
    }
  }

  /**
   * One repetition of a paired run: fresh servers {@code a} and {@code b}, and a fresh client
   * alternating {@link #CALLERS} callers between them. A durable server's data directory is
   * deleted again afterwards: a repetition journals every command of its run, which nobody reads
   * again, and five of them would pile up on the disk the next ones measure.
   */
  private Properties paired(String name, Target a, Target b, Path config, Windows w, String commandKey)
      throws IOException, InterruptedException {
    Path out = work.resolve(name + ".properties");
    try (Proc.Server first = startServer(a, config, name + "-" + a.key, null);
        Proc.Server second = startServer(b, config, name + "-" + b.key, null)) {
      List<String> command = cmd(CLIENT_JVM, "load-paired",
          "--address", first.address(), "--versus", second.address(),
          "--server-pid", Long.toString(first.pid()), "--versus-pid", Long.toString(second.pid()),
          "--callers", Integer.toString(CALLERS), "--warmup", fmt(w.warmup()), "--pairs", Integer.toString(w.pairs()),
          "--window", fmt(w.window()), "--settle", fmt(w.settle()), "--out", out.toString());
      results.commands.putIfAbsent(commandKey, String.join(" ", command));
      long timeout = Math.max(300, (long) (2 * (w.warmup() + w.pairs() * (w.window() + w.settle())) + 120));
      return Proc.run(command, work.resolve(name + "-client.log"), out, timeout);
    } finally {
      for (Target t : List.of(a, b)) {
        if (t == Target.DURABLE) {
          deleteTree(dataDir(name + "-" + t.key));
        }
      }
    }
  }

  /** Latency against load for the plot: one warm-up, then each concurrency in turn. */
  private void sweep(Path config) throws IOException, InterruptedException {
    for (Target t : e2eTargets()) {
      results.sweep.put(t, load(t, config, SWEEP, 20, 5, null));
      progress("sweep " + t.key + " done");
    }
  }

  private void contended(Path config) throws IOException, InterruptedException {
    double warmup = quick ? 2 : 20;
    double seconds = quick ? 4 : 10; // quick: keeps `make bench-quick` under 90 s with the session run
    for (int s : slots) {
      for (rep = 1; rep <= reps; rep++) {
        for (Target t : List.of(Target.ADMISSION, Target.REDIS)) {
          Properties p = contended(t, config, s, warmup, seconds);
          results.contended.add(new Results.ContendedRun(t, rep, s, p));
          progress(String.format(Locale.ROOT, "contended slots=%d %d/%d %-9s dispatch p50 %.2f ms  p99 %.2f ms",
              s, rep, reps, t.key, Double.parseDouble(p.getProperty("dispatch.p50_ms")),
              Double.parseDouble(p.getProperty("dispatch.p99_ms"))));
        }
      }
    }
  }

  /** A JFR recording of each gRPC server over the 10 s that a load run measures. */
  private void profiles(Path config) throws IOException, InterruptedException {
    for (Target t : List.of(Target.ADMISSION, Target.NOOP)) {
      Path jfr = work.resolve("profile-" + t.key + ".jfr");
      Files.deleteIfExists(jfr);
      load(t, config, List.of(CALLERS), 20, 10,
          "-XX:StartFlightRecording=delay=21s,duration=10s,settings=profile,filename=" + jfr);
      results.profiles.put(t, JfrSummary.read(jfr));
      progress("profile " + t.key + ": " + jfr);
    }
  }

  /**
   * docs/BENCHMARKS.md and the plot. A run of some stages only (--only) writes into the work
   * directory instead, so that a partial run never replaces the full report.
   */
  private void writeReport() throws IOException {
    Path md = explicitStages ? work.resolve("BENCHMARKS.md") : report;
    Path png = explicitStages ? work.resolve(plot.getFileName()) : plot;
    Files.createDirectories(md.toAbsolutePath().getParent());
    if (!results.sweep.isEmpty()) {
      LatencyPlot.write(results.sweep, png);
    }
    Files.writeString(md, new Report(results, md.toAbsolutePath().getParent().relativize(png.toAbsolutePath())).markdown());
    progress("wrote " + md + (results.sweep.isEmpty() ? "" : " and " + png));
  }

  /** Quick runs leave the durable server out: no target depends on it. */
  private List<Target> e2eTargets() {
    if (targets != null) {
      return List.of(Target.values()).stream().filter(t -> targets.contains(t.key)).toList();
    }
    return quick ? List.of(Target.ADMISSION, Target.SESSION, Target.NOOP, Target.REDIS) : List.of(Target.values());
  }

  /** The systems compared; each run gets a fresh server (Redis is one process for the whole run). */
  enum Target {
    ADMISSION("admission", "Admission `--in-memory`"),
    /** The same server, every caller's requests on one Session stream instead of unary calls. */
    SESSION("session", "Admission `--in-memory`, Session stream"),
    NOOP("noop", "no-op gRPC service"),
    REDIS("redis", "Redis + Lua (Lettuce)"),
    /**
     * Admission with its journal: here what the journal costs beside the in-memory server, run one
     * after the other, for reference; the durable ÷ in-memory target is the paired run's.
     */
    DURABLE("durable", "Admission durable (journal)");

    final String key;
    final String label;

    Target(String key, String label) {
      this.key = key;
      this.label = label;
    }
  }

  private Properties load(Target t, Path config, List<Integer> callers, double warmup, double seconds,
      String serverJvmExtra) throws IOException, InterruptedException {
    String name = "load-" + t.key + "-" + (callers.size() > 1 ? "sweep" : "rep" + rep);
    Path out = work.resolve(name + ".properties");
    try (Proc.Server server = startServer(t, config, name, serverJvmExtra)) {
      List<String> args = new ArrayList<>(List.of("load",
          "--target", clientTarget(t),
          "--address", server == null ? redis : server.address(),
          "--callers", String.join(",", callers.stream().map(String::valueOf).toList()),
          "--warmup", fmt(warmup), "--seconds", fmt(seconds),
          "--server-pid", Long.toString(server == null ? redisPid : server.pid()),
          "--out", out.toString()));
      List<String> command = cmd(CLIENT_JVM, args.toArray(String[]::new));
      results.commands.putIfAbsent("client-" + clientTarget(t), String.join(" ", command));
      long timeout = (long) (warmup + callers.size() * (seconds + 2) + 60);
      return Proc.run(command, work.resolve(name + "-client.log"), out, timeout);
    }
  }

  /** The load client's --target for a system: unary gRPC, Session streams, or Redis. */
  private static String clientTarget(Target t) {
    return switch (t) {
      case REDIS -> "redis";
      case SESSION -> "session";
      default -> "grpc";
    };
  }

  private Properties contended(Target t, Path config, int slots, double warmup, double seconds)
      throws IOException, InterruptedException {
    String name = "contended-" + slots + "-" + t.key + "-rep" + rep;
    Path out = work.resolve(name + ".properties");
    try (Proc.Server server = startServer(t, config, name, null)) {
      List<String> command = cmd(CLIENT_JVM, "contended",
          "--target", t == Target.REDIS ? "redis" : "grpc",
          "--address", server == null ? redis : server.address(),
          "--org", "contended-" + slots, "--slots", Integer.toString(slots),
          "--warmup", fmt(warmup), "--seconds", fmt(seconds), "--out", out.toString());
      results.commands.putIfAbsent("contended-" + t.key, String.join(" ", command));
      return Proc.run(command, work.resolve(name + "-client.log"), out, (long) (warmup + seconds + 60));
    }
  }

  /** A fresh server JVM for Admission or the no-op service; null for Redis, which the script runs. */
  private Proc.Server startServer(Target t, Path config, String name, String jvmExtra)
      throws IOException, InterruptedException {
    List<String> jvm = new ArrayList<>(SERVER_JVM);
    if (jvmExtra != null) {
      jvm.add(jvmExtra);
    }
    List<String> command;
    switch (t) {
      case ADMISSION, SESSION, DURABLE -> {
        command = new ArrayList<>(List.of(java()));
        command.addAll(jvm);
        command.addAll(List.of("-jar", serverJar.toString(), "--listen", "127.0.0.1:0", "--config", config.toString()));
        if (t != Target.DURABLE) {
          command.add("--in-memory");
        } else {
          Path data = dataDir(name);
          deleteTree(data);
          command.addAll(List.of("--data-dir", data.toString()));
        }
      }
      case NOOP -> command = cmd(jvm, "noop-server", "--listen", "127.0.0.1:0");
      default -> {
        return null;
      }
    }
    if (jvmExtra == null) {
      results.commands.putIfAbsent("server-" + t.key, String.join(" ", command));
    }
    return Proc.startServer(command, work.resolve(name + "-server.log"));
  }

  /** The durable server's own data directory, fresh for each server started. */
  private Path dataDir(String serverName) {
    return work.resolve("data-" + serverName);
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var paths = Files.walk(dir)) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** Orgs for the load: one with room for every caller, and one per contended size. */
  private Path writeAdmissionConfig() throws IOException {
    StringBuilder json = new StringBuilder("{\"orgs\": [\n  {\"org\": {\"orgId\": \"bench\", \"concurrencyLimit\": 1000000}}");
    for (int s : slots) {
      json.append(",\n  {\"org\": {\"orgId\": \"contended-").append(s).append("\", \"concurrencyLimit\": ").append(s).append("}}");
    }
    json.append("\n]}\n");
    Path file = work.resolve("admission-config.json");
    Files.writeString(file, json);
    return file;
  }

  private List<String> cmd(List<String> jvm, String... args) {
    List<String> c = new ArrayList<>(List.of(java()));
    c.addAll(jvm);
    c.addAll(List.of("-cp", benchJar.toString(), BenchCli.class.getName()));
    c.addAll(List.of(args));
    return c;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private static void progress(String line) {
    System.out.println("bench: " + line);
    System.out.flush();
  }

  /** Stages' raw results, in the order the report shows them. */
  static final class Results {
    record LoadRun(Target target, int rep, Properties p) {
      double pairs() {
        return Double.parseDouble(p.getProperty("step.0.pairs_per_s"));
      }

      double get(String key) {
        return Double.parseDouble(p.getProperty("step.0." + key, "NaN"));
      }
    }

    record ContendedRun(Target target, int rep, int slots, Properties p) {
      double get(String key) {
        return Double.parseDouble(p.getProperty(key, "NaN"));
      }
    }

    boolean quick;
    int reps;
    Machine machine;
    Machine.Load loadAfter;
    double elapsedSeconds;
    EngineResults engine;
    final Map<String, Properties> heap = new LinkedHashMap<>();
    final List<LoadRun> e2e = new ArrayList<>();
    /** Per repetition, the paired run's properties ({@link io.admission.bench.load.PairedLoadCommand}). */
    final List<Properties> pairedNoop = new ArrayList<>();
    /** Per repetition, durable (a) beside in-memory (b) Admission in alternating windows. */
    final List<Properties> pairedDurable = new ArrayList<>();
    final Map<Target, Properties> sweep = new LinkedHashMap<>();
    final List<ContendedRun> contended = new ArrayList<>();
    final Map<Target, JfrSummary> profiles = new LinkedHashMap<>();
    final Map<String, String> commands = new LinkedHashMap<>();

    /** Admission (unary calls) ÷ {@code vs}, paired by repetition. */
    List<Double> e2eRatios(Target vs) {
      return e2eRatios(Target.ADMISSION, vs);
    }

    /** {@code t} ÷ {@code vs} throughput, paired by repetition. */
    List<Double> e2eRatios(Target t, Target vs) {
      List<Double> ratios = new ArrayList<>();
      for (int r = 1; r <= reps; r++) {
        Double a = pairsOf(t, r);
        Double b = pairsOf(vs, r);
        if (a != null && b != null) {
          ratios.add(a / b);
        }
      }
      return ratios;
    }

    /**
     * Admission (unary) ÷ no-op throughput per repetition: from the paired run (alternating windows,
     * the median window pair of each repetition) when it ran, else from the repetitions of the
     * sequential end-to-end runs.
     */
    List<Double> noopRatios() {
      return pairedNoop.isEmpty() ? e2eRatios(Target.NOOP) : pairedValues("ratio.median");
    }

    /** One figure of the paired run per repetition. */
    List<Double> pairedValues(String key) {
      return values(pairedNoop, key);
    }

    /** One figure of the durable ÷ in-memory paired run per repetition. */
    List<Double> durableValues(String key) {
      return values(pairedDurable, key);
    }

    private static List<Double> values(List<Properties> runs, String key) {
      return runs.stream().map(p -> Double.parseDouble(p.getProperty(key, "NaN"))).toList();
    }

    /**
     * Durable ÷ in-memory throughput per repetition: from the paired run when it ran, else from
     * the sequential end-to-end runs (one after the other, for reference only).
     */
    List<Double> durableRatios() {
      return pairedDurable.isEmpty() ? e2eRatios(Target.DURABLE, Target.ADMISSION) : durableValues("ratio.median");
    }

    /** Median p99 of durable ({@code durable}) or in-memory Admission, from the same runs as {@link #durableRatios}. */
    double durableP99(boolean durable) {
      if (pairedDurable.isEmpty()) {
        return Stats.median(e2eValues(durable ? Target.DURABLE : Target.ADMISSION, "p99_ms"));
      }
      return Stats.median(durableValues(durable ? "a.p99_ms" : "b.p99_ms"));
    }

    /** Admission session ÷ Redis; unary ÷ Redis when the run had no session target. */
    List<Double> bestVsRedis() {
      List<Double> session = e2eRatios(Target.SESSION, Target.REDIS);
      return session.isEmpty() ? e2eRatios(Target.REDIS) : session;
    }

    Double pairsOf(Target t, int r) {
      return e2e.stream().filter(x -> x.target == t && x.rep == r).map(LoadRun::pairs).findFirst().orElse(null);
    }

    List<Double> e2eValues(Target t, String key) {
      return e2e.stream().filter(x -> x.target == t).map(x -> x.get(key)).toList();
    }

    List<Double> contendedValues(Target t, int slots, String key) {
      return contended.stream().filter(x -> x.target == t && x.slots == slots).map(x -> x.get(key)).toList();
    }

    /** Peer p99 over Admission p99, paired by repetition. */
    List<Double> dispatchRatios(int slots) {
      List<Double> ratios = new ArrayList<>();
      for (int r = 1; r <= reps; r++) {
        final int rr = r;
        var a = contended.stream().filter(x -> x.target == Target.ADMISSION && x.slots == slots && x.rep == rr).findFirst();
        var b = contended.stream().filter(x -> x.target == Target.REDIS && x.slots == slots && x.rep == rr).findFirst();
        if (a.isPresent() && b.isPresent()) {
          ratios.add(b.get().get("dispatch.p99_ms") / a.get().get("dispatch.p99_ms"));
        }
      }
      return ratios;
    }

    /**
     * The engine's rate at the base shape (1 k leases, no held calls, one org): the median of the
     * side-by-side runs when they ran, else its single score. How the cost grows at larger shapes
     * is what {@link #leaseGrowth} and {@link #heldGrowth} report.
     */
    double engineHeadline() {
      if (engine == null) {
        return Double.NaN;
      }
      if (!engine.paired.isEmpty()) {
        return Stats.median(engine.pairedScores("base"));
      }
      return engine.decisions.stream().filter(d -> d.leases() == 1_000 && d.held() == 0 && d.orgs() == 1)
          .mapToDouble(EngineResults.Decisions::perSecond).findFirst().orElse(Double.NaN);
    }

    /** Cost at 1 M leases ÷ cost at 1 k: the paired median when measured, else the worst matrix slice. */
    double leaseGrowth() {
      if (engine != null && !engine.paired.isEmpty()) {
        return Stats.median(engine.pairedGrowth("1M leases"));
      }
      return engine == null ? Double.NaN : Stats.max(Report.leaseFlatness(this).stream().map(f -> f[f.length - 1]).toList());
    }

    /** Cost at 100 k held calls ÷ cost at none, likewise. */
    double heldGrowth() {
      if (engine != null && !engine.paired.isEmpty()) {
        return Stats.median(engine.pairedGrowth("100k held"));
      }
      return engine == null ? Double.NaN : Stats.max(Report.heldFlatness(this).stream().map(f -> f[f.length - 1]).toList());
    }

    int headlineSlots() {
      return contended.isEmpty() ? 0 : contended.get(0).slots;
    }

    /**
     * The figures `make bench-quick` prints last: the six, last and in its order, after
     * what the journal costs and the unary Admission ÷ Redis figure that stands beside the Session
     * one.
     */
    Map<String, String> headline() {
      Map<String, String> h = new LinkedHashMap<>();
      h.put("ratio_durable_vs_memory", fmt3(Stats.median(durableRatios())));
      h.put("p99_durable_ms", fmt3(durableP99(true)));
      h.put("p99_memory_ms", fmt3(durableP99(false)));
      h.put("ratio_admission_unary_vs_redis", fmt3(Stats.median(e2eRatios(Target.REDIS))));
      h.put("engine_decisions_per_s", fmt0(engineHeadline()));
      h.put("ratio_admission_vs_noop", fmt3(Stats.median(noopRatios())));
      // Admission's best client path (the Session stream) against the peer's.
      h.put("ratio_admission_vs_redis", fmt3(Stats.median(bestVsRedis())));
      int s = headlineSlots();
      h.put("dispatch_p99_ms", fmt3(Stats.median(contendedValues(Target.ADMISSION, s, "dispatch.p99_ms"))));
      h.put("dispatch_p99_ms_polling_peer", fmt3(Stats.median(contendedValues(Target.REDIS, s, "dispatch.p99_ms"))));
      Properties lease = heap.get("lease");
      h.put("heap_bytes_per_lease", lease == null ? "NaN" : lease.getProperty("lease.bytes"));
      return h;
    }

    static String fmt0(double v) {
      return String.format(Locale.ROOT, "%.0f", v);
    }

    static String fmt3(double v) {
      return String.format(Locale.ROOT, "%.3f", v);
    }
  }
}
