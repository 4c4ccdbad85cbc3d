package io.admission.bench.run;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.LongSummaryStatistics;
import java.util.Optional;
import jdk.jfr.consumer.RecordingFile;

/**
 * A server JVM's pauses between two instants, in ns, from its JFR recording ({@code pauses.jfc}): GC pauses
 * ({@code jdk.GCPhasePause}) and safepoints, from {@code jdk.SafepointBegin} (threads asked to stop) to {@code
 * jdk.SafepointEnd} — time in which no Java thread, the one that dispatches included, ran.
 */
record Pauses(LongSummaryStatistics gc, LongSummaryStatistics safepoints) {
  static Pauses read(Path jfr, Instant from, Instant to) throws IOException {
    Pauses pauses = new Pauses(new LongSummaryStatistics(), new LongSummaryStatistics());
    var begun = new HashMap<Long, Instant>();
    for (var e : RecordingFile.readAllEvents(jfr)) {
      if (e.getStartTime().isBefore(from) || e.getEndTime().isAfter(to)) {
        continue;
      }
      switch (e.getEventType().getName()) {
        case "jdk.GCPhasePause" -> pauses.gc.accept(e.getDuration().toNanos());
        case "jdk.SafepointBegin" -> begun.put(e.getLong("safepointId"), e.getStartTime());
        case "jdk.SafepointEnd" -> Optional.ofNullable(begun.remove(e.getLong("safepointId")))
            .ifPresent(start -> pauses.safepoints.accept(Duration.between(start, e.getEndTime()).toNanos()));
        default -> { }
      }
    }
    return pauses;
  }

  @Override
  public String toString() {
    return "GC pauses " + format(gc) + "; safepoints " + format(safepoints);
  }

  private static String format(LongSummaryStatistics s) {
    return String.format(Locale.ROOT, "%d, %.1f ms in all, longest %.1f ms", s.getCount(), s.getSum() / 1e6,
        Math.max(0, s.getMax()) / 1e6);
  }
}
