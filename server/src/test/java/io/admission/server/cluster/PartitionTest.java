package io.admission.server.cluster;

import static io.admission.server.cluster.TestReplica.ORG;
import static io.admission.server.cluster.TestReplica.acquire;
import static io.admission.server.cluster.TestReplica.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.admission.server.engine.Commands;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.Results;
import io.admission.server.loop.NotHere;
import io.admission.server.loop.Reply;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A network partition, not a crash: the leader of three replicas (real Ratis on loopback, in this
 * JVM) is cut off from the other two while it keeps running. Ratis' own test hook drops every
 * append, vote and snapshot request between the cut-off node and the others, in both directions
 * (this machine's kernel has no packet filter to do it with). The minority side must refuse writes
 * — the old leader steps down for want of a majority and says so — while the majority elects a
 * new leader and goes on granting; once the partition heals, the old leader catches up and every
 * replica holds the same state, with nothing of what the minority refused in it.
 */
@Tag("slow")
class PartitionTest {
  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();

  @AfterEach
  void heal() {
    Partition.heal();
  }

  @Test
  void theCutOffLeaderRefusesWritesWhileTheMajorityGoesOnAndCatchesUpAfter() throws Exception {
    nodes = replicas.startedThree("p", RaftReplica.Options.DEFAULT, InstantSource.system(), "");
    assertInstanceOf(Results.OrgView.class, granted(nodes.get(0), new Commands.PutOrg(org())));
    for (int i = 0; i < 10; i++) {
      assertInstanceOf(Results.Granted.class, granted(nodes.get(i % 3), acquire("before-" + i)));
    }

    TestReplica cut = leader();
    List<TestReplica> majority = nodes.stream().filter(n -> n != cut).toList();
    String cutId = cut.id();
    Partition.cutOff(cut);

    // The minority side: within a few election timeouts it knows it is cut off and refuses.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (cut.replica.unavailable() == null && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertNotNull(cut.replica.unavailable(), "the cut-off node " + cutId + " still serves");
    for (int i = 0; i < 5; i++) {
      CompletableFuture<Results.AcquireResult> refused = cut.submit(acquire("minority-" + i));
      try {
        Object answer = refused.get(10, TimeUnit.SECONDS);
        fail("the cut-off node granted a write: " + answer);
      } catch (ExecutionException e) {
        assertInstanceOf(NotHere.class, e.getCause(), "refused with " + e.getCause());
      }
    }

    // The majority side elects a leader of its own and goes on granting.
    TestReplica.awaitServing(majority, "the majority: ");
    for (int i = 0; i < 20; i++) {
      assertInstanceOf(Results.Granted.class, granted(majority.get(i % 2), acquire("during-" + i)));
    }
    assertNotNull(cut.replica.unavailable(), "the cut-off node serves again while still cut off");

    // Healed: the old leader follows, catches up, and holds what the majority decided.
    Partition.heal();
    TestReplica.awaitServing(nodes, "healed: ");
    for (int i = 0; i < 5; i++) {
      assertInstanceOf(Results.Granted.class, granted(cut, acquire("after-" + i)));
    }
    EngineSnapshot want = majority.get(0).state();
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (TestReplica n : nodes) {
      EngineSnapshot got = n.state();
      while (!want.equals(got) && System.nanoTime() < deadline) {
        Thread.sleep(100);
        want = majority.get(0).state();
        got = n.state();
      }
      assertEquals(want, got, "replica " + n.id() + " differs after the partition healed");
    }
    // Every write the cluster granted holds its lease everywhere; the minority's refused ones are
    // nowhere.
    for (TestReplica n : nodes) {
      for (String prefix : List.of("before-", "during-", "after-")) {
        for (int i = 0; i < 5; i++) {
          assertInstanceOf(Results.Granted.class, watch(n, prefix + i), n.id() + " " + prefix + i);
        }
      }
      for (int i = 0; i < 5; i++) {
        assertInstanceOf(io.admission.server.engine.Rejection.class, watch(n, "minority-" + i), n.id() + " minority-" + i);
      }
    }
  }

  private static Results.WatchResult watch(TestReplica n, String callId) throws Exception {
    CompletableFuture<Results.WatchResult> s = new CompletableFuture<>();
    n.loop.readNow((engine, now) -> engine.watch(ORG, callId, now), Reply.into(s));
    return s.get(10, TimeUnit.SECONDS);
  }

  private TestReplica leader() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (TestReplica n : nodes) {
        if (n.replica.leading()) {
          return n;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no leader within 30 s");
  }

  /** The answer of {@code node} to a write, retried while the group elects. */
  private static <R> R granted(TestReplica node, Commands.Command<R> command) throws Exception {
    for (int attempt = 0; ; attempt++) {
      try {
        return node.submit(command).get(20, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof NotHere) || attempt >= 50) {
          throw new AssertionError(node.id() + " failed " + command + ": " + e.getCause(), e);
        }
        Thread.sleep(200);
      }
    }
  }
}
