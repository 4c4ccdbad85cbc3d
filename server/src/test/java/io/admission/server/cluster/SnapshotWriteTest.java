package io.admission.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A snapshot is written off Ratis' thread that applies committed entries: while one is being
 * written (held here until the test lets it go), the group goes on committing and applying
 * writes; once written, Ratis records it, even in a group that has gone quiet, unless a newer
 * snapshot from the leader was installed meanwhile.
 */
class SnapshotWriteTest {
  private static final String ORG = "acme";
  private static final long T0 = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();
  private static final int SNAPSHOT_EVERY = 20;

  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();
  /** Holds every snapshot write until counted down. */
  private final CountDownLatch release = new CountDownLatch(1);
  /** Counted down as each node starts writing a snapshot. */
  private final Map<TestReplica, CountDownLatch> writing = new HashMap<>();
  private int written;

  @AfterEach
  void stop() {
    Partition.heal();
    release.countDown();
  }

  @Test
  void writesAreAppliedWhileASnapshotIsBeingWritten() throws Exception {
    TestReplica leader = startAndWriteUntilTheLeaderSnapshots();
    long snapshotAt = leader.replica.division().getRaftLog().getSnapshotIndex();

    for (int i = 0; i < 2 * SNAPSHOT_EVERY; i++) {
      write(leader, "while the leader's snapshot is being written");
    }
    long applied = Probe.appliedIndex(leader);
    for (TestReplica n : nodes) {
      assertTrue(Probe.await(20, () -> Probe.appliedIndex(n) >= applied),
          n.id() + " applied up to " + Probe.appliedIndex(n) + " of " + applied
              + " while its snapshot was being written");
    }
    assertEquals(snapshotAt, leader.replica.division().getRaftLog().getSnapshotIndex(),
        "Ratis recorded a snapshot that is still being written");

    release.countDown();
    var log = leader.replica.division().getRaftLog();
    assertTrue(Probe.await(20, () -> log.getSnapshotIndex() > snapshotAt),
        "the snapshot written was never recorded (Ratis' snapshot index " + log.getSnapshotIndex() + ")");
    EngineSnapshot want = leader.state();
    for (TestReplica n : nodes) {
      assertTrue(Probe.await(20, () -> want.equals(n.state())), n.id() + " did not reach the leader's state");
    }
  }

  @Test
  void aQuietGroupRecordsTheSnapshotOnceItIsWritten() throws Exception {
    TestReplica leader = startAndWriteUntilTheLeaderSnapshots();
    for (TestReplica n : nodes) { // every node's write is under way: none is recorded before
      assertTrue(writing.get(n).await(20, TimeUnit.SECONDS), n.id() + " took no snapshot");
    }
    long last = Probe.appliedIndex(leader); // each write was applied on the leader: none is under way
    Map<TestReplica, Long> applied = new HashMap<>();
    for (TestReplica n : nodes) {
      assertTrue(Probe.await(20, () -> Probe.appliedIndex(n) >= last), n.id() + " did not catch up");
      applied.put(n, Probe.appliedIndex(n));
      assertTrue(n.replica.division().getRaftLog().getSnapshotIndex() <= 0, n.id() + " recorded a snapshot");
    }

    release.countDown(); // and no write after it: clocks stand still, so no timer adds an entry
    for (TestReplica n : nodes) {
      var log = n.replica.division().getRaftLog();
      assertTrue(Probe.await(20, () -> log.getSnapshotIndex() > 0),
          n.id() + " never recorded the snapshot it wrote, with no entry after it");
      assertEquals(applied.get(n), Probe.appliedIndex(n), n.id() + ": entries were applied meanwhile");
      assertEquals(log.getSnapshotIndex(), n.replica.stateMachine().getLatestSnapshot().getIndex(), n.id());
    }
  }

