package io.admission.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.Event;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import io.admission.server.loop.Watcher;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With no write at all, a lease whose TTL passes on the leader's clock expires on every replica:
 * the leader appends a tick, an entry with no command, and each replica lets the time pass to its
 * stamp — the followers' own clocks, still before the expiry, play no part. The call held behind
 * the lease is dispatched on a follower's WaitForSlot stream.
 */
class IdleExpiryTest {
  private static final String ORG = "acme";
  private static final long T0 = Instant.parse("2026-03-02T10:00:00Z").toEpochMilli();
  private static final long TTL = 30_000;

  @RegisterExtension
  final Replicas replicas = new Replicas();
  private List<TestReplica> nodes = List.of();

  @Test
  void aLeaseExpiresOnEveryReplicaByTheLeadersTickWithNoWrite() throws Exception {
    nodes = replicas.three("i", RaftReplica.Options.DEFAULT);
    Map<TestReplica, TestClock> clocks = TestReplica.startOnOwnClocks(nodes, T0);
    TestReplica leader = Probe.leader(nodes);
    List<TestReplica> followers = nodes.stream().filter(n -> n != leader).toList();
    TestReplica watching = followers.get(1);

    // One slot: "running" takes it, "waiting" is held behind it.
    assertInstanceOf(Results.OrgView.class, leader.submit(new Commands.PutOrg(org())).get(20, TimeUnit.SECONDS));
    Results.Granted running = assertInstanceOf(Results.Granted.class,
        followers.get(0).submit(acquire("running", 0)).get(20, TimeUnit.SECONDS));
    long expiresAt = T0 + TTL;
    assertEquals(expiresAt, running.lease().expiresAt());
    assertInstanceOf(Results.Held.class,
        followers.get(0).submit(acquire("waiting", 600_000)).get(20, TimeUnit.SECONDS));
    Stream stream = new Stream();
    assertTrue(watching.loop.watch(ORG, "waiting", stream));
    assertInstanceOf(Results.Held.class, stream.first.get(10, TimeUnit.SECONDS));

    // Every replica has applied every write; from here on nobody writes.
    long written = Probe.appliedIndex(leader);
    for (TestReplica n : nodes) {
      assertTrue(Probe.await(10, () -> Probe.appliedIndex(n) >= written), n.id() + " did not apply the writes");
    }
    Map<TestReplica, Long> appliedBefore = new HashMap<>();
    for (TestReplica n : nodes) {
      appliedBefore.put(n, Probe.appliedIndex(n));
      assertInstanceOf(Results.Granted.class, Probe.watch(n, ORG, "running"));
    }

    // The leader's clock passes the TTL; the followers' stay before it. No loop is woken: the
    // leader's own timer must find the deadline.
    long tickAt = expiresAt + 1_000;
    clocks.get(leader).set(tickAt);

    assertTrue(Probe.await(15, () -> !stream.events.isEmpty()),
        "the held call was not dispatched on " + watching.id() + "'s stream");
    Event.Dispatched dispatched = assertInstanceOf(Event.Dispatched.class, stream.events.get(0));
    assertEquals(expiresAt, dispatched.lease().grantedAt(), "dispatched at another time than the expiry");
    for (TestReplica n : nodes) {
      assertTrue(Probe.await(10, () -> Probe.watch(n, ORG, "running") instanceof Results.Ended),
          n.id() + ": the lease did not expire");
      Results.Ended ended = assertInstanceOf(Results.Ended.class, Probe.watch(n, ORG, "running"));
      assertEquals(EndReason.EXPIRED, ended.reason(), n.id());
      assertEquals(expiresAt, ended.endedAt(), n.id() + ": the lease ended at another time");
      assertInstanceOf(Results.Granted.class, Probe.watch(n, ORG, "waiting"), n.id());
      assertEquals(leader.state(), n.state(), n.id() + " holds another state than the leader");
      // What moved time: an entry appended with no write, stamped with the leader's clock.
      assertTrue(Probe.appliedIndex(n) > appliedBefore.get(n),
          n.id() + ": the lease expired without an entry applied");
      assertEquals(tickAt, Probe.engineTime(n), n.id() + ": not at the leader's time");
    }
    for (TestReplica f : followers) {
      assertEquals(T0, clocks.get(f).millis(), "a follower's clock moved");
    }
  }

  /** A WaitForSlot stream as the loop sees it. */
  private static final class Stream implements Watcher {
    final CompletableFuture<Results.WatchResult> first = new CompletableFuture<>();
    final List<Event> events = new CopyOnWriteArrayList<>();

    @Override
    public void first(Results.WatchResult state) {
      first.complete(state);
    }

    @Override
    public void event(Event event) {
      events.add(event);
    }

    @Override
    public void abort(String reason) {
      first.completeExceptionally(new AssertionError("aborted: " + reason));
    }
  }

  private static OrgConfig org() {
    return new OrgConfig(ORG, 1, Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(),
        LoginLimits.INHERIT, NumberLimits.INHERIT);
  }

  private static Commands.Acquire acquire(String callId, long maxWaitMillis) {
    return new Commands.Acquire(ORG, callId, "", CallType.OUTBOUND, "", "", TTL, maxWaitMillis);
  }
}
