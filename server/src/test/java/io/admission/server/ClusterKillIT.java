package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.client.AdmissionClient;
import io.admission.client.Servers;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.Lease;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import java.util.concurrent.CompletableFuture;
import io.admission.server.CallLedger.Owner;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.GetClusterStatusRequest;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.OrgStatus;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node cluster of the real jar (three JVMs with small heaps on loopback) under load from
 * several client threads that talk to all three nodes through one channel ({@link Servers}):
 * {@code kill -9} of each node in turn — the leader at least every other time — and its restart,
 * while the clients go on. Afterwards, as in {@link DurabilityKillIT}: no call granted twice, no
 * acknowledged grant, held call or counted start lost, held calls in their order; and every node
 * reports the same {@code GetOrgStatus} once it has caught up.
 */
class ClusterKillIT {
  @TempDir
  Path dataDir;

  /** In {@code make test}: each node killed once (the leader first), with load throughout. */
  @Test
  void killingEachNodeInTurnLosesAndDuplicatesNothing() throws Exception {
    run(3, 4, 1500);
  }

  /** In {@code make test-slow}: 20 kills, leaders and followers, more clients. */
  @Test
  @Tag("slow")
  void twentyKillsLoseAndDuplicateNothing() throws Exception {
    run(20, 8, 2500);
  }

