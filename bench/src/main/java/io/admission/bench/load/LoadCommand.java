package io.admission.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.apache.commons.math3.stat.StatUtils;
import org.apache.commons.math3.stat.descriptive.rank.Median;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Closed-loop Acquire+Release load on one server, or on two in alternating windows, their throughput ratio
 * with the host's drift paired out. Why alternate: on this shared 2-core machine a run moves by ±20 % within
 * 10–30 s as other tenants come and go, as much as what is compared. Both servers stay up (the idle one uses
 * no CPU) and the load moves between them every window, A B B A A B …, so a drift longer than a few windows
 * weighs on both alike and a linear one cancels. Neighbouring windows give a ratio; their median is the figure.
 */
@Command(name = "load", mixinStandardHelpOptions = true, showDefaultValues = true,
    description = "Acquire+Release pairs from N callers on one server, or on two in alternating windows.")
public final class LoadCommand implements Callable<Integer> {
  @Option(names = "--target", required = true,
      description = "Server A, KIND@HOST:PORT; KIND: grpc (unary calls), session (a Session stream) or redis.")
  String target;
  @Option(names = "--versus", description = "Server B, likewise: the windows alternate between A and B.") String versus;
  @Option(names = "--target-pid", split = ",", defaultValue = "0",
      description = "A's pid, for its CPU time per pair (/proc); a cluster's nodes' pids, comma-separated, add up.")
  long[] targetPid;
  @Option(names = "--versus-pid", split = ",", defaultValue = "0", description = "B's pid(s), likewise.") long[] versusPid;
  @Option(names = "--org", defaultValue = "bench",
      description = "Org id, or several separated by commas that gRPC targets spread their calls over.") String org;
  @Option(names = "--callers", defaultValue = "256", description = "Concurrent callers.") int callers;
  @Option(names = "--warmup", defaultValue = "20", description = "Seconds of load on each server before measuring.")
  double warmupSeconds;
  @Option(names = "--windows", defaultValue = "8", description = "Measured windows per server.") int windows;
  @Option(names = "--window", defaultValue = "2", description = "Measured seconds per window.") double windowSeconds;
  @Option(names = "--settle", defaultValue = "0.5", description = "Unmeasured seconds at the start of each window.")
  double settleSeconds;
  @Option(names = "--out", required = true, description = "Properties file to write.") Path out;
  private final CallIds ids = new CallIds();

  @Override
  public Integer call() throws Exception {
    List<String> specs = versus == null ? List.of(target) : List.of(target, versus);
    long[][] pids = {targetPid, versusPid};
    int n = specs.size();
    List<List<ClosedLoop.Measured>> measured = List.of(new ArrayList<>(), new ArrayList<>());
    List<LoadTarget> servers = new ArrayList<>();
    try {
      specs.forEach(spec -> servers.add(LoadTarget.open(spec, org, 1_000_000)));
      int warmWindows = Math.max(1, (int) Math.ceil(warmupSeconds / (settleSeconds + windowSeconds)));
      for (int w = 0; w < n * warmWindows; w++) {
        window(servers.get(w % n), specs.get(w % n), pids[w % n]);
      }
      for (int p = 0; p < windows; p++) {
        for (int k = 0; k < n; k++) {
          int side = p % 2 == 0 ? k : n - 1 - k; // A B, then B A: a drift raises either side as often
          measured.get(side).add(window(servers.get(side), specs.get(side), pids[side]));
        }
        System.err.printf(Locale.ROOT, "load %d/%d: %.0f pairs/s%s%n", p + 1, windows,
            measured.get(0).get(p).pairsPerSecond(),
            n == 1 ? "" : String.format(Locale.ROOT, " vs %.0f", measured.get(1).get(p).pairsPerSecond()));
      }
    } finally {
      servers.forEach(LoadTarget::close);
    }
    Properties result = new Properties();
    for (int side = 0; side < n; side++) {
      summarize(result, side == 0 ? "a." : "b.", measured.get(side));
    }
    if (n == 2) {
      double[] ratios = IntStream.range(0, windows)
          .mapToDouble(p -> measured.get(0).get(p).pairsPerSecond() / measured.get(1).get(p).pairsPerSecond()).toArray();
      put(result, "ratio.median", new Median().evaluate(ratios));
      put(result, "ratio.min", StatUtils.min(ratios));
      put(result, "ratio.max", StatUtils.max(ratios));
    }
    write(result, out);
    return 0;
  }

  /** One window on {@code server}: settle, then measure throughput and both sides' CPU. */
  private ClosedLoop.Measured window(LoadTarget server, String spec, long[] pids) throws InterruptedException {
    ClosedLoop loop = new ClosedLoop(server, ids, callers);
    loop.start();
    sleep(settleSeconds);
    ClosedLoop.Measured measured = loop.measure(windowSeconds, pids);
    boolean answered = loop.stop(10_000);
    if (loop.errors.get() > 0) {
      throw new IllegalStateException(loop.errors.get() + " requests to " + spec + " failed; first: "
          + loop.firstError.get(), loop.firstError.get());
    } else if (!answered) {
      throw new IllegalStateException(loop.running.getCount() + " requests to " + spec
          + " not answered within 10 s of the window's end (see that server's log)");
    }
    return measured;
  }

  /** Mean pairs/s over the windows, median server CPU per pair, latency over every measured request. */
  private static void summarize(Properties result, String prefix, List<ClosedLoop.Measured> ws) {
    Histogram latency = new Histogram(3);
    ws.forEach(w -> latency.add(w.latency()));
    put(result, prefix + "pairs_per_s", ws.stream().mapToDouble(m -> m.pairsPerSecond()).average().orElseThrow());
    put(result, prefix + "server_cpu_us_per_pair",
        new Median().evaluate(ws.stream().mapToDouble(m -> m.serverCpuMicrosPerPair()).toArray()));
    putLatency(result, prefix, latency);
  }

  /** Latency percentiles of a histogram recorded in nanoseconds, as milliseconds. */
  static void putLatency(Properties out, String prefix, Histogram h) {
    out.setProperty(prefix + "count", Long.toString(h.getTotalCount()));
    put(out, prefix + "p50_ms", h.getValueAtPercentile(50) / 1e6);
    put(out, prefix + "p99_ms", h.getValueAtPercentile(99) / 1e6);
    put(out, prefix + "p999_ms", h.getValueAtPercentile(99.9) / 1e6);
    put(out, prefix + "max_ms", h.getMaxValue() / 1e6);
  }

  private static void put(Properties p, String key, double value) {
    p.setProperty(key, String.format(Locale.ROOT, "%.4f", value));
  }

  static void sleep(double seconds) throws InterruptedException {
    Thread.sleep((long) (seconds * 1000));
  }

  static void write(Properties p, Path file) throws IOException {
    try (var o = Files.newOutputStream(file)) {
      p.store(o, null);
    }
  }
}
