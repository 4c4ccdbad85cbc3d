package io.admission.bench.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The same closed-loop load on two gRPC servers from one client, in short alternating windows:
 * their throughput ratio with the host's drift paired out.
 *
 * <p>Why: on this shared 2-core machine the same run measured 10–30 s apart moves by ±20 % as
 * the host's other tenants come and go, so two servers measured one after the other differ by as
 * much as what is being compared. Here both servers stay up (the idle one uses no CPU) and the
 * load moves between them every {@code --window} seconds, in the order A B B A A B B A …, so a
 * drift that lasts longer than a few windows weighs on both alike and a linear one cancels. The
 * ratio of a pair of neighbouring windows is one sample; the median of them is the figure.
 *
 * <p>Both servers are warmed up the same way, by alternating windows over {@code --warmup}
 * seconds each, and every window starts with {@code --settle} unmeasured seconds while the callers
 * ramp up on the server whose turn it is.
 *
 * <p>A and B are any two servers that answer Admission's unary calls: Admission beside the no-op
 * service, or durable Admission beside in-memory Admission. Each side's request latency is kept
 * over all its measured windows, so the p50 and p99 written are of the same requests as its
 * throughput.
 */
@Command(name = "load-paired", mixinStandardHelpOptions = true,
    description = "Acquire+Release pairs on two gRPC servers in alternating windows; their ratio and latencies.")
public final class PairedLoadCommand implements Callable<Integer> {
  @Option(names = "--address", required = true, description = "HOST:PORT of server A (unary gRPC).")
  String address;

  @Option(names = "--versus", required = true, description = "HOST:PORT of server B (unary gRPC).")
  String versus;

  @Option(names = "--server-pid", defaultValue = "0", description = "A's pid, for its CPU time per pair.")
  long serverPid;

  @Option(names = "--versus-pid", defaultValue = "0", description = "B's pid, for its CPU time per pair.")
  long versusPid;

  @Option(names = "--org", defaultValue = "bench", description = "Org id (default ${DEFAULT-VALUE}).")
  String org;

  @Option(names = "--callers", defaultValue = "256", description = "Concurrent callers (default ${DEFAULT-VALUE}).")
  int callers;

  @Option(names = "--warmup", defaultValue = "20",
      description = "Seconds of load on each server before measuring, in alternating windows.")
  double warmupSeconds;

  @Option(names = "--pairs", defaultValue = "10", description = "Measured window pairs (default ${DEFAULT-VALUE}).")
  int pairs;

  @Option(names = "--window", defaultValue = "2", description = "Measured seconds per window.")
  double windowSeconds;

  @Option(names = "--settle", defaultValue = "0.5", description = "Unmeasured seconds at the start of each window.")
  double settleSeconds;

  @Option(names = "--out", required = true, description = "Properties file to write.")
  Path out;

  /** One window's measurement on one server. */
  record Window(double pairsPerSecond, double serverCpuMicrosPerPair, double clientCpuMicrosPerPair,
      Histogram latency) {}

  @Override
  public Integer call() throws Exception {
    if (pairs < 1 || windowSeconds <= 0 || callers < 1) {
      throw new IllegalArgumentException("need --pairs >= 1, --window > 0 and --callers >= 1");
    }
    CallIds ids = new CallIds();
    Properties result = new Properties();
    List<Double> ratios = new ArrayList<>();
    double[] totals = new double[2];
    Histogram[] latencies = {new Histogram(3), new Histogram(3)};
    try (LoadTarget a = Targets.open("grpc", address, org, 0);
        LoadTarget b = Targets.open("grpc", versus, org, 0)) {
      LoadTarget[] servers = {a, b};
      long[] pids = {serverPid, versusPid};
      // Warm-up: alternating windows of the measured length, so each server gets warmupSeconds.
      int warmWindows = Math.max(1, (int) Math.ceil(warmupSeconds / (settleSeconds + windowSeconds)));
      for (int w = 0; w < 2 * warmWindows; w++) {
        window(servers[w % 2], ids, pids[w % 2]);
      }
      for (int p = 0; p < pairs; p++) {
        // A B, then B A: a drift across the pair raises one side as often as the other.
        int first = p % 2;
        Window[] pair = new Window[2];
        pair[first] = window(servers[first], ids, pids[first]);
        pair[1 - first] = window(servers[1 - first], ids, pids[1 - first]);
        for (int s = 0; s < 2; s++) {
          String prefix = "pair." + p + "." + (s == 0 ? "a" : "b") + ".";
          put(result, prefix + "pairs_per_s", pair[s].pairsPerSecond());
          put(result, prefix + "server_cpu_us_per_pair", pair[s].serverCpuMicrosPerPair());
          put(result, prefix + "client_cpu_us_per_pair", pair[s].clientCpuMicrosPerPair());
          totals[s] += pair[s].pairsPerSecond();
          latencies[s].add(pair[s].latency());
        }
        double ratio = pair[0].pairsPerSecond() / pair[1].pairsPerSecond();
        ratios.add(ratio);
        System.err.printf(Locale.ROOT, "load-paired %d/%d: A %.0f pairs/s p99 %.3f ms, B %.0f pairs/s p99 %.3f ms, A/B %.3f%n",
            p + 1, pairs, pair[0].pairsPerSecond(), pair[0].latency().getValueAtPercentile(99) / 1e6,
            pair[1].pairsPerSecond(), pair[1].latency().getValueAtPercentile(99) / 1e6, ratio);
      }
    }
    result.setProperty("pairs", Integer.toString(pairs));
    result.setProperty("callers", Integer.toString(callers));
    put(result, "a.pairs_per_s", totals[0] / pairs);
    put(result, "b.pairs_per_s", totals[1] / pairs);
    put(result, "ratio.median", median(ratios));
    put(result, "ratio.min", Collections.min(ratios));
    put(result, "ratio.max", Collections.max(ratios));
    for (String side : List.of("a", "b")) {
      for (String cpu : List.of("server_cpu_us_per_pair", "client_cpu_us_per_pair")) {
        List<Double> values = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
          values.add(Double.parseDouble(result.getProperty("pair." + p + "." + side + "." + cpu)));
        }
        put(result, side + "." + cpu, median(values));
      }
    }
    put(result, "ratio.of_means", totals[0] / totals[1]);
    Latency.put(result, "a.", latencies[0]);
    Latency.put(result, "b.", latencies[1]);
    LoadCommand.write(result, out);
    return 0;
  }

  /** One window on {@code server}: settle, then measure throughput and both sides' CPU. */
  private Window window(LoadTarget server, CallIds ids, long pid) throws InterruptedException {
    ClosedLoop loop = new ClosedLoop(server, ids, callers);
    loop.start();
    LoadCommand.sleep(settleSeconds);
    ClosedLoop.Measured m = loop.measure(windowSeconds, pid);
    if (!loop.stop(10_000) || loop.errors.get() > 0) {
      throw new IllegalStateException(loop.errors.get() + " requests failed or hung; first: "
          + loop.firstError.get(), loop.firstError.get());
    }
    return new Window(m.pairsPerSecond(), m.serverCpuMicrosPerPair(), m.clientCpuMicrosPerPair(), m.latency());
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static void put(Properties p, String key, double value) {
    p.setProperty(key, String.format(Locale.ROOT, "%.4f", value));
  }
}
