package io.admission.server.cluster;

import static io.admission.server.cluster.TestReplica.acquire;
import static io.admission.server.cluster.TestReplica.org;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Results;
import io.admission.server.loop.Applier;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node that restarts behind the others answers nothing until it has caught up: a node answers a
 * write once it has applied it itself, so while it replays what it missed, every caller that
 * reaches it would wait for the whole catch-up. It refuses instead (the callers go to another
 * node), and says why.
 */
class CatchUpTest {
  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();

  @Test
  void aRestartedNodeRefusesUntilItHasAppliedWhatTheClusterCommittedWithoutIt() throws Exception {
    nodes = replicas.startedThree("c", RaftReplica.Options.DEFAULT, InstantSource.system(), "");
    TestReplica leader = nodes.stream().filter(n -> n.replica.leading()).findFirst().orElseThrow();
    TestReplica behind = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(org())).get(20, TimeUnit.SECONDS));

    behind.stop();
    for (int i = 0; i < 600; i++) { // one at a time: one log entry each
      assertInstanceOf(Results.Granted.class, leader.submit(acquire("while-down-" + i)).get(20, TimeUnit.SECONDS));
    }
    long committed = leader.replica.groupStatus(0).getAppliedIndex();

    // Restarted with a slow engine: a catch-up of 600 entries takes it at least 1.2 s.
    behind.start(InstantSource.system(), slow(2));
    boolean refusedWhileBehind = false;
    long longestWaitForTransport = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (behind.replica.unavailable() != null) {
      String why = behind.replica.unavailable();
      refusedWhileBehind |= why.contains("catching up with the cluster's log");
      assertTrue(System.nanoTime() < deadline, "still refusing after 60 s: " + why);
      longestWaitForTransport = Math.max(longestWaitForTransport, behind.transportWaitNanos());
      LockSupport.parkNanos(2_000_000);
    }
    long applied = behind.replica.groupStatus(0).getAppliedIndex();
    assertTrue(applied >= committed - RaftReplica.RESUME_LAG, "the restarted node served at applied index "
        + applied + ", while the cluster had committed " + committed + " without it");
    assertTrue(refusedWhileBehind, "it never said it was catching up");
    // The loop's turns run on the transport thread, which reads sockets (and sends refusals) only
    // between turns: catching up, a turn takes at most 32 entries (64 ms here), not all 600 at
    // once (1.2 s), so a caller sent here is refused at once instead of waiting out the catch-up.
    System.out.printf("CatchUpTest: caught up at applied index %d of %d; the transport thread waited at"
        + " most %d ms for a turn meanwhile%n", applied, committed, longestWaitForTransport / 1_000_000);
    assertTrue(longestWaitForTransport < TimeUnit.MILLISECONDS.toNanos(600), "the transport thread was"
        + " held for " + longestWaitForTransport / 1_000_000 + " ms at a time while the node caught up");
    assertInstanceOf(Results.Granted.class, behind.submit(acquire("after")).get(20, TimeUnit.SECONDS));
  }

  /** Applies every command, {@code millis} ms late. */
  private static Applier slow(long millis) {
    return new Applier() {
      @Override
      public <R> R apply(Commands.Command<R> command, Engine engine, long now) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
        return command.applyTo(engine, now);
      }
    };
  }
}
