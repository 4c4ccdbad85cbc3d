package io.admission.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pauses come from a real recording with the run's settings, and only those inside the window count. */
class PausesTest {
  @TempDir
  Path dir;

  @Test
  void countsTheGcPausesAndSafepointsOfTheWindowOnly() throws Exception {
    Path jfr = dir.resolve("pauses.jfr");
    Instant from;
    Instant to;
    try (var in = Pauses.class.getResourceAsStream("pauses.jfc");
        Recording recording = new Recording(Configuration.create(new java.io.InputStreamReader(in)))) {
      recording.start();
      from = Instant.now();
      System.gc(); // a full GC: pauses, at a safepoint
      System.gc();
      to = Instant.now();
      Thread.sleep(20);
      System.gc(); // after the window
      recording.stop();
      recording.dump(jfr);
    }
    Pauses inside = Pauses.read(jfr, from, to);
    assertTrue(inside.gc().getCount() >= 2, inside.toString());
    assertTrue(inside.safepoints().getCount() >= 2, inside.toString());
    assertTrue(inside.gc().getMax() <= inside.gc().getSum(), inside.toString());
    assertEquals(0, Pauses.read(jfr, to.plusSeconds(3600), to.plusSeconds(7200)).gc().getCount());
  }
}
