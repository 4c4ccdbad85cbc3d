package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.admission.server.cluster.RaftGroups;
import io.admission.server.cluster.RaftReplica;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.Snapshots;
import io.admission.server.grpc.AdmissionServices;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.server.loop.Reply;
import io.admission.v1.AcquireRequest;
import io.admission.v1.CallType;
import io.admission.v1.GetClusterStatusRequest;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.Org;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Three nodes in this JVM (Main, real Ratis on loopback) with {@code --groups 2}: each group's
 * cluster series are exported on their own; then group 1 loses its quorum while group 0 keeps
 * its own. Ratis' test hooks drop every request of group 1 between the nodes — its appends and
 * snapshots where they arrive, its votes where they leave (only those carry the group where the
 * hook sees them) — and nothing of group 0's. Group 1's orgs are refused UNAVAILABLE within
 * seconds, saying it is their group that has no quorum, while group 0's are granted; health says
 * NOT_SERVING (a node serves only while every group has a quorum there) and GetClusterStatus
 * shows group 1 without a leader. Healed, group 1 elects and serves again and every replica of
 * each group holds the same state. Throughout, a node says SERVING on the leader's health name
 * only while it leads both groups.
 */
class GroupWithoutQuorumTest {
  private static final int GROUPS = 2;
  /** CRC-32 placement among 2 groups: acme in group 0, wayne in group 1. */
  private static final String SERVED = "acme";
  private static final String CUT = "wayne";
  private static final List<String> IDS = List.of("q1", "q2", "q3");
  /**
   * Ratis' injection points that see group 1's requests: where appends and snapshots arrive, and
   * where votes leave (where they arrive the hook is not told the group).
   */
  private static final String APPENDS = "RaftServerImpl.appendEntries";
  private static final String SNAPSHOTS = "RaftServerImpl.installSnapshot";
  private static final String SENT = "GrpcServicesImpl.sendRequest";
  private static final List<String> HOOKS = List.of(APPENDS, SNAPSHOTS, SENT);

  @TempDir
  Path dir;

  private final List<Running> nodes = new ArrayList<>();
  private final NodeStubs stubs = new NodeStubs(nodes);

  @AfterEach
  void stop() {
    HOOKS.forEach(CodeInjectionForTesting::remove);
    stubs.close();
    nodes.forEach(Running::close);
  }

