package io.admission.server.cluster;

import static io.admission.server.cluster.TestReplica.ORG;
import static io.admission.server.cluster.TestReplica.acquire;
import static io.admission.server.cluster.TestReplica.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.loop.Applier;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Snapshots go through Ratis: with a snapshot every few entries, the leader snapshots its engine
 * and purges the log the snapshot covers, so a follower that was down while that part was written
 * cannot replay it. It gets the leader's snapshot installed instead — its engine replaced by the
 * leader's state, those commands never applied on it one by one — and ends in the leader's state.
 */
class SnapshotInstallTest {
  /** Small, so that a few hundred entries make snapshots: the server's default is 100,000. */
  static final int SNAPSHOT_EVERY = 20;
  private static final int WHILE_DOWN = 200;

  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();

  @Test
  void aFollowerBehindThePurgedLogCatchesUpFromTheLeadersSnapshot() throws Exception {
    nodes = replicas.startedThree("s", new RaftReplica.Options(SNAPSHOT_EVERY, Engine.Bounds.NONE),
        InstantSource.system(), "");
    TestReplica leader = Probe.leader(nodes);
    TestReplica down = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
    long downAt = stopAndWritePastThePurge(leader, down, WHILE_DOWN);
    long leaderStart = leader.replica.division().getRaftLog().getStartIndex();

    Set<String> appliedHere = ConcurrentHashMap.newKeySet();
    down.start(InstantSource.system(), new Applier() {
      @Override
      public <R> R apply(Commands.Command<R> command, Engine e, long now) {
        if (command instanceof Commands.Acquire a && a.orgId().equals(ORG)) {
          appliedHere.add(a.callId());
        }
        return command.applyTo(e, now);
      }
    });
    TestReplica.awaitServing(nodes, "after the restart: ");
    EngineSnapshot want = leader.state();
    assertTrue(Probe.await(30, () -> want.equals(down.state())),
        down.id() + " did not reach the leader's state");
    assertEquals(want, down.state());

    // How it got there: the commands the purged log held reached its engine inside the leader's
    // snapshot, never through its applier, which saw only what came after the snapshot.
    // Every one of them came before the start of the leader's log, so before its snapshot.
    List<String> replayed = appliedHere.stream().filter(id -> id.startsWith("while-down-")).sorted().toList();
    assertEquals(List.of(), replayed, down.id() + " applied commands itself that the purged log held");
    assertInstanceOf(Results.Granted.class, Probe.watch(down, ORG, "while-down-0"));
    System.out.printf("SnapshotInstallTest: the leader's log starts at %d, the stopped node was at %d;"
        + " it applied %d commands after its restart, none of the %d it missed%n",
        leaderStart, downAt, appliedHere.size(), WHILE_DOWN);
  }

  /**
   * Puts an org and a few leases in, stops {@code down}, then writes {@code whileDown} leases and
   * enough besides that the leader snapshots and purges the log {@code down} would need next.
   * Returns the applied index {@code down} stopped at.
   */
  static long stopAndWritePastThePurge(TestReplica leader, TestReplica down, int whileDown) throws Exception {
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(org())).get(20, TimeUnit.SECONDS));
    for (int i = 0; i < 5; i++) {
      assertInstanceOf(Results.Granted.class, leader.submit(acquire("before-" + i)).get(20, TimeUnit.SECONDS));
    }
    long written = Probe.appliedIndex(leader);
    assertTrue(Probe.await(10, () -> Probe.appliedIndex(down) >= written));
    long downAt = Probe.appliedIndex(down);
    down.stop();

    for (int i = 0; i < whileDown; i++) { // one at a time: one log entry each
      assertInstanceOf(Results.Granted.class, leader.submit(acquire("while-down-" + i)).get(20, TimeUnit.SECONDS));
    }
    // Ratis purges only closed segments, and closes one at 8 MB: these fill one in a second (a
    // command for an org that does not exist is refused, and changes nothing, but its entry stays
    // in the log), where small entries would take some 80,000.
    String padding = "x".repeat(64 * 1024);
    for (int i = 0; i < 8 * 1024 * 1024 / padding.length() + 8; i++) {
      assertInstanceOf(Rejection.class,
          leader.submit(new Commands.Acquire("no-such-org", padding + i, "", CallType.OUTBOUND, "", "", 600_000, 0))
              .get(20, TimeUnit.SECONDS));
    }
    for (int i = 0; i < SNAPSHOT_EVERY; i++) { // a snapshot after the segment closed: it purges
      assertInstanceOf(Results.Granted.class, leader.submit(acquire("last-" + i)).get(20, TimeUnit.SECONDS));
    }
    // Snapshots and purges run on Ratis' threads, after the entries: the log the stopped node
    // would need next is gone from the leader once they have.
    var log = leader.replica.division().getRaftLog();
    assertTrue(Probe.await(15, () -> log.getStartIndex() > downAt + 1),
        "the leader's log still starts at " + log.getStartIndex() + " (snapshot index "
            + log.getSnapshotIndex() + "); the stopped node is at " + downAt);
    return downAt;
  }
}
