package io.admission.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class IdTableFloorBenchmarkTest {
  @Test
  void eachCycleRemovesTheOldestLeaseAndPutsOneNewOne() {
    IdTableFloorBenchmark floor = new IdTableFloorBenchmark();
    floor.leases = 3;
    floor.build();
    for (int lap = 1; lap <= 4; lap++) {
      for (int i = 0; i < 3; i++) {
        // The new object carries the removed one's count plus one: the oldest entry was found.
        assertEquals(lap, ((long[]) floor.removeOldestPutNew())[0]);
      }
    }
  }
}