  /**
   * A follower cut off while its snapshot is being written falls behind the leader's purged log
   * and gets the leader's snapshot installed; its own write, at an older entry, ends after that.
   * It must not become the latest snapshot there: Ratis would be told of a snapshot older than the
   * one it installed, and stops the server when it is.
   */
  @Test
  void aSnapshotWrittenAfterTheLeadersWasInstalledIsNotUsed() throws Exception {
    nodes = replicas.three("v", new RaftReplica.Options(SNAPSHOT_EVERY, Engine.Bounds.NONE));
    TestReplica.startOnOwnClocks(nodes, T0);
    TestReplica leader = Probe.leader(nodes);
    TestReplica cut = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
    CountDownLatch started = new CountDownLatch(1);
    cut.replica.stateMachine().beforeWritingSnapshot(() -> {
      if (started.getCount() > 0) { // only its first: the one cut off
        started.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(new OrgConfig(ORG, 100_000,
        Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)))
        .get(20, TimeUnit.SECONDS));
    for (int i = 0; i < 3 * SNAPSHOT_EVERY && started.getCount() > 0; i++) {
      write(leader, "until the follower snapshots");
    }
    assertTrue(started.await(20, TimeUnit.SECONDS), cut.id() + " took no snapshot");

    String cutId = cut.id();
    Partition.cutOff(cut);
    long cutAt = Probe.appliedIndex(cut);
    // Ratis purges only closed segments, and closes one at 8 MB: refused commands with large ids
    // fill one fast (their entries stay in the log); then a snapshot after it purges.
    String padding = "x".repeat(64 * 1024);
    for (int i = 0; i < 8 * 1024 * 1024 / padding.length() + 8; i++) {
      assertInstanceOf(Rejection.class, leader.submit(new Commands.Acquire("no-such-org", padding + i, "",
          CallType.OUTBOUND, "", "", 600_000, 0)).get(20, TimeUnit.SECONDS));
    }
    for (int i = 0; i < 2 * SNAPSHOT_EVERY; i++) {
      write(leader, "while " + cutId + " is cut off");
    }
    var leaderLog = leader.replica.division().getRaftLog();
    assertTrue(Probe.await(20, () -> leaderLog.getStartIndex() > cutAt + 1),
        "the leader's log still starts at " + leaderLog.getStartIndex() + "; " + cutId + " is at " + cutAt);

    Partition.heal();
    long installed = leaderLog.getSnapshotIndex();
    assertTrue(Probe.await(30, () -> cut.replica.stateMachine().getLatestSnapshot() != null
            && cut.replica.stateMachine().getLatestSnapshot().getIndex() >= installed),
        cutId + " did not get the leader's snapshot");
    release.countDown(); // its own write, at entry cutAt or before, ends now

    TestReplica now = Probe.leader(nodes);
    for (int i = 0; i < 2 * SNAPSHOT_EVERY; i++) { // enough for Ratis to ask it for a snapshot again
      write(now, "after " + cutId + " rejoined");
    }
    EngineSnapshot want = now.state();
    assertTrue(Probe.await(20, () -> cut.replica.division().getInfo().isAlive() && want.equals(cut.state())),
        cutId + " did not reach the leader's state (alive: " + cut.replica.division().getInfo().isAlive() + ")");
    assertTrue(cut.replica.stateMachine().getLatestSnapshot().getIndex() >= installed,
        cutId + "'s latest snapshot went back to entry " + cut.replica.stateMachine().getLatestSnapshot().getIndex());
  }

  /**
   * Starts three nodes on clocks that stand still, each holding its snapshot writes until {@link
   * #release}, and writes one entry at a time until the leader has started writing a snapshot.
   */
  private TestReplica startAndWriteUntilTheLeaderSnapshots() throws Exception {
    nodes = replicas.three("w", new RaftReplica.Options(SNAPSHOT_EVERY, Engine.Bounds.NONE));
    TestReplica.startOnOwnClocks(nodes, T0);
    for (TestReplica n : nodes) {
      CountDownLatch started = new CountDownLatch(1);
      writing.put(n, started);
      n.replica.stateMachine().beforeWritingSnapshot(() -> {
        started.countDown();
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
    }
    TestReplica leader = Probe.leader(nodes);
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(new OrgConfig(ORG, 100_000,
        Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)))
        .get(20, TimeUnit.SECONDS));
    for (int i = 0; i < 3 * SNAPSHOT_EVERY && writing.get(leader).getCount() > 0; i++) {
      write(leader, "as the leader reaches its first snapshot");
    }
    assertTrue(writing.get(leader).await(20, TimeUnit.SECONDS),
        "the leader took no snapshot in " + 3 * SNAPSHOT_EVERY + " entries");
    return leader;
  }

  /** One write, one entry: it must be committed and applied on the leader. */
  private void write(TestReplica leader, String when) throws Exception {
    String callId = "c" + written++;
    try {
      assertInstanceOf(Results.Granted.class, leader.submit(new Commands.Acquire(ORG, callId, "",
          CallType.OUTBOUND, "", "", 600_000, 0)).get(20, TimeUnit.SECONDS));
    } catch (TimeoutException e) {
      fail("write " + callId + " " + when + " was not applied within 20 s");
    }
  }
}
