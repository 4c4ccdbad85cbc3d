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

  /**
   * A loop turn of 128 cycles, read ahead or not, does what 128 cycles one by one do. Remembering
   * 6,000 calls, 13,000 calls have been made and 1,000 hold leases (call-12000 to call-12999); the
   * turn ends the oldest 128 and grants 128 new ones, and the clock moves 128 cycles' worth, so
   * the calls that ended up to 10 minutes before that are forgotten (call-6100 was still known).
   */
  @Test
  void aTurnDoesWhatItsCyclesDoOneByOne() {
    for (boolean readAhead : new boolean[] {true, false}) {
      EngineFixture f = EngineFixture.remembering(6_000);
      assertInstanceOf(Results.Granted.class, f.turn(128, readAhead));
      var engine = f.engine();
      for (String live : List.of("call-12128", "call-13127")) {
        assertInstanceOf(Results.Granted.class, engine.watch("org-0", live, 0), live);
      }
      for (String ended : List.of("call-6200", "call-12000", "call-12127")) {
        assertInstanceOf(Results.Ended.class, engine.watch("org-0", ended, 0), ended);
      }
      for (String forgotten : List.of("call-6100", "call-13128")) {
        assertInstanceOf(Rejection.class, engine.watch("org-0", forgotten, 0), forgotten);
      }
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
