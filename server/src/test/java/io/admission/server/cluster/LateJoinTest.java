package io.admission.server.cluster;

import static io.admission.server.cluster.TestReplica.acquire;
import static io.admission.server.cluster.TestReplica.org;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Results;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node that starts long after the other two (a cluster whose third machine comes up late, a
 * replaced machine with an empty disk) must get the log soon: until it holds an entry, Ratis does
 * not count its vote for a candidate whose log has some, so were the leader lost meanwhile, the
 * two nodes left could elect no leader until it came back.
 */
class LateJoinTest {
  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();

  @Test
  void theTwoLeftElectALeaderWhenTheLeaderIsLostSoonAfterANodeJoinsLate() throws Exception {
    nodes = replicas.three("l", RaftReplica.Options.DEFAULT);
    TestReplica late = nodes.get(2);
    nodes.get(0).start(InstantSource.system());
    nodes.get(1).start(InstantSource.system());
    TestReplica.awaitServing(nodes.subList(0, 2), "");
    TestReplica leader = nodes.get(0).replica.leading() ? nodes.get(0) : nodes.get(1);
    TestReplica other = leader == nodes.get(0) ? nodes.get(1) : nodes.get(0);
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(org())).get(20, TimeUnit.SECONDS));
    assertInstanceOf(Results.Granted.class, leader.submit(acquire("before")).get(20, TimeUnit.SECONDS));
    // Meanwhile the leader keeps trying to reach the third node; Ratis' default waits 5 s between
    // tries after some 20 s of failures.
    Thread.sleep(25_000);

    late.start(InstantSource.system());
    long started = System.nanoTime();
    // Lost once the late node holds an entry, or 2 s after it started if it does not by then.
    while (late.replica.division().getRaftLog().getLastEntryTermIndex() == null
        && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2)) {
      Thread.sleep(10);
    }
    long firstEntryMillis = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("LateJoinTest: the late node held its first entry %d ms after it started%n", firstEntryMillis);
    leader.stop();

    TestReplica.awaitServing(List.of(other, late), "the late node's first entry came after "
        + firstEntryMillis + " ms; ");
    TestReplica now = other.replica.leading() ? other : late;
    assertInstanceOf(Results.Granted.class, now.submit(acquire("after")).get(20, TimeUnit.SECONDS));
  }
}