  private void run(int kills, int clients, long loadMillis) throws Exception {
    long seed = Long.getLong("cluster.seed", System.nanoTime());
    System.out.println("ClusterKillIT kills " + kills + " clients " + clients + " seed " + seed);
    CallLedger ledger = new CallLedger(seed, clients);
    Random random = new Random(seed);
    List<String> ids = List.of("n1", "n2", "n3");
    StringBuilder peers = new StringBuilder();
    for (String id : ids) {
      peers.append(peers.length() == 0 ? "" : ",").append(id).append("=127.0.0.1:").append(freePort());
    }
    List<ServerProcess> nodes = new ArrayList<>();
    try {
      for (String id : ids) {
        // A fixed gRPC port: the clients' channel names each node, before and after its restart.
        nodes.add(ServerProcess.startWith(List.of("-Xmx192m", "-XX:+UseSerialGC"),
            "--listen", "127.0.0.1:" + freePort(),
            "--node-id", id, "--peers", peers.toString(),
            "--data-dir", dataDir.resolve(id).toString(),
            // Frequent snapshots: a restarted node catches up from one, and the log is purged.
            "--snapshot-every-entries", "400"));
      }
      ManagedChannel cluster = clusterChannel(nodes);
      try {
        awaitLeader(nodes, ledger);
        GetOrgResponse org = DurabilityKillIT.setUpOrg(cluster);
        // The Java client through the kills: a held call whose WaitForSlot stream must be reopened
        // on another node whenever its node dies, and still learn of its dispatch at the end.
        AdmissionClient client = new AdmissionClient(cluster);
        AdmissionAdminServiceGrpc.newBlockingStub(cluster).withDeadlineAfter(10, TimeUnit.SECONDS)
            .putOrg(PutOrgRequest.newBuilder().setOrg(Org.newBuilder().setOrgId("failover")
                .setConcurrencyLimit(1).setTimeZone("UTC")).build());
        Lease first = client.acquire(failover("f-1")).get(20, TimeUnit.SECONDS);
        CompletableFuture<Lease> second = client.acquire(failover("f-2"));
        Thread.sleep(500);
        assertTrue(!second.isDone(), () -> "f-2 should be held behind f-1: " + second);
        // Every node has applied the set-up before the first kill: a node that started last may
        // not yet hold an entry, and until it does Ratis does not count its vote (LateJoinTest).
        awaitSameStatus(nodes, ledger);
        List<String> heldOrder = null;
        List<Integer> neverKilled = new ArrayList<>(List.of(0, 1, 2));
        for (int kill = 1; kill <= kills; kill++) {
          // The leader first; then every node not yet killed; then leaders and followers by turns.
          int leader = leaderIndex(nodes, ids, ledger);
          awaitLeaderHealth(nodes, leader, ledger);
          int victim;
          if (kill == 1 || (neverKilled.isEmpty() && kill % 2 == 1)) {
            victim = leader;
          } else if (!neverKilled.isEmpty()) {
            victim = neverKilled.get(0);
          } else {
            victim = (leader + 1 + random.nextInt(nodes.size() - 1)) % nodes.size();
          }
          neverKilled.remove(Integer.valueOf(victim));
          String role = victim == leader ? "leader" : "follower";
          long[] gap = new long[1];
          int operations = loadKillRestart(nodes, victim, cluster, ledger, loadMillis, gap);
          ledger.failIfProblems();
          ledger.life = kill;
          // A request whose client gave up (UNAVAILABLE, deadline) may still be in the log's hands:
          // the node that proposed it retries for up to 3 s. Let such writes land before the
          // check reads the queue, or they would move it under the check's feet.
          Thread.sleep(4000);
          DurabilityKillIT.Check check = new DurabilityKillIT.Check(ledger, cluster, org, heldOrder);
          check.run();
          heldOrder = check.heldOrder;
          OrgStatus agreed = awaitSameStatus(nodes, ledger);
          System.out.printf("kill %2d: %s %s after %d requests; first write %d ms after the kill;"
              + " %s; all nodes agree (in_use %d, queued %d)%n", kill, role, ids.get(victim),
              operations, gap[0], check.summary, agreed.getInUse(), agreed.getQueued());
          assertTrue(gap[0] < 10_000, () -> ledger.where() + " no write completed for " + gap[0]
              + " ms after the kill");
        }
        client.release("failover", first.getCallId()).get(20, TimeUnit.SECONDS);
        Lease dispatched = second.get(30, TimeUnit.SECONDS);
        assertEquals("f-2", dispatched.getCallId());
        System.out.println("the Java client's held call was dispatched after " + kills + " kills");
        client.release("failover", "f-2").get(20, TimeUnit.SECONDS);
        client.close();
        checkAloneRefuses(nodes, ledger);
      } finally {
        cluster.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (AssertionError | RuntimeException e) {
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < nodes.size(); i++) {
        // Whole outputs to files (they are long); the last lines in the failure.
        Path file = Path.of("target", "cluster-kill-" + ids.get(i) + ".log");
        java.nio.file.Files.writeString(file, nodes.get(i).output());
        String text = nodes.get(i).output();
        out.append("\n--- ").append(ids.get(i)).append(" (whole output in ").append(file)
            .append("; last 2000 chars) ---\n").append(text.substring(Math.max(0, text.length() - 2000)));
      }
      throw new AssertionError(ledger.where() + " " + e.getMessage() + out, e);
    } finally {
      nodes.forEach(ServerProcess::close);
    }
  }

  /**
   * Clients run for {@code load} ms, node {@code victim} is killed with their requests in flight,
   * the clients go on (their channel moves to the other nodes) while it is restarted, then stop.
   */
  private static int loadKillRestart(List<ServerProcess> nodes, int victim, ManagedChannel channel,
      CallLedger ledger, long load, long[] gap) throws Exception {
    List<LedgerClient> clients = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (Owner owner : ledger.owners) {
      LedgerClient client = new LedgerClient(ledger, owner, channel, true);
      Thread t = new Thread(client, "ledger-client-" + owner.index);
      clients.add(client);
      threads.add(t);
      t.start();
    }
    try {
      Thread.sleep(load);
      // From here on a failed request is an unknown outcome (the check resolves it), not a problem.
      ledger.killing(true);
      int before = clients.stream().mapToInt(c -> c.operations).sum();
      long killedAt = System.nanoTime();
      nodes.get(victim).kill9();
      while (clients.stream().mapToInt(c -> c.operations).sum() <= before + clients.size()
          && System.nanoTime() - killedAt < 15_000_000_000L) {
        Thread.sleep(5);
      }
      gap[0] = (System.nanoTime() - killedAt) / 1_000_000;
      nodes.set(victim, nodes.get(victim).restart());
      Thread.sleep(load / 2);
    } finally {
      clients.forEach(LedgerClient::stop);
      for (Thread t : threads) {
        t.join(60_000);
        if (t.isAlive()) {
          ledger.problem(t.getName() + " did not stop 60 s after the kill");
        }
      }
      ledger.killing(false);
    }
    return clients.stream().mapToInt(c -> c.operations).sum();
  }

  /**
   * Two of three nodes killed: the last one has no majority, so it must not answer from a state
   * that may be stale or take writes it cannot commit. It refuses calls UNAVAILABLE and reports
   * NOT_SERVING, while GetClusterStatus still says what it knows (no leader).
   */
  private static void checkAloneRefuses(List<ServerProcess> nodes, CallLedger ledger) throws Exception {
    nodes.get(0).kill9();
    nodes.get(1).kill9();
    ManagedChannel ch = single(nodes.get(2));
    try {
      long deadline = System.nanoTime() + 15_000_000_000L;
      ServingStatus health = ServingStatus.SERVING;
      while (health != ServingStatus.NOT_SERVING && System.nanoTime() < deadline) {
        Thread.sleep(100);
        health = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus();
      }
      assertEquals(ServingStatus.NOT_SERVING, health, () -> ledger.where() + " a node alone says it serves");
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> AdmissionServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
              .acquire(AcquireRequest.newBuilder().setOrgId(CallLedger.ORG).setCallId("alone-1")
                  .setCallType(io.admission.v1.CallType.CALL_TYPE_OUTBOUND).build()));
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused::toString);
      // A read too: its state may be stale, so it is refused like a write, not left to time out.
      StatusRuntimeException unread = assertThrows(StatusRuntimeException.class,
          () -> AdmissionMonitorServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
              .getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(CallLedger.ORG).build()));
      assertEquals(Status.Code.UNAVAILABLE, unread.getStatus().getCode(), unread::toString);
      GetClusterStatusResponse status = AdmissionMonitorServiceGrpc.newBlockingStub(ch)
          .withDeadlineAfter(5, TimeUnit.SECONDS).getClusterStatus(GetClusterStatusRequest.getDefaultInstance());
      assertEquals("", status.getLeaderId(), status::toString);
      System.out.println("alone: NOT_SERVING, Acquire refused: " + refused.getStatus());
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Every node answers GetOrgStatus alike once it has applied the same entries. */
  private static OrgStatus awaitSameStatus(List<ServerProcess> nodes, CallLedger ledger)
      throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    List<OrgStatus> seen = List.of();
    while (System.nanoTime() < deadline) {
      seen = new ArrayList<>();
      for (ServerProcess node : nodes) {
        ManagedChannel ch = single(node);
        try {
          seen.add(AdmissionMonitorServiceGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
              .getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(CallLedger.ORG).build()).getStatus());
        } catch (StatusRuntimeException e) {
          seen.add(null); // still catching up or electing
        } finally {
          ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
      if (seen.get(0) != null && seen.stream().allMatch(seen.get(0)::equals)) {
        return seen.get(0);
      }
      Thread.sleep(200);
    }
    assertEquals(seen.get(0), seen.get(1), () -> ledger.where() + " nodes disagree after 30 s");
    assertEquals(seen.get(0), seen.get(2), () -> ledger.where() + " nodes disagree after 30 s");
    return seen.get(0);
  }

