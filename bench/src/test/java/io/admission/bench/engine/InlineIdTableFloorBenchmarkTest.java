package io.admission.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InlineIdTableFloorBenchmarkTest {
  @Test
  void eachCycleRemovesTheOldestLeaseAndPutsOneNewOne() {
    for (int leases : new int[] {1, 3, 1000}) {
      InlineIdTableFloorBenchmark floor = new InlineIdTableFloorBenchmark();
      floor.leases = leases;
      floor.build();
      for (int lap = 1; lap <= 4; lap++) {
        for (int i = 0; i < leases; i++) {
          // The new lease carries the removed one's count plus one: the oldest one was found, so
          // removals kept every other lease findable (a lost one would throw).
          assertEquals(lap, floor.removeOldestPutNew(), leases + " leases, lap " + lap);
        }
      }
    }
  }
}
