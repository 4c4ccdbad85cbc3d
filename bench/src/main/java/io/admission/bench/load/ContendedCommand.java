package io.admission.bench.load;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Callers outnumber slots: release-to-dispatch latency of pushed dispatch versus polling. */
@Command(name = "contended", mixinStandardHelpOptions = true,
    description = "More callers than slots; release-to-dispatch latency.")
public final class ContendedCommand implements Callable<Integer> {
  /** How much faster callers hold and think during the first half of the warm-up. */
  private static final double FAST_WARMUP = 100;

  @Option(names = "--target", required = true,
      description = "grpc@HOST:PORT (Admission, WaitForSlot) or redis@HOST:PORT (polling).")
  String target;
  @Option(names = "--org", required = true, description = "Org id; for Admission an org whose limit is --slots.")
  String org;
  @Option(names = "--slots", required = true, description = "The org's concurrency limit.")
  int slots;
  @Option(names = "--ratio", defaultValue = "10", description = "Callers per slot (default ${DEFAULT-VALUE}).")
  int ratio;
  @Option(names = "--hold-ms", defaultValue = "20", description = "Mean time a lease is held.")
  double holdMillis;
  @Option(names = "--think-ms", defaultValue = "20", description = "Mean time from a Release to the next Acquire.")
  double thinkMillis;
  @Option(names = "--poll-ms", defaultValue = "50", description = "How often a caller polls a full pool.")
  long pollMillis;
  @Option(names = "--warmup", defaultValue = "20", description = "Seconds before measuring.")
  double warmupSeconds;
  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds.")
  double seconds;
  @Option(names = "--out", required = true, description = "Properties file to write.")
  Path out;

  @Override
  public Integer call() throws Exception {
    // The callers' timers; each step they time runs on the target's I/O thread (see ContendedRun).
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "caller-timers");
      t.setDaemon(true);
      return t;
    });
    Properties result = new Properties();
    try (LoadTarget t = LoadTarget.open(target, org, slots)) {
      ContendedRun run = new ContendedRun(t, new CallIds(), timer, slots, slots * ratio,
          holdMillis, thinkMillis, pollMillis);
      // Half the warm-up at a hundred times the event rate: at 2 slots the measured pace is
      // ~100 dispatches/s, too few for the JIT to compile the paths of either side in 20 s, and
      // a cold client or server would be measured instead of the push or the polling. The other
      // half settles the callers into the measured pace.
      run.pace(holdMillis / FAST_WARMUP, thinkMillis / FAST_WARMUP);
      run.start();
      LoadCommand.sleep(warmupSeconds / 2);
      run.pace(holdMillis, thinkMillis);
      LoadCommand.sleep(warmupSeconds / 2);
      run.dispatch.getIntervalHistogram();
      // Wall-clock bounds of the measurement, for the server's recording of its pauses.
      result.setProperty("measured.start_ms", Long.toString(System.currentTimeMillis()));
      LoadCommand.sleep(seconds);
      Histogram h = run.dispatch.getIntervalHistogram();
      result.setProperty("measured.end_ms", Long.toString(System.currentTimeMillis()));
      run.stop();
      if (run.errors.get() > 0) {
        throw new IllegalStateException(run.errors.get() + " requests failed; first: " + run.firstError.get(),
            run.firstError.get());
      }
      LoadCommand.putLatency(result, "dispatch.", h);
      System.err.printf(Locale.ROOT, "contended %s slots=%d dispatches=%d p50=%.3fms p99=%.3fms%n",
          target, slots, h.getTotalCount(), h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6);
    } finally {
      timer.shutdownNow();
    }
    LoadCommand.write(result, out);
    return 0;
  }
}
