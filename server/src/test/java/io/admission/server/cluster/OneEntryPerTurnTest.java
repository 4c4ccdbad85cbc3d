package io.admission.server.cluster;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A write costs the log one entry: the loop's turn. Ratis appends no entry of its own after each
 * commit (its log metadata), which would double the entries every node writes, syncs and applies.
 */
class OneEntryPerTurnTest {
  private static final String ORG = "acme";
  private static final long T0 = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();
  private static final int WRITES = 20;

  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();

  @Test
  void sequentialWritesAddOneLogEntryEach() throws Exception {
    nodes = replicas.three("e", RaftReplica.Options.DEFAULT);
    TestReplica.startOnOwnClocks(nodes, T0); // clocks that stand still: no timer due, no tick entry
    TestReplica leader = Probe.leader(nodes);
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(new OrgConfig(ORG, 1_000,
        Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)))
        .get(20, TimeUnit.SECONDS));
    Thread.sleep(500); // whatever the group appends on its own after a first commit, it has done
    long before = Probe.appliedIndex(leader);

    for (int i = 0; i < WRITES; i++) { // one at a time: each its own turn, its own entry
      assertInstanceOf(Results.Granted.class, leader.submit(new Commands.Acquire(ORG, "c" + i, "",
          CallType.OUTBOUND, "", "", 60_000, 0)).get(20, TimeUnit.SECONDS));
    }
    Thread.sleep(500);

    long entries = Probe.appliedIndex(leader) - before;
    assertTrue(entries >= WRITES && entries <= WRITES + 2,
        WRITES + " writes one after the other took " + entries + " log entries");
  }
}
