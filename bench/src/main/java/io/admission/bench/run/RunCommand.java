package io.admission.bench.run;

import com.google.common.collect.ArrayListMultimap;
import com.google.common.collect.ListMultimap;
import com.google.common.io.MoreFiles;
import com.google.common.io.Resources;
import io.admission.bench.engine.AcquireReleaseBenchmark;
import io.admission.bench.load.LoadCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.commons.math3.stat.descriptive.rank.Median;
import org.apache.commons.math3.stat.descriptive.rank.Percentile;
import org.apache.commons.math3.stat.descriptive.rank.Percentile.EstimationType;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Everything `make bench` measures, stage by stage, then the tables and a {@code RESULT name=value} line per
 * headline figure. On this shared 2-core machine gRPC throughput varies ±20–35 % between JVM pairs and drifts
 * with the host's other tenants, so every comparison runs side by side: fresh server JVMs per repetition, one
 * client alternating between them ({@link LoadCommand}), the ratio paired within the repetition, its median
 * over repetitions quoted. The JIT needs 15–20 s under load to settle: hence the warm-up.
 */
@Command(name = "run", mixinStandardHelpOptions = true, showDefaultValues = true,
    description = "Run the benchmarks and print RESULT lines; a full run rewrites the tables of docs/BENCHMARKS.md.")
public final class RunCommand implements Callable<Integer> {
  /** In the order they run; lower case, as --only names them. */
  enum Stage { engine, heap, load, metrics, contended, cluster }

  @Option(names = "--quick", description = "One short repetition of everything: a smoke check, not a measurement.")
  boolean quick;
  @Option(names = "--server-jar", defaultValue = "server/target/admission-server.jar") Path serverJar;
  @Option(names = "--redis", required = true, description = "HOST:PORT of the Redis the script started.") String redis;
  @Option(names = "--redis-pid", defaultValue = "0", description = "Its pid, for its CPU time per pair.") long redisPid;
  @Option(names = "--work", defaultValue = "bench/target/bench-run", description = "Logs, raw results, tables.md.")
  Path work;
  @Option(names = "--report", defaultValue = "docs/BENCHMARKS.md",
      description = "Whose tables a full run of every stage rewrites; other runs write tables.md into --work.")
  Path report;
  @Option(names = "--commit", defaultValue = "unknown", description = "The commit measured, named by every table.")
  String commit;
  @Option(names = "--reps", description = "Repetitions (default 5, quick 1).") Integer reps;
  @Option(names = "--org", split = ",", defaultValue = "bench", description = "Orgs (with room for every caller) the"
      + " cluster stage's calls spread over; bench-0,...,bench-7 split evenly over 2 or 4 groups.") List<String> orgs;
  @Option(names = "--node-arg", description = "An option for every cluster node, e.g. --node-arg=--groups=2.")
  List<String> nodeArgs = List.of();
  @Option(names = "--only", split = ",", description = "Stages to run, of ${COMPLETION-CANDIDATES} (default all).")
  Set<Stage> only;

  /** Fixed heaps touched up front (a page's first touch costs ~17 µs here, a GB ~2 s): each JVM gets what it needs. */
  static List<String> heap(String size) {
    return List.of("-Xms" + size, "-Xmx" + size, "-XX:+AlwaysPreTouch");
  }

  static final List<String> CLIENT_JVM = heap("512m");
  /**
   * A cluster's nodes and the single node beside it: each remembers 10 minutes of ended calls, ~115 B each — at
   * 8–12 k pairs/s through the leader, up to 7 M calls; with 1 GB a node ran out of heap during the kills.
   */
  static final List<String> CLUSTER_JVM = heap("2g");
  static final int CALLERS = 256;
  /** The contended run's org sizes, a quick run's the first; the RESULT lines quote the first. */
  List<Integer> slots = List.of(20, 2);
  /**
   * Seconds of load on a cluster and its single node before measuring: a node compiles far more (Ratis brings
   * its own gRPC, Netty and protobuf); C2 settled after ~2 minutes (0.9–1.4 k pairs/s before, 3.9–4.3 k after).
   */
  static final double CLUSTER_WARMUP_S = 120;

