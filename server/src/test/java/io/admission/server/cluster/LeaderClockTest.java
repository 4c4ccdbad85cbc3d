package io.admission.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each replica on its own clock, and they disagree: the leader's is ahead, one follower's is
 * behind, the other's a day ahead. Time in the engine is the leader's stamp on the log's entries
 * and nothing else: a follower's clock never fires a timer there, and when leadership moves to the
 * node whose clock is behind, the engine's time does not go back with it — a lease granted before
 * expires at its own expiry on every replica, once the new leader's clock reaches it.
 */
class LeaderClockTest {
  private static final String ORG = "acme";
  private static final long T0 = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();
  private static final long TTL = 60_000;

  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();
  private Sampler sampler;

  @AfterEach
  void stop() throws Exception {
    if (sampler != null) {
      sampler.close();
    }
  }

  @Test
  void timeIsTheLeadersStampAndNeverGoesBackWhenLeadershipMovesToANodeWhoseClockIsBehind()
      throws Exception {
    nodes = replicas.three("t", RaftReplica.Options.DEFAULT);
    Map<TestReplica, TestClock> clocks = TestReplica.startOnOwnClocks(nodes, T0);
    TestReplica old = Probe.leader(nodes);
    List<TestReplica> followers = nodes.stream().filter(n -> n != old).toList();
    TestReplica behind = followers.get(0);
    TestReplica ahead = followers.get(1);
    long stamped = T0 + Duration.ofMinutes(10).toMillis();
    clocks.get(old).set(stamped);
    clocks.get(ahead).set(T0 + Duration.ofDays(1).toMillis());
    // behind's clock stays at T0: ten minutes before anything the old leader stamps.
    sampler = new Sampler(nodes);

    // Sent through the node whose clock is behind: the leader stamps it, with its own time.
    assertInstanceOf(Results.OrgView.class, behind.submit(new Commands.PutOrg(org())).get(20, TimeUnit.SECONDS));
    Results.Granted before = assertInstanceOf(Results.Granted.class,
        behind.submit(acquire("before")).get(20, TimeUnit.SECONDS));
    assertEquals(stamped, before.lease().grantedAt(), "granted at the leader's time");
    long expiresAt = stamped + TTL;
    assertEquals(expiresAt, before.lease().expiresAt());

    // The follower a day ahead: its loop runs turns on a clock far past the lease's expiry (woken,
    // and applying an entry of its own caller's), yet the lease holds there, at the leader's time.
    ahead.loop.wake();
    assertInstanceOf(Results.Granted.class, ahead.submit(acquire("through-ahead")).get(20, TimeUnit.SECONDS));
    assertInstanceOf(Results.Granted.class, Probe.watch(ahead, ORG, "before"),
        "the lease expired on the follower whose own clock is a day ahead");
    assertEquals(stamped, Probe.engineTime(ahead), "the follower's engine left the leader's time");

    // Leadership moves to the node whose clock is behind what the old leader stamped, and the old
    // leader goes down.
    handOver(old, behind);
    TestReplica.awaitServing(List.of(behind, ahead), "after the handover: ");
    sampler.drop(old);
    old.stop();

    // The new leader stamps its own, earlier, time on what it orders now: the engine stays at the
    // last time the log let pass, so this lease is granted at that time, not ten minutes before.
    Results.Granted after = assertInstanceOf(Results.Granted.class,
        ahead.submit(acquire("after")).get(20, TimeUnit.SECONDS));
    assertEquals(stamped, after.lease().grantedAt(), "granted before the last stamped time");

    // One millisecond before the expiry on the new leader's clock: nothing expires.
    clocks.get(behind).set(expiresAt - 1);
    assertInstanceOf(Results.Granted.class, behind.submit(acquire("just-before")).get(20, TimeUnit.SECONDS));
    for (TestReplica n : List.of(behind, ahead)) { // the follower applies it a moment later
      assertTrue(Probe.await(10, () -> Probe.engineTime(n) >= expiresAt - 1), n.id() + " did not apply it");
      assertEquals(expiresAt - 1, Probe.engineTime(n), n.id());
      assertInstanceOf(Results.Granted.class, Probe.watch(n, ORG, "before"), n.id() + " expired early");
    }

    // Past it, with no write: the new leader's tick expires both leases on every replica, each at
    // its own expiry.
    clocks.get(behind).set(expiresAt + 5_000);
    for (TestReplica n : List.of(behind, ahead)) {
      assertTrue(Probe.await(15, () -> Probe.watch(n, ORG, "before") instanceof Results.Ended),
          n.id() + ": the lease did not expire once the new leader's clock passed it");
      for (String callId : List.of("before", "after")) {
        Results.Ended ended = assertInstanceOf(Results.Ended.class, Probe.watch(n, ORG, callId));
        assertEquals(EndReason.EXPIRED, ended.reason(), n.id() + " " + callId);
        assertEquals(expiresAt, ended.endedAt(), n.id() + " " + callId + " ended at another time");
      }
    }
    sampler.close();
    assertEquals(List.of(), sampler.wentBack, "the engine's time went back on a replica");
    System.out.printf("LeaderClockTest: %d samples of the engines' time, none going back%n", sampler.samples);
  }

  /** Asks {@code from}, the leader, to hand leadership to {@code to}, and waits until it has. */
  private static void handOver(TestReplica from, TestReplica to) throws Exception {
    var division = from.replica.division();
    RaftClientReply reply = division.getRaftServer().transferLeadership(new TransferLeadershipRequest(
        ClientId.randomId(), division.getId(), division.getGroup().getGroupId(), 1,
        RaftPeerId.valueOf(to.id()), 10_000));
    assertTrue(reply.isSuccess(), "the leadership transfer failed: " + reply);
    assertTrue(Probe.await(15, () -> to.replica.leading()), to.id() + " did not take the lead");
  }

  /** Reads every replica's engine time, over and over, and notes any that went back. */
  private static final class Sampler {
    private final List<TestReplica> sampled;
    private final Map<String, Long> last = new ConcurrentHashMap<>();
    final List<String> wentBack = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    volatile long samples;

    Sampler(List<TestReplica> nodes) {
      sampled = new CopyOnWriteArrayList<>(nodes);
      thread = new Thread(this::run, "engine-time-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void drop(TestReplica n) throws InterruptedException {
      sampled.remove(n);
      Thread.sleep(50); // a read of it under way ends first
    }

    private void run() {
      while (running) {
        for (TestReplica n : new ArrayList<>(sampled)) {
          try {
            long t = Probe.engineTime(n);
            Long was = last.put(n.id(), t);
            if (was != null && t < was) {
              wentBack.add(n.id() + ": " + was + " -> " + t);
            }
            samples++;
          } catch (Exception e) {
            if (running && sampled.contains(n)) {
              wentBack.add(n.id() + ": could not be read: " + e);
            }
          }
        }
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void close() throws InterruptedException {
      running = false;
      thread.join(15_000);
    }
  }

  private static OrgConfig org() {
    return new OrgConfig(ORG, 1000, Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(),
        LoginLimits.INHERIT, NumberLimits.INHERIT);
  }

  private static Commands.Acquire acquire(String callId) {
    return new Commands.Acquire(ORG, callId, "", CallType.OUTBOUND, "", "", TTL, 0);
  }
}
