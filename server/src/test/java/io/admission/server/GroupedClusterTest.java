package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.protobuf.FieldMask;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.Snapshots;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.server.loop.Reply;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.ClusterGroup;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.GetClusterStatusRequest;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.ListOrgsResponse;
import io.admission.v1.LoginLimits;
import io.admission.v1.Org;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.UpdateOrgRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Three nodes in this JVM (Main, real Ratis on loopback) with {@code --groups 3}: orgs land in
 * the group their id hashes to, and only there; every kind of request works for an org of each
 * group, sent to a node that need not lead that group; ListOrgs pages across the groups; a node
 * restarted after writes in every group catches up in each; and a node keeps its number of groups.
 */
class GroupedClusterTest {
  private static final int GROUPS = 3;
  /** One org per group (CRC-32 placement, see LoopsTest): initech 0, globex 1, acme 2. */
  private static final List<String> ORGS = List.of("initech", "globex", "acme");

  @TempDir
  Path dir;

  private final List<Running> nodes = new ArrayList<>(List.of(new Running(), new Running(), new Running()));
  private final java.util.Map<Integer, ManagedChannel> channels = new java.util.HashMap<>();
  private String peers;

  @AfterEach
  void stop() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    nodes.forEach(Running::close);
  }

  @Test
  void orgsSpreadOverGroupsAndEveryRequestWorksForEachGroup() throws Exception {
    for (int g = 0; g < GROUPS; g++) {
      assertEquals(g, Loops.group(ORGS.get(g), GROUPS));
    }
    peers = "n1=127.0.0.1:" + freePort() + ",n2=127.0.0.1:" + freePort() + ",n3=127.0.0.1:" + freePort();
    Path config = Files.writeString(dir.resolve("config.json"), """
        {"orgs": [
          {"org": {"orgId": "acme", "concurrencyLimit": 1}},
          {"org": {"orgId": "globex", "concurrencyLimit": 1}},
          {"org": {"orgId": "initech", "concurrencyLimit": 1}}
        ]}""");
    for (int i = 0; i < 3; i++) {
      nodes.set(i, start(i, "--config", config.toString()));
    }
    awaitServing(nodes);
    GetClusterStatusResponse status = monitor(nodes.get(1)).getClusterStatus(GetClusterStatusRequest.getDefaultInstance());
    assertEquals(GROUPS, status.getGroupsCount(), status.toString());
    for (int g = 0; g < GROUPS; g++) {
      ClusterGroup group = status.getGroups(g);
      assertEquals(g, group.getGroup());
      assertFalse(group.getLeaderId().isEmpty(), "group " + g + " has a leader: " + status);
    }
    assertEquals(status.getGroups(0).getLeaderId(), status.getLeaderId(), "leader_id is group 0's");

    // The seeded orgs, each in its group's engine only, on every node.
    awaitOrgs(nodes.get(2), 3);
    for (Running node : nodes) {
      for (int g = 0; g < GROUPS; g++) {
        assertEquals(List.of(ORGS.get(g)), orgIds(node.loops.get(g)), "group " + g + " holds its org only");
      }
    }

    for (int g = 0; g < GROUPS; g++) {
      everyRequest(ORGS.get(g), nodes.get(g % 3), nodes.get((g + 1) % 3));
    }

    // ListOrgs over more orgs than a page, across groups, from another node.
    List<String> want = new ArrayList<>(ORGS);
    for (int i = 0; i < 10; i++) {
      admin(nodes.get(0)).putOrg(PutOrgRequest.newBuilder().setOrg(org("org-" + i, 2)).build());
      want.add("org-" + i);
    }
    want.sort(null);
    List<String> seen = new ArrayList<>();
    String token = "";
    do {
      ListOrgsResponse page = admin(nodes.get(2)).listOrgs(
          ListOrgsRequest.newBuilder().setPageSize(4).setPageToken(token).build());
      assertTrue(page.getOrgsCount() <= 4);
      page.getOrgsList().forEach(o -> seen.add(o.getOrgId()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertEquals(want, seen, "every org once, in org_id order, across the groups");

    // A node keeps the number of groups it was started with.
    kill(2);
    String refused = cannotStart(2, "--groups", "2");
    assertTrue(refused.startsWith("admission-server: --groups 2: --data-dir "), refused);
    assertTrue(refused.contains("was started with --groups 3"), refused);

    // Writes in every group while n3 is down, then n3 catches up in each. If n3 led a group, that
    // group elects again first: its writes are refused UNAVAILABLE meanwhile and, as a client of
    // the cluster does, sent again (both are safe to repeat).
    for (int i = 0; i < 10; i++) {
      int n = i;
      resentWhileUnavailable(() -> admission(nodes.get(0)).acquire(acquire("org-" + n, "late-" + n)));
      resentWhileUnavailable(() -> admin(nodes.get(1)).putOrg(
          PutOrgRequest.newBuilder().setOrg(org("late-org-" + n, 1)).build()));
    }
    nodes.set(2, start(2));
    awaitServing(nodes);
    for (int g = 0; g < GROUPS; g++) {
      awaitSameState(nodes.get(0).loops.get(g), nodes.get(2).loops.get(g), "group " + g);
    }
    assertEquals(1, monitor(nodes.get(2)).getOrgStatus(
        GetOrgStatusRequest.newBuilder().setOrgId("org-7").build()).getStatus().getInUse());

    // Without a majority the last node refuses every group's orgs and says NOT_SERVING.
    kill(1);
    kill(2);
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel(nodes.get(0)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (health.check(HealthCheckRequest.getDefaultInstance()).getStatus()
        == HealthCheckResponse.ServingStatus.SERVING) {
      assertTrue(System.nanoTime() < deadline, "still SERVING without a majority");
      Thread.sleep(100);
    }
    for (String orgId : ORGS) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> admission(nodes.get(0)).acquire(acquire(orgId, "lonely")));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), orgId);
    }
  }

  /** Every RPC kind for {@code orgId}, sent to {@code a} and {@code b} in turn. */
  private void everyRequest(String orgId, Running a, Running b) throws Exception {
    AdmissionServiceGrpc.AdmissionServiceBlockingStub calls = admission(a);
    AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub admin = admin(b);
    AcquireResponse first = calls.acquire(acquire(orgId, "c1"));
    assertEquals(Outcome.OUTCOME_GRANTED, first.getOutcome(), orgId);
    AcquireResponse second = admission(b).acquire(acquire(orgId, "c2"));
    assertEquals(Outcome.OUTCOME_HELD, second.getOutcome(), orgId + ": the limit of 1 is in use");

    BlockingQueue<WaitForSlotResponse> waits = new LinkedBlockingQueue<>();
    AdmissionServiceGrpc.newStub(channel(b)).waitForSlot(
        WaitForSlotRequest.newBuilder().setOrgId(orgId).setCallId("c2").build(), collect(waits));
    assertTrue(next(waits).hasHeld(), orgId);
    BlockingQueue<WatchOrgResponse> watches = new LinkedBlockingQueue<>();
    AdmissionMonitorServiceGrpc.newStub(channel(a)).watchOrg(
        WatchOrgRequest.newBuilder().setOrgId(orgId).build(), collect(watches));
    assertEquals(1, next(watches).getStatus().getQueued(), orgId);

    assertEquals(1, calls.renew(RenewRequest.newBuilder().setOrgId(orgId).addCallIds("c1").build())
        .getLeasesCount(), orgId);
    calls.release(ReleaseRequest.newBuilder().setOrgId(orgId).setCallId("c1").build());
    assertTrue(next(waits).hasDispatched(), orgId + ": the held call gets the freed slot");
    assertEquals(1, monitor(b).getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(orgId).build())
        .getStatus().getInUse(), orgId);

    // A Session stream, on the other node.
    BlockingQueue<SessionResponse> answers = new LinkedBlockingQueue<>();
    StreamObserver<SessionRequest> session = AdmissionServiceGrpc.newStub(channel(b)).session(collect(answers));
    session.onNext(SessionRequest.newBuilder().setId(1).setRelease(
        ReleaseRequest.newBuilder().setOrgId(orgId).setCallId("c2")).build());
    assertEquals(1, next(answers).getId(), orgId);
    session.onNext(SessionRequest.newBuilder().setId(2).setAcquire(acquire(orgId, "c3")).build());
    SessionResponse acquired = next(answers);
    assertEquals(Outcome.OUTCOME_GRANTED, acquired.getAcquire().getOutcome(), acquired.toString());
    session.onCompleted();

    admin.setReservation(SetReservationRequest.newBuilder().setOrgId(orgId).setAgentId("support")
        .setCallType(CallType.CALL_TYPE_INBOUND).setSlots(1).build());
    admin.setLoginLimits(SetLoginLimitsRequest.newBuilder().setOrgId(orgId).setLoginId("ann")
        .setLimits(LoginLimits.newBuilder().setMaxConcurrent(3)).build());
    admin.updateOrg(UpdateOrgRequest.newBuilder().setOrg(org(orgId, 5))
        .setUpdateMask(FieldMask.newBuilder().addPaths("concurrency_limit")).build());
    var got = admin(a).getOrg(GetOrgRequest.newBuilder().setOrgId(orgId).build());
    assertEquals(5, got.getOrg().getConcurrencyLimit(), orgId);
    assertEquals(1, got.getReservationsCount(), orgId);
    assertEquals(1, got.getLoginLimitsCount(), orgId);

    String scratch = orgId + "-scratch";
    admin.putOrg(PutOrgRequest.newBuilder().setOrg(org(scratch, 1)).build());
    assertTrue(admin.deleteOrg(DeleteOrgRequest.newBuilder().setOrgId(scratch).build()).getDeleted());
  }

  // ---- Helpers ----------------------------------------------------------------------------

  private Running start(int i, String... more) throws Exception {
    Main main = new Main();
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(main).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(out, true));
    List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--node-id", "n" + (i + 1),
        "--peers", peers, "--groups", String.valueOf(GROUPS), "--data-dir", dir.resolve("n" + (i + 1)).toString(),
        "--snapshot-every-entries", "20"));
    args.addAll(List.of(more));
    cli.parseArgs(args.toArray(new String[0]));
    return main.start();
  }

  private String cannotStart(int i, String... more) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Main()).setOut(new PrintWriter(new StringWriter(), true))
        .setErr(new PrintWriter(err, true));
    List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--node-id", "n" + (i + 1),
        "--peers", peers, "--data-dir", dir.resolve("n" + (i + 1)).toString()));
    args.addAll(List.of(more));
    assertEquals(Main.CANNOT_START, cli.execute(args.toArray(new String[0])), err.toString());
    assertEquals(1, err.toString().lines().count(), err.toString());
    return err.toString().strip();
  }

  private static void resentWhileUnavailable(Runnable write) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try {
        write.run();
        return;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static void awaitServing(List<Running> nodes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!nodes.stream().allMatch(n -> n.replicas.serving())) {
      assertTrue(System.nanoTime() < deadline, "every group of every node serving within 30 s");
      Thread.sleep(50);
    }
  }

  private void awaitOrgs(Running node, int orgs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (admin(node).listOrgs(ListOrgsRequest.getDefaultInstance()).getOrgsCount() < orgs) {
      assertTrue(System.nanoTime() < deadline, "the config seeded within 30 s");
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
    assertEquals(w, g, what + ": the restarted node caught up");
  }

  private static EngineSnapshot state(EventLoop loop) throws Exception {
    CompletableFuture<EngineSnapshot> s = new CompletableFuture<>();
    loop.readNow((engine, now) -> Snapshots.capture(engine), Reply.into(s));
    return s.get(10, TimeUnit.SECONDS);
  }

  private static List<String> orgIds(EventLoop loop) throws Exception {
    CompletableFuture<List<String>> ids = new CompletableFuture<>();
    loop.readNow((engine, now) -> ((io.admission.server.engine.Results.OrgPage) engine.listOrgs("", 100))
        .orgs().stream().map(o -> o.orgId()).toList(), Reply.into(ids));
    return ids.get(10, TimeUnit.SECONDS);
  }

  private static Org org(String orgId, int limit) {
    return Org.newBuilder().setOrgId(orgId).setConcurrencyLimit(limit).build();
  }

  private static AcquireRequest acquire(String orgId, String callId) {
    return AcquireRequest.newBuilder().setOrgId(orgId).setCallId(callId)
        .setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(Duration.newBuilder().setSeconds(600)).build();
  }

  private static <T> StreamObserver<T> collect(BlockingQueue<T> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  private static <T> T next(BlockingQueue<T> from) throws InterruptedException {
    T t = from.poll(10, TimeUnit.SECONDS);
    assertNotEquals(null, t, "a message within 10 s");
    return t;
  }

  /** One channel per node start (by its port), shared by the stubs made for it. */
  private ManagedChannel channel(Running node) {
    return channels.computeIfAbsent(node.port(), port -> Grpc.newChannelBuilder(
        "127.0.0.1:" + port, InsecureChannelCredentials.create()).build());
  }

  private void kill(int i) {
    nodes.get(i).close();
    nodes.set(i, new Running()); // closed once only
  }

  private AdmissionServiceGrpc.AdmissionServiceBlockingStub admission(Running node) {
    return AdmissionServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub admin(Running node) {
    return AdmissionAdminServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private AdmissionMonitorServiceGrpc.AdmissionMonitorServiceBlockingStub monitor(Running node) {
    return AdmissionMonitorServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