  /** The systems compared; each repetition starts fresh servers (Redis runs once, from the script). */
  enum Server {
    IN_MEMORY, SESSION, DURABLE, NOOP, REDIS,
    /** In-memory Admission with {@code --metrics} on: the Prometheus exporter and every instrument live. */
    METRICS
  }

  /** One throughput comparison, A ÷ B. */
  record Pair(String key, String label, Server a, Server b) {}

  static final List<Pair> PAIRS = List.of(
      new Pair("durable", "durable ÷ in-memory Admission", Server.DURABLE, Server.IN_MEMORY),
      new Pair("noop", "Admission ÷ no-op gRPC service", Server.IN_MEMORY, Server.NOOP),
      new Pair("session-redis", "Admission Session stream ÷ Redis peer", Server.SESSION, Server.REDIS),
      new Pair("unary-redis", "Admission unary calls ÷ Redis peer", Server.IN_MEMORY, Server.REDIS));

  /** What metrics cost, every other flag the same: its own stage, to be run alone while metrics are worked on. */
  static final Pair METRICS_PAIR = new Pair("metrics", "`--metrics` on ÷ off (in-memory, unary)", Server.METRICS,
      Server.IN_MEMORY);

  /** How the load client reaches a system ({@code KIND@HOST:PORT}) and whose CPU time it counts. */
  record Side(String spec, String pids) {}

  /** One repetition of the contended run: both clients' results and the Admission server's pauses. */
  record Contended(int slots, Properties admission, Properties peer, Pauses pauses) {
    /** The peer's p99 over Admission's: paired within the repetition, so the median row quotes the median ratio. */
    double ratio() {
      return d(peer, "dispatch.p99_ms") / d(admission, "dispatch.p99_ms");
    }
  }

  /**
   * One leader killed: the pause it caused, the longest while it came back (restart to 3 s after it caught up:
   * a node rejoining must not stop the others either), and its way back, from its restart.
   */
  record Failover(int rep, String leader, double gapSeconds, double rejoinGapSeconds, double listeningSeconds,
      double catchUpSeconds, long entriesMissed, long failedRequests) {}

