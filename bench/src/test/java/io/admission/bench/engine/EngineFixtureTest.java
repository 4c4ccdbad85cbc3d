package io.admission.bench.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark shapes measure what they say: grants that never dispatch, dispatches that do. */
class EngineFixtureTest {
  @Test
  void cyclesGrantOnTheFreedSlotAcrossOrgsWithHeldCalls() {
    EngineFixture f = EngineFixture.build(50, 30, 7);
    for (int i = 0; i < 500; i++) { // ten times round the ring of leases
      assertInstanceOf(Results.Granted.class, f.releaseThenAcquire());
    }
    // Held calls are still held: the freed reserved slots never served them.
    assertTrue(f.engine().drainEvents().isEmpty());
  }

  @Test
  void moreOrgsThanLeasesLeavesOrgsIdle() {
    EngineFixture f = EngineFixture.build(3, 0, 10);
    for (int i = 0; i < 10; i++) {
      assertInstanceOf(Results.Granted.class, f.releaseThenAcquire());
    }
  }

  /**
   * Remembering 6,000 calls, cycle k ends call-k and 12,000 cycles have run: the last 6,000 ended
   * calls are still known to the engine (a retry would be refused), older ones are forgotten.
   */
  @Test
  void rememberingKeepsAsManyEndedCallsAsAsked() {
    EngineFixture f = EngineFixture.remembering(6_000);
    for (String recent : List.of("call-6100", "call-11999")) {
      assertFalse(f.engine().watch("org-0", recent, 0) instanceof Rejection, recent);
    }
    for (String old : List.of("call-0", "call-5900")) {
      assertInstanceOf(Rejection.class, f.engine().watch("org-0", old, 0), old);
    }
  }

  @Test
  void deepQueueDispatchesTheOldestAndHoldsTheNewest() {
    EngineFixture.DeepQueue q = EngineFixture.deepQueue(20);
    for (int i = 0; i < 100; i++) { // the fixture checks one dispatch and one hold per cycle
      assertInstanceOf(Results.Held.class, q.dispatchCycle());
    }
  }
}
