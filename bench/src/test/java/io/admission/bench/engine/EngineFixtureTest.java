package io.admission.bench.engine;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Results;
import org.junit.jupiter.api.Test;

/** The benchmark shapes measure what they say: grants on the freed slot that never dispatch a held call. */
class EngineFixtureTest {
  @Test
  void cyclesGrantOnTheFreedSlotAcrossOrgsWithHeldCalls() {
    EngineFixture f = EngineFixture.build(50, 30, 7);
    for (int i = 0; i < 500; i++) { // ten times round the ring of leases
      assertInstanceOf(Results.Granted.class, f.releaseThenAcquire());
    }
    // Held calls are still held: the freed reserved slots never served them.
    assertTrue(f.engine.drainEvents().isEmpty());
  }

  @Test
  void moreOrgsThanLeasesLeavesOrgsIdle() {
    EngineFixture f = EngineFixture.build(3, 0, 10);
    for (int i = 0; i < 10; i++) {
      assertInstanceOf(Results.Granted.class, f.releaseThenAcquire());
    }
  }
}
