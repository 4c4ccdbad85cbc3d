package io.admission.bench.load;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Closed-loop Acquire+Release load over TCP: warm up at the highest concurrency, then measure at
 * each concurrency asked for, on one connection. Writes the results as properties.
 */
@Command(name = "load", mixinStandardHelpOptions = true,
    description = "Acquire+Release pairs from N concurrent callers; throughput and latency.")
public final class LoadCommand implements Callable<Integer> {
  @Option(names = "--target", required = true,
      description = "grpc (Admission or no-op, unary calls), session (Admission, Session streams) or redis.")
  String target;

  @Option(names = "--sessions", defaultValue = "1",
      description = "Session streams that carry all callers' requests, with --target session (default ${DEFAULT-VALUE}).")
  int sessions;

  @Option(names = "--address", required = true, description = "HOST:PORT of the server.")
  String address;

  @Option(names = "--org", defaultValue = "bench", description = "Org id (default ${DEFAULT-VALUE}).")
  String org;

  @Option(names = "--callers", split = ",", defaultValue = "256",
      description = "Concurrent callers; several (1,16,256) measure one step each.")
  List<Integer> callers;

  @Option(names = "--warmup", defaultValue = "20", description = "Seconds of load before measuring.")
  double warmupSeconds;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per step.")
  double seconds;

  @Option(names = "--settle", defaultValue = "1", description = "Unmeasured seconds at the start of each step.")
  double settleSeconds;

  @Option(names = "--server-pid", defaultValue = "0",
      description = "Also report this local process's CPU time per pair (from /proc).")
  long serverPid;

  @Option(names = "--out", required = true, description = "Properties file to write.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Properties result = new Properties();
    CallIds ids = new CallIds();
    try (LoadTarget t = Targets.open(target, address, org, 1_000_000, sessions)) {
      int most = callers.stream().mapToInt(Integer::intValue).max().orElseThrow();
      ClosedLoop warm = new ClosedLoop(t, ids, most);
      warm.start();
      sleep(warmupSeconds);
      warm.stop(10_000);
      check(warm);
      result.setProperty("steps", Integer.toString(callers.size()));
      for (int i = 0; i < callers.size(); i++) {
        step(t, ids, callers.get(i), "step." + i + ".", result);
      }
    }
    write(result, out);
    return 0;
  }

  private void step(LoadTarget t, CallIds ids, int n, String prefix, Properties result)
      throws InterruptedException {
    ClosedLoop loop = new ClosedLoop(t, ids, n);
    loop.start();
    sleep(settleSeconds);
    ClosedLoop.Measured m = loop.measure(seconds, serverPid);
    loop.stop(10_000);
    check(loop);
    double pairsPerSecond = m.pairsPerSecond();
    Histogram h = m.latency();
    result.setProperty(prefix + "callers", Integer.toString(n));
    result.setProperty(prefix + "pairs_per_s", String.format(Locale.ROOT, "%.1f", pairsPerSecond));
    Latency.put(result, prefix, h);
    result.setProperty(prefix + "client_cpu_us_per_pair", String.format(Locale.ROOT, "%.2f", m.clientCpuMicrosPerPair()));
    if (serverPid > 0) {
      result.setProperty(prefix + "server_cpu_us_per_pair", String.format(Locale.ROOT, "%.2f", m.serverCpuMicrosPerPair()));
    }
    System.err.printf(Locale.ROOT, "load %s callers=%d pairs/s=%.0f p50=%.3fms p99=%.3fms%n", target, n,
        pairsPerSecond, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6);
  }

  private static void check(ClosedLoop loop) {
    if (loop.errors.get() > 0) {
      throw new IllegalStateException(loop.errors.get() + " requests failed; first: " + loop.firstError.get(),
          loop.firstError.get());
    }
  }

  static void sleep(double seconds) throws InterruptedException {
    Thread.sleep((long) (seconds * 1000));
  }

  static void write(Properties p, Path file) throws IOException {
    try (OutputStream o = Files.newOutputStream(file)) {
      p.store(o, null);
    }
  }
}
