package io.admission.server.cluster;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.Results;
import io.admission.server.engine.Snapshots;
import io.admission.server.loop.Applier;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Reply;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node that restarts behind the leader's purged log may get the leader's snapshot installed
 * before its loop is attached: the server takes the replica's engine, builds its loops, metrics and
 * services, and attaches them only then. The loop must still start from the installed snapshot,
 * not from the engine taken before it, or the node serves a state that lacks everything the
 * snapshot brought, while its applied index says it is up to date.
 */
class LateAttachTest {
  private static final String ORG = "acme";

  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();

  @Test
  void aLoopAttachedAfterTheLeadersSnapshotWasInstalledStartsFromIt() throws Exception {
    nodes = replicas.startedThree("l", new RaftReplica.Options(SnapshotInstallTest.SNAPSHOT_EVERY, Engine.Bounds.NONE),
        InstantSource.system(), "");
    TestReplica leader = Probe.leader(nodes);
    TestReplica down = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
    SnapshotInstallTest.stopAndWritePastThePurge(leader, down, 50);
    var log = leader.replica.division().getRaftLog();

    // Started as the server starts a node: the engine is taken at once, the loop attached later —
    // here once Ratis has installed the leader's snapshot, which it does as soon as the leader hears
    // from the node.
    RaftReplica restarted = RaftReplica.start(down.peers, down.dataDir, down.options, InstantSource.system());
    Engine taken = restarted.engine();
    var machine = restarted.division().getStateMachine();
    assertTrue(Probe.await(15, () -> machine.getLatestSnapshot() != null
        && machine.getLatestSnapshot().getIndex() >= log.getStartIndex() - 1), "no snapshot installed");
    EventLoop loop = new EventLoop(taken, restarted, InstantSource.system(), 10_000, Applier.ENGINE);
    restarted.attach(loop);
    ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
    loop.startOn(thread);
    try {
      assertTrue(Probe.await(30, () -> restarted.unavailable() == null), "the restarted node never served");
      CompletableFuture<Results.WatchResult> missed = new CompletableFuture<>();
      loop.readNow((engine, now) -> engine.watch(ORG, "while-down-0", now), Reply.into(missed));
      assertInstanceOf(Results.Granted.class, missed.get(10, TimeUnit.SECONDS), "the restarted node serves"
          + " at applied index " + restarted.groupStatus(0).getAppliedIndex() + " (the leader's: "
          + Probe.appliedIndex(leader) + ") without a lease the installed snapshot holds");
      // And nothing from before the snapshot applied a second time on top of it.
      EngineSnapshot want = leader.state();
      assertTrue(Probe.await(10, () -> want.equals(state(loop))), "the restarted node holds another state");
    } finally {
      restarted.close();
      loop.close();
      thread.shutdownNow();
    }
  }

  private static EngineSnapshot state(EventLoop loop) throws Exception {
    CompletableFuture<EngineSnapshot> s = new CompletableFuture<>();
    loop.readNow((engine, now) -> Snapshots.capture(engine), Reply.into(s));
    return s.get(10, TimeUnit.SECONDS);
  }
}
