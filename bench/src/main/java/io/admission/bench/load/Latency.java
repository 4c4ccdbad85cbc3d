package io.admission.bench.load;

import java.util.Properties;
import org.HdrHistogram.Histogram;

/** Latency percentiles of a histogram recorded in nanoseconds, written as milliseconds. */
final class Latency {
  private Latency() {}

  static void put(Properties out, String prefix, Histogram h) {
    out.setProperty(prefix + "count", Long.toString(h.getTotalCount()));
    out.setProperty(prefix + "p50_ms", ms(h.getValueAtPercentile(50)));
    out.setProperty(prefix + "p99_ms", ms(h.getValueAtPercentile(99)));
    out.setProperty(prefix + "p999_ms", ms(h.getValueAtPercentile(99.9)));
    out.setProperty(prefix + "max_ms", ms(h.getMaxValue()));
    out.setProperty(prefix + "mean_ms", ms((long) h.getMean()));
  }

  private static String ms(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.4f", nanos / 1e6);
  }
}
