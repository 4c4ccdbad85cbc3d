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
import io.admission.server.engine.Results;
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot is written off Ratis' thread that applies committed entries: while one is being
 * written (held here until the test lets it go), the group goes on committing and applying
 * writes; once written, Ratis records it, even in a group that has gone quiet.
 */
class SnapshotWriteTest {
  private static final String ORG = "acme";
  private static final long T0 = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();
  private static final int SNAPSHOT_EVERY = 20;

  @TempDir
  Path dir;

  private List<TestReplica> nodes = List.of();
  /** Holds every snapshot write until counted down. */
  private final CountDownLatch release = new CountDownLatch(1);
  /** Counted down as each node starts writing a snapshot. */
  private final Map<TestReplica, CountDownLatch> writing = new HashMap<>();
  private int written;

  @AfterEach
  void stop() {
    release.countDown();
    TestReplica.stopAll(nodes);
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
   * Starts three nodes on clocks that stand still, each holding its snapshot writes until {@link
   * #release}, and writes one entry at a time until the leader has started writing a snapshot.
   */
  private TestReplica startAndWriteUntilTheLeaderSnapshots() throws Exception {
    nodes = TestReplica.three("w", dir, new RaftReplica.Options(SNAPSHOT_EVERY, Engine.Bounds.NONE));
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
