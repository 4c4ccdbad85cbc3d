package io.admission.bench.run;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * A server JVM's pauses between two instants, from its JFR recording ({@code pauses.jfc}): GC pauses ({@code
 * jdk.GCPhasePause}) and safepoints, from {@code jdk.SafepointBegin} (threads asked to stop) to {@code
 * jdk.SafepointEnd} — time in which no Java thread, the one that dispatches included, ran.
 */
record Pauses(Sum gc, Sum safepoints) {
  record Sum(int count, Duration total, Duration max) {
    static final Sum NONE = new Sum(0, Duration.ZERO, Duration.ZERO);

    Sum plus(Duration d) {
      return new Sum(count + 1, total.plus(d), d.compareTo(max) > 0 ? d : max);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d, %.1f ms in all, longest %.1f ms",
          count, total.toNanos() / 1e6, max.toNanos() / 1e6);
    }
  }

  static Pauses read(Path jfr, Instant from, Instant to) throws IOException {
    Sum gc = Sum.NONE;
    Sum safepoints = Sum.NONE;
    Map<Long, Instant> begun = new HashMap<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
      if (e.getStartTime().isBefore(from) || e.getEndTime().isAfter(to)) {
        continue;
      }
      switch (e.getEventType().getName()) {
        case "jdk.GCPhasePause" -> gc = gc.plus(e.getDuration());
        case "jdk.SafepointBegin" -> begun.put(e.getLong("safepointId"), e.getStartTime());
        case "jdk.SafepointEnd" -> {
          Instant start = begun.remove(e.getLong("safepointId"));
          safepoints = start == null ? safepoints : safepoints.plus(Duration.between(start, e.getEndTime()));
        }
        default -> { }
      }
    }
    return new Pauses(gc, safepoints);
  }

  @Override
  public String toString() {
    return "GC pauses " + gc + "; safepoints " + safepoints;
  }
}