  private static void awaitLeader(List<ServerProcess> nodes, CallLedger ledger) throws InterruptedException {
    leaderIndex(nodes, List.of(), ledger);
  }

  /**
   * The leader says SERVING on the leader's health name, the others NOT_SERVING: the Java client
   * sends its calls where it says so. Within 5 s, the time the nodes take to notice a new role.
   */
  private static void awaitLeaderHealth(List<ServerProcess> nodes, int leader, CallLedger ledger)
      throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    List<ServingStatus> seen = List.of();
    while (System.nanoTime() < deadline) {
      List<ServingStatus> now = new ArrayList<>();
      for (ServerProcess node : nodes) {
        ManagedChannel ch = single(node);
        try {
          now.add(HealthGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(HealthCheckRequest.newBuilder().setService("admission.leader").build()).getStatus());
        } catch (StatusRuntimeException e) {
          now.add(ServingStatus.UNKNOWN);
        } finally {
          ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
      seen = now;
      boolean right = true;
      for (int i = 0; i < now.size(); i++) {
        right &= now.get(i) == (i == leader ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
      }
      if (right) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(ledger.where() + " node " + leader + " leads, yet the leader's health says " + seen);
  }

  /** The index of the node that leads now (waits up to 20 s for one). */
  private static int leaderIndex(List<ServerProcess> nodes, List<String> ids, CallLedger ledger)
      throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < deadline) {
      for (ServerProcess node : nodes) {
        ManagedChannel ch = single(node);
        try {
          GetClusterStatusResponse s = AdmissionMonitorServiceGrpc.newBlockingStub(ch)
              .withDeadlineAfter(2, TimeUnit.SECONDS).getClusterStatus(GetClusterStatusRequest.getDefaultInstance());
          if (!s.getLeaderId().isEmpty()) {
            return ids.isEmpty() ? 0 : ids.indexOf(s.getLeaderId());
          }
        } catch (StatusRuntimeException e) {
          // not up yet
        } finally {
          ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError(ledger.where() + " no leader within 20 s");
  }

  private static AcquireRequest failover(String callId) {
    return AcquireRequest.newBuilder().setOrgId("failover").setCallId(callId)
        .setCallType(io.admission.v1.CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(30)).build();
  }

  private static ManagedChannel clusterChannel(List<ServerProcess> nodes) {
    StringBuilder targets = new StringBuilder();
    for (ServerProcess n : nodes) {
      targets.append(targets.length() == 0 ? "" : ",").append(n.target());
    }
    return Servers.channel(targets.toString(), InsecureChannelCredentials.create()).build();
  }

  private static ManagedChannel single(ServerProcess node) {
    return Grpc.newChannelBuilder(node.target(), InsecureChannelCredentials.create()).build();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