  @Test
  void aGroupWithoutQuorumRefusesItsOrgsWhileTheOtherGroupServes() throws Exception {
    assertEquals(0, Loops.group(SERVED, GROUPS));
    assertEquals(1, Loops.group(CUT, GROUPS));
    String peers = "q1=127.0.0.1:" + NodeStubs.freePort() + ",q2=127.0.0.1:" + NodeStubs.freePort() + ",q3=127.0.0.1:" + NodeStubs.freePort();
    int metricsPort = NodeStubs.freePort();
    for (int i = 0; i < 3; i++) {
      List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--node-id", IDS.get(i),
          "--peers", peers, "--groups", String.valueOf(GROUPS),
          "--data-dir", dir.resolve(IDS.get(i)).toString()));
      if (i == 0) {
        args.addAll(List.of("--metrics", "127.0.0.1:" + metricsPort));
      }
      nodes.add(start(args));
    }
    long startedAt = System.nanoTime();
    await(() -> nodes.stream().allMatch(n -> n.replicas.serving()), 30, "every group of every node serving");
    assertLeaderHealth();
    for (String org : List.of(SERVED, CUT)) {
      stubs.admin(0).putOrg(PutOrgRequest.newBuilder()
          .setOrg(Org.newBuilder().setOrgId(org).setConcurrencyLimit(100)).build());
      assertEquals(Outcome.OUTCOME_GRANTED, stubs.admission(0).acquire(acquire(org, "first")).getOutcome());
    }

    // Each group's cluster series, and a commit in group 1 moves group 1's only.
    Map<String, Double> before = MetricsExportTest.samples(MetricsExportTest.scrape(metricsPort));
    for (String g : List.of("0", "1")) {
      assertEquals(1, series(before, "admission_cluster_leader{", g).size(), "group " + g + ": " + before);
      assertEquals(1, series(before, "admission_cluster_applied_index{", g).size(), "group " + g + ": " + before);
      assertTrue(commits(before, g) >= 1, "group " + g + "'s commits: " + before);
    }
    for (int i = 0; i < 3; i++) {
      stubs.admission(0).acquire(acquire(CUT, "metered-" + i));
    }
    Map<String, Double> after = MetricsExportTest.samples(MetricsExportTest.scrape(metricsPort));
    assertTrue(commits(after, "1") >= commits(before, "1") + 3, before + "\n" + after);
    assertEquals(commits(before, "0"), commits(after, "0"), "group 0 committed nothing of this node's");

    // Group 1 loses its quorum: none of its requests reach another node. Not before the new nodes'
    // first wait for a leader is over (RaftReplica.SEED_WAIT): until then they would not stand.
    Thread.sleep(Math.max(0, startedAt + RaftReplica.SEED_WAIT.toNanos() + TimeUnit.SECONDS.toNanos(1)
        - System.nanoTime()) / 1_000_000);
    ByteString cut = RaftGroups.groupId(1).toByteString();
    Set<String> ours = Set.copyOf(IDS);
    for (String point : HOOKS) {
      CodeInjectionForTesting.put(point, (local, remote, args) -> {
        if (ours.contains(String.valueOf(local)) && cut.equals(groupOf(point, args))) {
          throw new IllegalStateException("group 1 cut off by the test");
        }
        return false;
      });
    }
    long cutAt = System.nanoTime();
    // A write already on its way when the group lost its quorum: it cannot commit, and its caller
    // still hears so within seconds (the log's client gives up), not at the call's deadline.
    CompletableFuture<Long> inFlight = CompletableFuture.supplyAsync(() -> {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stubs.admission(0).acquire(acquire(CUT, "in-flight")));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      return System.nanoTime() - cutAt;
    });
    await(() -> nodes.stream().allMatch(n -> n.replicas.group(1).unavailable() != null), 15,
        "every node knowing group 1 has no quorum");
    long noticed = System.nanoTime() - cutAt;

    long slowest = 0;
    for (int i = 0; i < 3; i++) {
      int node = i;
      await(() -> health(node) == ServingStatus.NOT_SERVING, 5, IDS.get(i) + " NOT_SERVING");
      assertEquals(ServingStatus.NOT_SERVING, health(node, AdmissionServices.LEADER), IDS.get(i) + " leads nothing whole");
      GetClusterStatusResponse status = stubs.monitor(i).getClusterStatus(GetClusterStatusRequest.getDefaultInstance());
      assertEquals("", status.getGroups(1).getLeaderId(), IDS.get(i) + ": group 1 has no leader: " + status);
      assertFalse(status.getGroups(0).getLeaderId().isEmpty(), IDS.get(i) + ": group 0 has one: " + status);

      long asked = System.nanoTime();
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> stubs.admission(node).acquire(acquire(CUT, "during-" + node)));
      long answered = System.nanoTime() - asked;
      slowest = Math.max(slowest, answered);
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
      assertTrue(refused.getStatus().getDescription().startsWith(
          "this org's group (group 1) cannot serve on this node now: this node knows no leader of the cluster"),
          refused.toString());
      assertTrue(answered < TimeUnit.SECONDS.toNanos(5), "refused after " + answered / 1_000_000 + " ms");
      assertEquals(Outcome.OUTCOME_GRANTED, stubs.admission(i).acquire(acquire(SERVED, "during-" + i)).getOutcome(),
          IDS.get(i) + ": group 0 still grants");
    }
    long inFlightRefused = inFlight.get(20, TimeUnit.SECONDS);
    System.out.printf("GroupWithoutQuorumTest: every node knew group 1 had no quorum after %d ms;"
        + " its orgs' writes were refused within %d ms; one in flight at the cut after %d ms%n",
        noticed / 1_000_000, slowest / 1_000_000, inFlightRefused / 1_000_000);
    assertTrue(inFlightRefused < TimeUnit.SECONDS.toNanos(15), inFlightRefused / 1_000_000 + " ms");

    // Healed: group 1 elects, serves, and every node holds the same state in each group.
    HOOKS.forEach(CodeInjectionForTesting::remove);
    long healedAt = System.nanoTime();
    await(() -> nodes.stream().allMatch(n -> n.replicas.serving()), 30, "group 1 serving again");
    System.out.printf("GroupWithoutQuorumTest: group 1 served again %d ms after it was healed%n",
        (System.nanoTime() - healedAt) / 1_000_000);
    for (int i = 0; i < 3; i++) {
      assertEquals(Outcome.OUTCOME_GRANTED, stubs.admission(i).acquire(acquire(CUT, "after-" + i)).getOutcome());
      assertEquals(ServingStatus.SERVING, health(i), IDS.get(i));
    }
    assertFalse(stubs.monitor(1).getClusterStatus(GetClusterStatusRequest.getDefaultInstance())
        .getGroups(1).getLeaderId().isEmpty());
    assertLeaderHealth();
    for (int g = 0; g < GROUPS; g++) {
      for (int i = 1; i < 3; i++) {
        awaitSameState(nodes.get(0).loops.get(g), nodes.get(i).loops.get(g), "group " + g + " on " + IDS.get(i));
      }
    }
  }

  private ServingStatus health(int i) {
    return health(i, "");
  }

  private ServingStatus health(int i, String service) {
    return HealthGrpc.newBlockingStub(stubs.channel(i)).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  /**
   * Each node SERVING on the leader's health name if it leads both groups, NOT_SERVING if not,
   * once the nodes agree on the leaders (they may move meanwhile: then it is checked again).
   */
  private void assertLeaderHealth() throws InterruptedException {
    await(() -> {
      GetClusterStatusResponse status = stubs.monitor(0).getClusterStatus(GetClusterStatusRequest.getDefaultInstance());
      for (int i = 0; i < 3; i++) {
        boolean leadsBoth = true;
        for (int g = 0; g < GROUPS; g++) {
          leadsBoth &= status.getGroups(g).getLeaderId().equals(IDS.get(i));
        }
        if (health(i, AdmissionServices.LEADER) != (leadsBoth ? ServingStatus.SERVING : ServingStatus.NOT_SERVING)) {
          return false;
        }
      }
      return true;
    }, 10, "the leader's health on each node as GetClusterStatus shows the leaders");
  }

  /**
   * The group a request seen at {@code point} names, or null for a request the test lets through:
   * on the sending side only votes are dropped, since an append that fails there stops the
   * leader's appender rather than looking like a lost message.
   */
  private static ByteString groupOf(String point, Object[] args) {
    for (Object a : args) {
      RaftProtos.RaftRpcRequestProto request =
          a instanceof RaftProtos.AppendEntriesRequestProto r && point.equals(APPENDS) ? r.getServerRequest()
          : a instanceof RaftProtos.InstallSnapshotRequestProto r && point.equals(SNAPSHOTS) ? r.getServerRequest()
          : a instanceof RaftProtos.RequestVoteRequestProto r && point.equals(SENT) ? r.getServerRequest()
          : null;
      if (request != null) {
        return request.getRaftGroupId().getId();
      }
    }
    return null;
  }

  /** The series of {@code prefix} (a name and its opening brace) for group {@code g}. */
  private static List<Double> series(Map<String, Double> samples, String prefix, String g) {
    return samples.entrySet().stream()
        .filter(e -> e.getKey().startsWith(prefix) && e.getKey().contains("admission_group=\"" + g + "\""))
        .map(Map.Entry::getValue).toList();
  }

  private static double commits(Map<String, Double> samples, String g) {
    List<Double> count = series(samples, "admission_cluster_commit_duration_seconds_count{", g);
    assertEquals(1, count.size(), "group " + g + "'s commit count: " + samples);
    return count.get(0);
  }

  // ---- Helpers ----------------------------------------------------------------------------

  private static Running start(List<String> args) throws Exception {
    Main main = new Main();
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(main).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(out, true));
    cli.parseArgs(args.toArray(new String[0]));
    return main.start();
  }

  private static void await(BooleanSupplier done, int seconds, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, what + " within " + seconds + " s");
      Thread.sleep(50);
    }
  }

  private static void awaitSameState(EventLoop want, EventLoop got, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    EngineSnapshot w = state(want);
    EngineSnapshot g = state(got);
    while (!w.equals(g) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      w = state(want);
      g = state(got);
    }
    assertEquals(w, g, what + ": the replicas agree");
  }

  private static EngineSnapshot state(EventLoop loop) throws Exception {
    CompletableFuture<EngineSnapshot> s = new CompletableFuture<>();
    loop.readNow((engine, now) -> Snapshots.capture(engine), Reply.into(s));
    return s.get(10, TimeUnit.SECONDS);
  }

  private static AcquireRequest acquire(String orgId, String callId) {
    return AcquireRequest.newBuilder().setOrgId(orgId).setCallId(callId)
        .setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(Duration.newBuilder().setSeconds(600)).build();
  }
}
