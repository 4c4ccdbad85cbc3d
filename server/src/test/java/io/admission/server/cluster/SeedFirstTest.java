package io.admission.server.cluster;

import static io.admission.server.cluster.TestReplica.acquire;
import static io.admission.server.cluster.TestReplica.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Results;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A new cluster's first leader is its seed, the first of --peers: a new node other than the seed
 * waits before its first election, so that two nodes do not write different first entries, which
 * Ratis cannot reconcile (see RaftReplica.properties). The wait is bounded, so a cluster whose
 * seed does not come still elects a leader.
 */
class SeedFirstTest {
  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();

  @Test
  void theOthersWaitForTheSeedToLeadANewCluster() throws Exception {
    nodes = replicas.three("s", new RaftReplica.Options(1_000, Engine.Bounds.NONE, Duration.ofSeconds(10)));
    nodes.get(1).start(InstantSource.system());
    nodes.get(2).start(InstantSource.system());
    // Five election timeouts and more: two nodes free to stand would have elected one by now.
    Thread.sleep(4_000);
    for (TestReplica n : nodes.subList(1, 3)) {
      assertFalse(n.replica.division().getInfo().isLeader(), n.id() + " led an empty cluster");
      assertNotNull(n.replica.unavailable(), n.id() + " serves without a leader");
    }

    nodes.get(0).start(InstantSource.system());
    TestReplica.awaitServing(nodes, "");
    assertTrue(nodes.get(0).replica.leading(), "the seed does not lead");
    assertInstanceOf(Results.OrgView.class,
        nodes.get(0).submit(new Commands.PutOrg(org())).get(20, TimeUnit.SECONDS));
  }

  @Test
  void withoutTheSeedTheOthersElectOnceTheirWaitIsOver() throws Exception {
    Duration wait = Duration.ofSeconds(2);
    nodes = replicas.three("w", new RaftReplica.Options(1_000, Engine.Bounds.NONE, wait));
    long started = System.nanoTime();
    nodes.get(1).start(InstantSource.system());
    nodes.get(2).start(InstantSource.system());
    TestReplica.awaitServing(nodes.subList(1, 3), "");
    long electedMillis = (System.nanoTime() - started) / 1_000_000;
    assertTrue(electedMillis >= wait.toMillis(), "elected after " + electedMillis + " ms, within the wait");
    assertTrue(electedMillis < 8_000, "elected after " + electedMillis + " ms");
    TestReplica leader = nodes.get(1).replica.leading() ? nodes.get(1) : nodes.get(2);
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(org())).get(20, TimeUnit.SECONDS));
    assertInstanceOf(Results.Granted.class, leader.submit(acquire("without-the-seed")).get(20, TimeUnit.SECONDS));

    nodes.get(0).start(InstantSource.system());
    TestReplica.awaitServing(nodes, "the seed, joining late: ");
    long target = leader.replica.division().getInfo().getLastAppliedIndex();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (nodes.get(0).replica.division().getInfo().getLastAppliedIndex() < target && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertEquals(leader.state(), nodes.get(0).state(), "the seed's state once it caught up");
  }
}
