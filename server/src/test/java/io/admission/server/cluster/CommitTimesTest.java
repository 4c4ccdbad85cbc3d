package io.admission.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Commit latency per proposal: sent, then applied in the same order, some never. */
class CommitTimesTest {
  private final CommitTimes times = new CommitTimes(4);

  @Test
  void eachAppliedProposalTakesTheTimeSinceItWasSent() {
    times.sent(1, 1_000);
    times.sent(2, 1_500);
    assertEquals(4_000, times.applied(1, 5_000));
    assertEquals(4_000, times.applied(2, 5_500));
    assertEquals(0, times.pending());
  }

  @Test
  void aProposalThatNeverCameBackIsDroppedByTheNextOneApplied() {
    times.sent(1, 1_000);
    times.sent(2, 2_000); // refused: Ratis never commits it
    times.sent(3, 3_000);
    assertEquals(9_000, times.applied(1, 10_000));
    assertEquals(7_000, times.applied(3, 10_000));
    assertEquals(0, times.pending());
  }

  @Test
  void aProposalNotSentFromThisStartHasNoTime() {
    assertEquals(-1, times.applied(7, 10_000));
    times.sent(8, 1_000);
    assertEquals(-1, times.applied(7, 10_000), "an older one: the newer is kept");
    assertEquals(1, times.pending());
    assertEquals(9_000, times.applied(8, 10_000));
  }

  @Test
  void aFullRingForgetsItsOldestTimesAndStaysBounded() {
    for (long p = 1; p <= 10; p++) {
      times.sent(p, p * 100);
    }
    assertEquals(4, times.pending());
    assertEquals(-1, times.applied(6, 2_000), "forgotten");
    assertEquals(4, times.pending(), "nothing older than 6 was dropped: 7..10 wait");
    assertEquals(1_300, times.applied(7, 2_000));
    assertEquals(3, times.pending());
  }
}
