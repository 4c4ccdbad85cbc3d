package io.admission.server.engine;

import static io.admission.server.engine.SeatFixture.MINUTE;
import static io.admission.server.engine.SeatFixture.ORG;
import static io.admission.server.engine.SeatFixture.T0;
import static io.admission.server.engine.SeatFixture.call;
import static io.admission.server.engine.SeatFixture.loginLimits;
import static io.admission.server.engine.SeatFixture.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A million distinct logins pass through one org, one call each, at a steady pace: the heap left
 * after a full GC stays flat, since each login is forgotten once its window has passed (and each
 * call ten minutes after it ended). Slow (about a minute) and sensitive to what else the JVM
 * holds, so kept out of the default run: {@code mvn -B -q -o verify -pl server -am
 * -Dtest=ManyLoginsHeapTest -DexcludedTestGroups=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("slow")
class ManyLoginsHeapTest {
  private static final int LOGINS = 1_000_000;
  private static final int CHECK_EVERY = 100_000;
  /** 5 ms apart: 12,000 logins in a 1-minute window, 120,000 calls remembered for 10 minutes. */
  private static final long PACE_MILLIS = 5;
  /** How far the heap after GC may wander once the windows are full. */
  private static final long FLAT_BYTES = 16L << 20;

  @Test
  void heapStaysFlatWhenAMillionDistinctLoginsPassThrough() {
    SeatFixture f = new SeatFixture(
        org().limit(10_000).loginDefaults(loginLimits(null, null, MINUTE)), T0);
    List<Long> used = new ArrayList<>();
    long now = T0;
    for (int i = 1; i <= LOGINS; i++) {
      now += PACE_MILLIS;
      String id = "c" + i;
      f.granted(call(id).login("login-" + i), now);
      f.release(id, now);
      f.engine.drainEvents(); // as the loop does: the events are sent, not kept
      if (i % CHECK_EVERY == 0) {
        used.add(heapAfterGc());
        int kept = f.engine.org(ORG).logins.size();
        assertTrue(kept <= MINUTE / PACE_MILLIS + 1, "logins kept: " + kept);
      }
    }
    System.out.printf("heap after GC every %,d logins (MB): %s%n", CHECK_EVERY,
        used.stream().map(b -> String.format("%.1f", b / 1048576.0)).toList());
    // From the third checkpoint on, both the 1-minute windows and the 10-minute memory of ended
    // calls are full: the steady state.
    List<Long> steady = used.subList(2, used.size());
    long spread = steady.stream().mapToLong(Long::longValue).max().orElseThrow()
        - steady.stream().mapToLong(Long::longValue).min().orElseThrow();
    System.out.printf("steady-state spread: %.1f MB%n", spread / 1048576.0);
    assertTrue(spread < FLAT_BYTES, "heap after GC grew by " + spread + " bytes: " + used);

    f.tick(now + 11 * MINUTE);
    assertEquals(0, f.engine.org(ORG).logins.size());
    assertEquals(0, f.engine.timers.size());
  }

  private static long heapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      long now = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(now - last) < (256 << 10)) {
        return now;
      }
      last = now;
    }
    return last;
  }
}