  /** The engine table's rows, and the base shape's decisions/s (1 k leases, no held calls, one org). */
  final List<List<String>> engine = new ArrayList<>();
  double engineBase = Double.NaN;
  final Map<String, Properties> heap = new LinkedHashMap<>();
  /** Paired runs, one per repetition: by pair key, and the cluster's (cluster ÷ single node). */
  final ListMultimap<String, Properties> load = ArrayListMultimap.create();
  final List<Properties> cluster = new ArrayList<>();
  final List<Contended> contended = new ArrayList<>();
  final List<Failover> failovers = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    reps = reps != null ? reps : quick ? 1 : 5;
    slots = quick ? slots.subList(0, 1) : slots;
    Set<Stage> stages = only != null ? EnumSet.copyOf(only) : EnumSet.allOf(Stage.class);
    Files.createDirectories(work);
    String loadBefore = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    Path config = writeAdmissionConfig();
    for (Stage stage : stages) {
      switch (stage) {
        case engine -> engine();
        case heap -> heap();
        case load -> load(config, PAIRS);
        case metrics -> load(config, List.of(METRICS_PAIR));
        case contended -> contended(config);
        case cluster -> cluster(config);
      }
    }
    String by = only == null ? (quick ? "make bench-quick" : "make bench")
        : "scripts/bench.sh " + (quick ? "--quick " : "") + "--only "
        + stages.stream().map(Stage::name).collect(Collectors.joining(","));
    Tables tables = tables(String.format(Locale.ROOT,
        "Measured at commit `%s` on %s by `%s` (%d repetition%s; load average %s at the start, %d cores).", commit,
        LocalDate.now(), by, reps, reps == 1 ? "" : "s", loadBefore, Runtime.getRuntime().availableProcessors()));
    if (!quick && only == null) {
      tables.replaceIn(report);
      progress("wrote the tables of %s", report);
    } else {
      tables.writeAll(work.resolve("tables.md"));
      progress("wrote %s", work.resolve("tables.md"));
    }
    System.out.println();
    results().forEach((name, value) -> System.out.println("RESULT " + name + "=" + value));
    return 0;
  }

  // ---- Stages -----------------------------------------------------------------------------

  /** JMH, one fork per shape; its results as JSON in jmh.json. Quick: the base shape, briefly. */
  private void engine() throws RunnerException {
    progress("engine: JMH, log in %s", work.resolve("jmh.log"));
    var o = new OptionsBuilder().include(AcquireReleaseBenchmark.class.getName() + ".releaseThenAcquire")
        .forks(1).jvmArgs().shouldFailOnError(true).addProfiler(GCProfiler.class) // not the runner's JVM flags
        .resultFormat(ResultFormatType.JSON).result(work.resolve("jmh.json").toString())
        .output(work.resolve("jmh.log").toString());
    if (quick) {
      // 5 s of warm-up, not 2: C2 needs that long for a decision's call graph; a small heap touches less.
      o.param("leases", "1000").param("held", "0").param("orgs", "1").jvmArgsAppend(heap("1g").toArray(String[]::new))
          .warmupIterations(5).warmupTime(TimeValue.seconds(1))
          .measurementIterations(3).measurementTime(TimeValue.seconds(1));
    }
    for (var rr : new Runner(o.build()).run()) {
      var p = rr.getParams();
      var decisions = rr.getPrimaryResult(); // per decision: @OperationsPerInvocation counts them
      var alloc = rr.getSecondaryResults().get("gc.alloc.rate.norm"); // GCProfiler's, likewise per decision
      String params = "leases " + p.getParam("leases") + ", held " + p.getParam("held") + ", orgs " + p.getParam("orgs");
      engine.add(List.of(params, f(0, decisions.getScore()), f(0, decisions.getScoreError()),
          f(1, 1e9 / decisions.getScore()), f(1, alloc == null ? Double.NaN : alloc.getScore())));
      engineBase = params.equals("leases 1000, held 0, orgs 1") ? decisions.getScore() : engineBase;
    }
  }

  /** One JVM per kind, so that neither measurement sees the other's garbage. */
  private void heap() throws IOException, InterruptedException {
    List<String> jvm = plus(heap("1g"), "-XX:+UseSerialGC");
    for (String kind : quick ? List.of("lease") : List.of("lease", "held")) {
      heap.put(kind, client("heap-" + kind, jvm, 300, "heap", "--kind", kind, "--count", quick ? "200000" : "1000000"));
      progress("heap: %s bytes per %s", heap.get(kind).getProperty(kind + ".bytes"), kind);
    }
  }

  /** Every pair in each repetition, in turn: fresh servers A and B, one client alternating between them. */
  private void load(Path config, List<Pair> pairs) throws IOException, InterruptedException {
    // Every ended call remembered 10 minutes, ~115 B each: ~170 k pairs/s (Session) for 40 s, under 1 GB.
    List<String> serverJvm = heap(quick ? "512m" : "2g");
    for (int rep = 1; rep <= reps; rep++) {
      for (Pair pair : pairs) {
        String name = "load-" + pair.key() + "-rep" + rep;
        try (Proc.Server a = start(pair.a(), config, name + "-a", serverJvm);
            Proc.Server b = start(pair.b(), config, name + "-b", serverJvm)) {
          load.put(pair.key(), pairedLoad(name, "load " + rep + "/" + reps + " " + pair.label(), side(pair.a(), a),
              side(pair.b(), b), "bench", quick ? 4 : 20));
        } finally {
          // A repetition journals every command of its run, which nobody reads again.
          deleteTree(work.resolve("data-" + name + "-a"));
        }
      }
    }
  }

  /** {@link LoadCommand} on A and B: {@code warmup} s each, then windows of 2 s (quick 1 s), 0.5 s settling each. */
  private Properties pairedLoad(String name, String label, Side a, Side b, String orgs, double warmup)
      throws IOException, InterruptedException {
    int windows = quick ? 3 : 8;
    double window = quick ? 1 : 2;
    Properties p = client(name, CLIENT_JVM, (long) (2 * (warmup + windows * (window + 0.5)) + 120), "load", "--target",
        a.spec(), "--versus", b.spec(), "--target-pid", a.pids(), "--versus-pid", b.pids(), "--org", orgs, "--callers",
        Integer.toString(CALLERS), "--warmup", Double.toString(warmup), "--windows", Integer.toString(windows),
        "--window", Double.toString(window), "--settle", "0.5");
    progress("%s: %.0f ÷ %.0f pairs/s, ratio %s", label, d(p, "a.pairs_per_s"), d(p, "b.pairs_per_s"),
        p.getProperty("ratio.median"));
    return p;
  }

  /** Admission (a fresh server recording its pauses with JFR) and the polling peer, in turn, per repetition and org size. */
  private void contended(Path config) throws IOException, InterruptedException {
    Path jfc = work.resolve("pauses.jfc");
    Resources.asByteSource(Resources.getResource(RunCommand.class, "pauses.jfc")).copyTo(MoreFiles.asByteSink(jfc));
    for (int s : slots) {
      for (int rep = 1; rep <= reps; rep++) {
        String name = "contended-" + s + "-rep" + rep;
        Path jfr = work.resolve(name + ".jfr");
        List<String> jvm = plus(heap("512m"), // ~1,000 decisions a second
            "-XX:StartFlightRecording=settings=" + jfc + ",filename=" + jfr + ",dumponexit=true");
        Properties admission;
        try (Proc.Server server = start(Server.IN_MEMORY, config, name + "-admission", jvm)) {
          admission = contendedClient(side(Server.IN_MEMORY, server), s, name + "-admission");
        }
        Pauses pauses = Pauses.read(jfr, Instant.ofEpochMilli((long) d(admission, "measured.start_ms")),
            Instant.ofEpochMilli((long) d(admission, "measured.end_ms")));
        Properties peer = contendedClient(side(Server.REDIS, null), s, name + "-redis");
        contended.add(new Contended(s, admission, peer, pauses));
        progress("contended slots=%d %d/%d: dispatch p99 %.3f ms, polling peer %.3f ms; %s", s, rep, reps,
            d(admission, "dispatch.p99_ms"), d(peer, "dispatch.p99_ms"), pauses);
      }
    }
  }

  private Properties contendedClient(Side target, int slots, String name) throws IOException, InterruptedException {
    double warmup = quick ? 2 : 20;
    double seconds = quick ? 4 : 10;
    return client(name, CLIENT_JVM, (long) (warmup + seconds + 60), "contended", "--target", target.spec(), "--org",
        "contended-" + slots, "--slots", Integer.toString(slots), "--warmup", Double.toString(warmup),
        "--seconds", Double.toString(seconds));
  }

  /**
   * Per repetition a fresh 3-node cluster and durable single node: the paired run (the cluster through the Java
   * client's channel, which sends to the leader), then leader kills under load.
   */
  private void cluster(Path config) throws IOException, InterruptedException {
    List<String> node = plus(java(CLUSTER_JVM, "-jar", serverJar.toString(), "--config", config.toString()),
        nodeArgs.toArray(String[]::new));
    for (int rep = 1; rep <= reps; rep++) {
      String name = "cluster-rep" + rep;
      Path data = work.resolve("data-" + name);
      deleteTree(data); // each node makes its own directory in it
      try (ClusterNodes nodes = new ClusterNodes(node, data, name)) {
        try (Proc.Server single = start(Server.DURABLE, config, name + "-single", CLUSTER_JVM)) {
          nodes.startAll("bench", 60);
          cluster.add(pairedLoad(name, "cluster " + rep + "/" + reps + ": 3-node cluster ÷ durable single node",
              new Side("client@" + nodes.addresses(), nodes.pids()), side(Server.DURABLE, single),
              String.join(",", orgs), CLUSTER_WARMUP_S));
        }
        failover(nodes, name, rep);
      } finally {
        deleteTree(data);
        deleteTree(work.resolve("data-" + name + "-single"));
      }
    }
  }

  /**
   * Under load ({@code FailoverCommand}), 10 kills in a full run, one in a quick one: SIGKILL the leader, wait for an
   * election, restart it over its data and time its catch-up; then the client's pauses are read off around each kill.
   */
  private void failover(ClusterNodes nodes, String name, int rep) throws IOException, InterruptedException {
    Path stop = work.resolve(name + "-failover.stop");
    Path out = work.resolve(name + "-failover.properties");
    Path log = work.resolve(name + "-failover-client.log");
    Files.deleteIfExists(stop);
    record Kill(int node, long killedMs, long restartedMs, long caughtUpMs, double listening, double catchUp,
        long missed) {}
    List<Kill> kills = new ArrayList<>();
    try (Proc.Server client = Proc.Server.start(bench(CLIENT_JVM, "failover", "--servers", nodes.addresses(),
        "--callers", Integer.toString(CALLERS), "--stop-file", stop.toString(), "--out", out.toString()), log)) {
      client.await(Pattern.compile("failover: load running"), 60);
      Thread.sleep(quick ? 4_000 : 10_000); // the client's and the nodes' JIT under this load
      for (int k = 0; k < (quick ? 1 : (int) Math.ceil(10.0 / reps)); k++) {
        int leader = nodes.leader(-1, 30);
        long before = nodes.appliedIndex(leader);
        long killed = System.currentTimeMillis();
        nodes.kill(leader);
        // Down long enough for an election (400–800 ms of silence, then a vote) and for the
        // clients' retries to find the new leader; then the killed node has a log to catch up.
        Thread.sleep(3_000);
        long target = nodes.appliedIndex(nodes.leader(leader, 30));
        long restarted = System.currentTimeMillis();
        long t0 = System.nanoTime();
        nodes.start(leader).address();
        double listening = (System.nanoTime() - t0) / 1e9;
        Proc.await(() -> nodes.appliedIndex(leader) >= target, 120,
            ClusterNodes.id(leader) + " to apply log entry " + target);
        kills.add(new Kill(leader, killed, restarted, System.currentTimeMillis(), listening,
            (System.nanoTime() - t0) / 1e9, target - before));
        Thread.sleep(3_000); // the restarted node rejoins the clients' rotation before the next kill
      }
      Files.createFile(stop);
      if (!client.process().waitFor(60, TimeUnit.SECONDS) || client.process().exitValue() != 0) {
        throw new IOException("the failover client did not end cleanly; its log: " + log);
      }
    }
    Properties p = Proc.read(out);
    List<long[]> gaps = Arrays.stream(p.getProperty("gaps", "").split(",")).filter(g -> !g.isEmpty())
        .map(g -> Arrays.stream(g.split("\\+")).mapToLong(Long::parseLong).toArray()).toList();
    long failed = Long.parseLong(p.getProperty("failed", "0"));
    for (Kill k : kills) {
      Failover f = new Failover(rep, ClusterNodes.id(k.node()), longestPause(gaps, k.killedMs(), k.restartedMs()) / 1e3,
          longestPause(gaps, k.restartedMs(), k.caughtUpMs() + 3_000) / 1e3, k.listening(), k.catchUp(), k.missed(),
          failed);
      failovers.add(f);
      progress("cluster %d/%d: killed leader %s: longest pause %.3f s, %.3f s while it came back (listening after"
          + " %.2f s, caught up %d log entries after %.2f s); %d requests failed after retries", rep, reps, f.leader(),
          f.gapSeconds(), f.rejoinGapSeconds(), f.listeningSeconds(), f.entriesMissed(), f.catchUpSeconds(), failed);
    }
  }

  /** The longest pause between completed requests overlapping [{@code from}, {@code to}) in ms; 0 if none recorded. */
  static long longestPause(List<long[]> gaps, long from, long to) {
    return gaps.stream().filter(g -> g[0] < to && g[0] + g[1] > from).mapToLong(g -> g[1]).max().orElse(0);
  }

  // ---- Figures and tables -----------------------------------------------------------------

  /** The figures `make bench-quick` prints, by the names scripts and people rely on. */
  Map<String, String> results() {
    Map<String, String> r = new LinkedHashMap<>();
    r.put("ratio_durable_vs_memory", f(3, median(load.get("durable"), "ratio.median")));
    r.put("p99_durable_ms", f(3, median(load.get("durable"), "a.p99_ms")));
    r.put("p99_memory_ms", f(3, median(load.get("durable"), "b.p99_ms")));
    r.put("ratio_admission_unary_vs_redis", f(3, median(load.get("unary-redis"), "ratio.median")));
    r.put("engine_decisions_per_s", String.format(Locale.ROOT, "%.0f", engineBase)); // no grouping: read by scripts
    r.put("ratio_admission_vs_noop", f(3, median(load.get("noop"), "ratio.median")));
    r.put("ratio_admission_vs_redis", f(3, median(load.get("session-redis"), "ratio.median")));
    r.put("dispatch_p99_ms", f(3, median(contendedRuns(slots.get(0), Contended::admission), "dispatch.p99_ms")));
    r.put("dispatch_p99_ms_polling_peer", f(3, median(contendedRuns(slots.get(0), Contended::peer), "dispatch.p99_ms")));
    // Paired within each repetition, as the contended table's median row: not the medians' quotient.
    r.put("dispatch_p99_peer_over_push", f(1, contendedRatio(slots.get(0))));
    r.put("heap_bytes_per_lease", heap.containsKey("lease") ? heap.get("lease").getProperty("lease.bytes") : "NaN");
    r.put("ratio_cluster_vs_durable", f(3, median(cluster, "ratio.median")));
    // The worst kill of the run, not a typical one: what a client must be ready to ride out.
    r.put("failover_gap_s", f(3, failoverPercentile(Failover::gapSeconds, 100)));
    r.put("failover_catchup_s", f(3, failoverPercentile(Failover::catchUpSeconds, 100)));
    r.put("ratio_metrics_on_vs_off", f(3, median(load.get(METRICS_PAIR.key()), "ratio.median")));
    return r;
  }

  /** The targets of the figures that have one, by RESULT name. */
  static final Map<String, String> TARGETS = Map.of("ratio_durable_vs_memory", "≥ 0.80",
      "ratio_cluster_vs_durable", "≥ 0.50", "ratio_metrics_on_vs_off", "≥ 0.90",
      "engine_decisions_per_s", "≥ 3,000,000", "ratio_admission_vs_noop", "≥ 0.85", "ratio_admission_vs_redis", "≥ 1.00",
      "dispatch_p99_ms", "≤ 2", "dispatch_p99_peer_over_push", "≥ 10", "heap_bytes_per_lease", "≤ 300",
      "failover_gap_s", "≤ 3");

  /** Every table of what ran; a stage that did not run has no rows, so its table stays as it was. */
  Tables tables(String caption) {
    Tables t = new Tables(caption);
    t.put("summary", List.of("RESULT", "measured", "target"), results().entrySet().stream()
        .map(e -> List.of("`" + e.getKey() + "`", e.getValue(), TARGETS.getOrDefault(e.getKey(), ""))).toList());
    t.put("engine", List.of("`AcquireReleaseBenchmark`", "decisions/s", "± (99.9 %)", "ns/decision",
        "allocated B/decision"), engine);
    t.put("heap", List.of("item", "items", "heap bytes per item"), heap.entrySet().stream()
        .map(e -> List.of(e.getKey().equals("lease") ? "live lease" : "held call", e.getValue().getProperty("count"),
            e.getValue().getProperty(e.getKey() + ".bytes"))).toList());
    t.put("load", List.of("A ÷ B", "A pairs/s", "B pairs/s", "ratio", "repetitions' ratios", "A p50 / p99 ms",
        "B p50 / p99 ms", "server CPU µs/pair, A / B"), PAIRS.stream().filter(p -> load.containsKey(p.key()))
        .map(p -> pairRow(p.label(), medians(load.get(p.key())),
            load.get(p.key()).stream().map(x -> f(3, d(x, "ratio.median"))).collect(Collectors.joining(", "))))
        .toList());
    t.put("metrics", List.of("repetition", "on pairs/s", "off pairs/s", "on ÷ off", "window pairs' ratios, min – max",
        "on p50 / p99 ms", "off p50 / p99 ms", "server CPU µs/pair, on / off"),
        repetitionRows(load.get(METRICS_PAIR.key()), p -> f(3, d(p, "ratio.min")) + " – " + f(3, d(p, "ratio.max"))));
    List<List<String>> contendedRows = new ArrayList<>(contended.stream().map(c -> contendedRow(
        c.slots() + " / " + 10 * c.slots(), c.admission(), c.peer(), c.ratio(), c.pauses().toString())).toList());
    for (int size : contended.stream().map(Contended::slots).distinct().toList()) {
      contendedRows.add(contendedRow("**" + size + " / " + 10 * size + ", median**",
          medians(contendedRuns(size, Contended::admission)), medians(contendedRuns(size, Contended::peer)),
          contendedRatio(size), ""));
    }
    t.put("contended", List.of("slots / callers", "Admission p50 / p99 / p99.9 / max ms",
        "peer p50 / p99 / p99.9 / max ms", "peer p99 ÷ Admission p99", "Admission server's pauses, measured"), contendedRows);
    t.put("cluster", List.of("repetition", "cluster pairs/s", "single node pairs/s", "ratio", "cluster p50 / p99 ms",
        "single node p50 / p99 ms", "server CPU µs/pair, cluster (3 nodes) / single node"),
        repetitionRows(cluster, null));
    List<List<String>> failoverRows = new ArrayList<>(failovers.stream().map(f -> List.of(f.rep() + ": " + f.leader(),
        f(3, f.gapSeconds()), f(3, f.rejoinGapSeconds()), f(2, f.listeningSeconds()), f(2, f.catchUpSeconds()),
        f(0, f.entriesMissed()), f(0, f.failedRequests()))).toList());
    for (double q : failovers.isEmpty() ? List.<Double>of() : List.of(50.0, 99.0, 100.0)) {
      failoverRows.add(List.of("**" + (q == 100 ? "max" : "p" + (int) q) + "**",
          "**" + f(3, failoverPercentile(Failover::gapSeconds, q)) + "**", f(3, failoverPercentile(Failover::rejoinGapSeconds, q)),
          f(2, failoverPercentile(Failover::listeningSeconds, q)), f(2, failoverPercentile(Failover::catchUpSeconds, q)), "", ""));
    }
    t.put("failover", List.of("repetition: leader killed", "longest pause in completed requests, s",
        "longest pause while it came back, s", "restart → listening, s", "restart → caught up, s", "log entries missed",
        "requests failed after retries (repetition)"), failoverRows);
    return t;
  }

  /** A paired run's figures: pairs/s, the ratio, {@code extra} (if any), latency, server CPU. */
  private static List<String> pairRow(String label, Properties p, String extra) {
    return Stream.of(label, f(0, d(p, "a.pairs_per_s")), f(0, d(p, "b.pairs_per_s")),
        "**" + f(3, d(p, "ratio.median")) + "**", extra, f(3, d(p, "a.p50_ms")) + " / " + f(3, d(p, "a.p99_ms")),
        f(3, d(p, "b.p50_ms")) + " / " + f(3, d(p, "b.p99_ms")),
        f(1, d(p, "a.server_cpu_us_per_pair")) + " / " + f(1, d(p, "b.server_cpu_us_per_pair")))
        .filter(Objects::nonNull).toList();
  }

  /** A row per repetition, numbered, then the medians' (none of no runs); {@code extra}: a column. */
  private static List<List<String>> repetitionRows(List<Properties> runs, Function<Properties, String> extra) {
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      rows.add(pairRow(Integer.toString(i + 1), runs.get(i), extra == null ? null : extra.apply(runs.get(i))));
    }
    if (!runs.isEmpty()) {
      rows.add(pairRow("**median**", medians(runs), extra == null ? null : ""));
    }
    return rows;
  }

  private static List<String> contendedRow(String label, Properties admission, Properties peer, double ratio,
      String pauses) {
    Function<Properties, String> latencies = p -> Stream.of("p50", "p99", "p999", "max")
        .map(q -> f(3, d(p, "dispatch." + q + "_ms"))).collect(Collectors.joining(" / "));
    return List.of(label, latencies.apply(admission), latencies.apply(peer), f(1, ratio) + "×", pauses);
  }

  private List<Properties> contendedRuns(int size, Function<Contended, Properties> side) {
    return contended.stream().filter(c -> c.slots() == size).map(side).toList();
  }

  /** The median of {@code key} over {@code runs}; NaN of none. */
  /** The median over the repetitions at {@code size} slots of the peer's p99 ÷ Admission's; NaN of none. */
  private double contendedRatio(int size) {
    return new Median().evaluate(contended.stream().filter(c -> c.slots() == size).mapToDouble(Contended::ratio).toArray());
  }

  private static double median(List<Properties> runs, String key) {
    return new Median().evaluate(runs.stream().mapToDouble(p -> d(p, key)).toArray());
  }

  /** Every figure's median over {@code runs}, as a median row shows them. */
  private static Properties medians(List<Properties> runs) {
    Properties m = new Properties();
    runs.forEach(r -> r.stringPropertyNames().forEach(key -> m.setProperty(key, Double.toString(median(runs, key)))));
    return m;
  }

  private double failoverPercentile(ToDoubleFunction<Failover> figure, double q) {
    return percentile(failovers.stream().mapToDouble(figure).toArray(), q);
  }

  /** The nearest-rank percentile {@code q} (0–100] of {@code values}; NaN of none. */
  static double percentile(double[] values, double q) {
    return new Percentile().withEstimationType(EstimationType.R_1).evaluate(values, q);
  }

  // ---- Processes --------------------------------------------------------------------------

  /** A fresh server JVM for {@code s}, a durable one over fresh data; null for Redis, which the script runs. */
  private Proc.Server start(Server s, Path config, String name, List<String> jvm) throws IOException {
    Path data = work.resolve("data-" + name);
    deleteTree(data);
    List<String> admission = java(jvm, "-jar", serverJar.toString(), "--listen", "127.0.0.1:0", "--config",
        config.toString(), s == Server.DURABLE ? "--data-dir=" + data : "--in-memory");
    List<String> command = switch (s) {
      case REDIS -> List.of();
      case NOOP -> bench(jvm, "noop-server");
      case METRICS -> plus(admission, "--metrics", "127.0.0.1:" + Proc.freePort()); // the exporter needs a fixed port
      default -> admission;
    };
    return command.isEmpty() ? null : Proc.Server.start(command, work.resolve(name + "-server.log"));
  }

  /** How the load client reaches {@code s}, started as {@code started} (null: the script's Redis). */
  private Side side(Server s, Proc.Server started) throws IOException, InterruptedException {
    String kind = s == Server.SESSION ? "session@" : "grpc@";
    return started == null ? new Side("redis@" + redis, Long.toString(redisPid))
        : new Side(kind + started.address(), Long.toString(started.process().pid()));
  }

  /** Orgs with room for every caller: --org's and bench (the failover client's); then one per contended size. */
  private Path writeAdmissionConfig() throws IOException {
    List<String> config = new ArrayList<>(Stream.concat(Stream.of("bench"), orgs.stream()).distinct()
        .map(id -> org(id, 1_000_000)).toList());
    slots.forEach(s -> config.add(org("contended-" + s, s)));
    Path file = work.resolve("admission-config.json");
    Files.writeString(file, "{\"orgs\": [\n  " + String.join(",\n  ", config) + "\n]}\n");
    return file;
  }

  private static String org(String id, int limit) {
    return "{\"org\": {\"orgId\": \"" + id + "\", \"concurrencyLimit\": " + limit + "}}";
  }

  /** A command of this jar run to its end, its results read from the {@code --out} it is given: {@code name}.properties. */
  private Properties client(String name, List<String> jvm, long timeoutSeconds, String... args)
      throws IOException, InterruptedException {
    Path out = work.resolve(name + ".properties");
    return Proc.run(plus(bench(jvm, args), "--out", out.toString()), work.resolve(name + "-client.log"), out,
        timeoutSeconds);
  }

  /** A command of this jar in a JVM of its own. */
  private static List<String> bench(List<String> jvm, String... args) {
    return plus(java(jvm, "-cp", System.getProperty("java.class.path"), BenchCli.class.getName()), args);
  }

  /** This JVM's java with {@code jvm} options and {@code args}. */
  private static List<String> java(List<String> jvm, String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return plus(Stream.concat(Stream.of(java), jvm.stream()).toList(), args);
  }

  private static List<String> plus(List<String> list, String... more) {
    return Stream.concat(list.stream(), Stream.of(more)).toList();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      MoreFiles.deleteRecursively(dir);
    }
  }

  private static double d(Properties p, String key) {
    return Double.parseDouble(p.getProperty(key, "NaN"));
  }

  private static String f(int decimals, double v) {
    return String.format(Locale.ROOT, "%,." + decimals + "f", v);
  }

  private static void progress(String format, Object... args) {
    System.out.println("bench: " + String.format(Locale.ROOT, format, args)); // println flushes System.out
  }
}
