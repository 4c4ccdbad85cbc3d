package io.admission.server.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The exact rolling window behind "250 calls an hour" and the per-number hourly cap. */
class SlidingWindowLogTest {
  private static final long W = 3_600_000L;

  @Test
  void aStartCountsWhileNowIsBeforeStartPlusWindowAndNotAtIt() {
    SlidingWindowLog log = new SlidingWindowLog();
    log.add(1_000);
    assertEquals(1, log.count(1_000, W));
    assertEquals(1, log.count(1_000 + W - 1, W));
    assertEquals(0, log.count(1_000 + W, W));
    assertTrue(log.isEmpty(), "the start that left is dropped");
  }

  @Test
  void startsAtTheSameMillisecondAllCountAndAllLeaveTogether() {
    SlidingWindowLog log = new SlidingWindowLog();
    for (int i = 0; i < 5; i++) {
      log.add(10);
    }
    assertEquals(5, log.count(10 + W - 1, W));
    assertEquals(0, log.count(10 + W, W));
  }

  @Test
  void roomAtIsWhenTheStartThatMustLeaveLeaves() {
    SlidingWindowLog log = new SlidingWindowLog();
    long[] starts = {0, 100, 200, 300, 400};
    for (long s : starts) {
      log.add(s);
    }
    assertEquals(5, log.count(500, W));
    assertEquals(0 + W, log.roomAt(5, W), "at the limit: the oldest must leave");
    assertEquals(100 + W, log.roomAt(4, W), "limit lowered to 4: two must leave");
    assertEquals(400 + W, log.roomAt(1, W));
    // And at roomAt the count is indeed below the limit, one millisecond earlier it is not.
    assertEquals(4, log.count(W, W));
    assertEquals(3, log.count(100 + W, W));
  }

  @Test
  void roomAtWithWindowsOtherThanAnHour() {
    SlidingWindowLog log = new SlidingWindowLog();
    log.add(0);
    log.add(60_000);
    assertEquals(2, log.count(61_000, 900_000));
    assertEquals(900_000, log.roomAt(2, 900_000));
  }

  @Test
  void theRingGrowsAndWrapsAroundKeepingOrder() {
    SlidingWindowLog log = new SlidingWindowLog();
    // Interleave adds and evictions so that the head moves around the ring before it grows.
    for (long t = 0; t < 3; t++) {
      log.add(t);
    }
    assertEquals(1, log.count(2 + 10, 10 + 1)); // drops 0 and 1
    for (long t = 20; t < 40; t++) {
      log.add(t);
    }
    long[] expected = new long[21];
    expected[0] = 2;
    for (int i = 1; i < 21; i++) {
      expected[i] = 19 + i;
    }
    assertArrayEquals(expected, log.toArray());
    assertEquals(39, log.newest());
    assertEquals(2 + 100, log.roomAt(21, 100));
    assertEquals(25 + 100, log.roomAt(15, 100));
  }

  @Test
  void matchesANaiveLogOnASeededRandomRun() {
    long seed = 0x5eedL;
    Random random = new Random(seed);
    SlidingWindowLog log = new SlidingWindowLog();
    ArrayDeque<Long> naive = new ArrayDeque<>();
    long now = 0;
    long window = 1_000;
    for (int step = 0; step < 20_000; step++) {
      now += random.nextInt(50);
      if (random.nextBoolean()) {
        log.add(now);
        naive.addLast(now);
      }
      long cutoff = now - window;
      naive.removeIf(s -> s <= cutoff);
      int count = log.count(now, window);
      assertEquals(naive.size(), count, "seed " + seed + " step " + step);
      if (count > 0) {
        int max = 1 + random.nextInt(count);
        Long[] arr = naive.toArray(new Long[0]);
        assertEquals(arr[count - max] + window, log.roomAt(max, window), "seed " + seed);
        assertEquals(arr[count - 1], log.newest());
      }
    }
  }

  @Test
  void countAtAgreesWithCountAndChangesNothing() {
    SlidingWindowLog log = new SlidingWindowLog();
    for (long t = 0; t < 50; t++) {
      log.add(t * 10);
    }
    for (long now = 0; now < 1_000; now += 7) {
      int without = log.countAt(now, 100);
      assertEquals(50, log.toArray().length, "a read drops nothing");
      SlidingWindowLog copy = new SlidingWindowLog();
      for (long t : log.toArray()) {
        copy.add(t);
      }
      assertEquals(copy.count(now, 100), without, "at " + now);
    }
  }

  @Test
  void startsAtListsWhatCountWouldKeepAndChangesNothing() {
    SlidingWindowLog log = new SlidingWindowLog();
    for (long t = 0; t < 50; t++) {
      log.add(t * 10);
    }
    for (long now = 0; now < 1_000; now += 7) {
      long[] counted = log.startsAt(now, 100);
      assertEquals(50, log.toArray().length, "a read drops nothing");
      SlidingWindowLog copy = new SlidingWindowLog();
      for (long t : log.toArray()) {
        copy.add(t);
      }
      copy.count(now, 100);
      assertArrayEquals(copy.toArray(), counted, "at " + now);
    }
  }
}
