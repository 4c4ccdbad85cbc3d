package io.admission.server.cluster;

import static io.admission.server.cluster.TestReplica.acquire;
import static io.admission.server.cluster.TestReplica.org;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Results;
import io.admission.server.loop.Applier;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A follower that falls behind the leader and applies nothing refuses requests once that has
 * lasted {@link RaftReplica#STUCK_MILLIS}, however few entries it lacks: it could answer none of
 * them. Below {@link RaftReplica#MAX_LAG} entries behind it would otherwise go on serving, its
 * callers waiting on it. Once it applies again, it serves.
 */
class StuckFollowerTest {
  @RegisterExtension
  final Replicas replicas = new Replicas();
  private final CountDownLatch open = new CountDownLatch(1);

  @AfterEach
  void release() {
    open.countDown();
  }

  @Test
  void aFollowerThatAppliesNothingWhileBehindRefusesAndServesOnceItAppliesAgain() throws Exception {
    List<TestReplica> nodes = replicas.three("k", RaftReplica.Options.DEFAULT);
    AtomicBoolean blocking = new AtomicBoolean();
    TestReplica blocked = nodes.get(2);
    nodes.get(0).start(InstantSource.system());
    nodes.get(1).start(InstantSource.system());
    blocked.start(InstantSource.system(), new Applier() {
      @Override
      public <R> R apply(Commands.Command<R> command, Engine engine, long now) {
        if (blocking.get()) {
          try {
            open.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return command.applyTo(engine, now);
      }
    });
    TestReplica.awaitServing(nodes, "");
    TestReplica leader = nodes.stream().filter(n -> n.replica.leading()).findFirst().orElseThrow();
    assertTrue(leader != blocked, "the seed, not the node under test, leads a new cluster");
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(org())).get(20, TimeUnit.SECONDS));

    blocking.set(true);
    assertInstanceOf(Results.Granted.class, leader.submit(acquire("blocks-one-node")).get(20, TimeUnit.SECONDS));
    long blockedAt = System.nanoTime();
    long deadline = blockedAt + TimeUnit.MILLISECONDS.toNanos(RaftReplica.STUCK_MILLIS + 10_000);
    String why = blocked.replica.unavailable();
    while ((why == null || !why.contains("applied no entry")) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      why = blocked.replica.unavailable();
    }
    long refusedAfter = (System.nanoTime() - blockedAt) / 1_000_000;
    assertTrue(why != null && why.contains("applied no entry of the cluster's log")
        && why.contains("behind the leader"), "after " + refusedAfter + " ms: " + why);
    assertTrue(refusedAfter >= RaftReplica.STUCK_MILLIS - 1_000, "refused after " + refusedAfter + " ms");

    open.countDown();
    TestReplica.awaitServing(nodes, "after the node applied again: ");
    assertNull(blocked.replica.unavailable());
    assertInstanceOf(Results.Granted.class, blocked.submit(acquire("served-again")).get(20, TimeUnit.SECONDS));
  }
}
