package io.admission.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.DailyCap;
import io.admission.v1.DailyStatus;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.ListOrgsResponse;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.PutOrgResponse;
import io.admission.v1.LoginLevel;
import io.admission.v1.LoginLimits;
import io.admission.v1.LoginStatus;
import io.admission.v1.NumberLimits;
import io.admission.v1.NumberStatus;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.Reservation;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetLoginLimitsResponse;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetNumberLimitsResponse;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** limits, watch, --output table, --version and completion, against fake services. */
class OperatorCommandsTest {
  private static final OrgStatus CALM = OrgStatus.newBuilder()
      .setOrgId("acme").setLimit(20).setInUse(3).setSharedCapacity(12).setSharedInUse(1)
      .addLogins(LoginStatus.newBuilder().setLoginId("alice").setActive(1).setMaxConcurrent(2)
          .setLevel(LoginLevel.LOGIN_LEVEL_OK)
          .setLine("Active now: 1/2 concurrent · Last hour: 1/250"))
      .build();
  private static final OrgStatus BUSY = CALM.toBuilder()
      .setInUse(20).setQueued(4)
      .setDaily(DailyStatus.newBuilder().setUsed(90).setCap(100))
      .setLogins(0, CALM.getLogins(0).toBuilder().setActive(2)
          .setLevel(LoginLevel.LOGIN_LEVEL_AT_LIMIT)
          .setLine("Active now: 2/2 concurrent · Last hour: 2/250"))
      .addNumbers(NumberStatus.newBuilder().setNumber("+15550100").setActive(1).setMaxConcurrent(4)
          .setLastHour(9).setMaxPerHour(10))
      .build();

  private static final class FakeAdmin extends AdmissionAdminServiceGrpc.AdmissionAdminServiceImplBase {
    final List<Object> requests = new CopyOnWriteArrayList<>();

    @Override
    public void setLoginLimits(SetLoginLimitsRequest request,
        StreamObserver<SetLoginLimitsResponse> observer) {
      requests.add(request);
      observer.onNext(SetLoginLimitsResponse.newBuilder().setLimits(request.getLimits()).build());
      observer.onCompleted();
    }

    @Override
    public void setNumberLimits(SetNumberLimitsRequest request,
        StreamObserver<SetNumberLimitsResponse> observer) {
      requests.add(request);
      observer.onNext(SetNumberLimitsResponse.newBuilder().setLimits(request.getLimits()).build());
      observer.onCompleted();
    }

    @Override
    public void putOrg(PutOrgRequest request, StreamObserver<PutOrgResponse> observer) {
      requests.add(request);
      observer.onNext(PutOrgResponse.newBuilder().setOrg(request.getOrg()).setCreated(true).build());
      observer.onCompleted();
    }

    @Override
    public void listOrgs(ListOrgsRequest request, StreamObserver<ListOrgsResponse> observer) {
      requests.add(request);
      observer.onNext(ListOrgsResponse.newBuilder()
          .addOrgs(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(20))
          .addOrgs(Org.newBuilder().setOrgId("beta").setConcurrencyLimit(3))
          .build());
      observer.onCompleted();
    }

    @Override
    public void getOrg(GetOrgRequest request, StreamObserver<GetOrgResponse> observer) {
      observer.onNext(GetOrgResponse.newBuilder()
          .setOrg(Org.newBuilder().setOrgId(request.getOrgId()).setConcurrencyLimit(20)
              .setTimeZone("Europe/Paris").setDefaultLeaseTtl(Duration.newBuilder().setSeconds(3600))
              .setDailyCap(DailyCap.newBuilder().setCap(500)))
          .addReservations(Reservation.newBuilder().setAgentId("support")
              .setCallType(CallType.CALL_TYPE_INBOUND).setSlots(8))
          .addReservations(Reservation.newBuilder().setAgentId("payments")
              .setCallType(CallType.CALL_TYPE_OUTBOUND).setSlots(4))
          .build());
      observer.onCompleted();
    }
  }

  private static final class FakeMonitor
      extends AdmissionMonitorServiceGrpc.AdmissionMonitorServiceImplBase {
    @Override
    public void watchOrg(WatchOrgRequest request, StreamObserver<WatchOrgResponse> observer) {
      for (OrgStatus status : List.of(CALM, BUSY)) {
        observer.onNext(WatchOrgResponse.newBuilder()
            .setStatus(status.toBuilder().setOrgId(request.getOrgId())).build());
      }
      observer.onCompleted();
    }
  }

  private final FakeAdmin admin = new FakeAdmin();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(admin).addService(new FakeMonitor()).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private int run(String... args) {
    return new AdmissionCli(channel).commandLine()
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }

  @Test
  void loginLimitsSendExactlyTheLimitsNamed() {
    assertEquals(0, run("limits", "login", "--org", "acme", "--login", "alice",
        "--max-concurrent", "3", "--window", "30m"), err.toString());
    assertEquals(SetLoginLimitsRequest.newBuilder().setOrgId("acme").setLoginId("alice")
        .setLimits(LoginLimits.newBuilder().setMaxConcurrent(3)
            .setWindow(Duration.newBuilder().setSeconds(1800)))
        .build(), admin.requests.get(0));
    assertEquals("{\"limits\":{\"maxConcurrent\":3,\"window\":\"1800s\"}}", out.toString().strip());
  }

  @Test
  void numberLimitsSendAnExplicitZeroAndInheritSendsTheEmptyOverride() {
    assertEquals(0, run("limits", "number", "--org", "acme", "--number", "+15550100",
        "--max-per-day", "0", "--max-per-hour", "20"), err.toString());
    NumberLimits sent = ((SetNumberLimitsRequest) admin.requests.get(0)).getLimits();
    assertTrue(sent.hasMaxPerDay(), "an explicit 0 switches the cap off, so it is sent");
    assertEquals(20, sent.getMaxPerHour());
    assertFalse(sent.hasMaxConcurrent(), "not named: inherits");

    assertEquals(0, run("limits", "number", "--org", "acme", "--number", "+15550100", "--inherit"));
    assertEquals(NumberLimits.getDefaultInstance(),
        ((SetNumberLimitsRequest) admin.requests.get(1)).getLimits());
  }

  @Test
  void limitsWithoutAnyLimitOrWithInheritAndALimitAreUsageErrorsAndSendNothing() {
    assertEquals(2, run("limits", "login", "--org", "acme", "--login", "alice"));
    assertTrue(err.toString().contains("name at least one limit"), err.toString());
    assertEquals(2, run("limits", "login", "--org", "acme", "--login", "alice", "--inherit",
        "--max-concurrent", "1"));
    assertTrue(err.toString().contains("cannot be combined"), err.toString());
    assertEquals(List.of(), admin.requests);
  }

  @Test
  void watchPipedPrintsOneJsonLinePerUpdate() {
    assertEquals(0, run("watch", "--org", "acme"), err.toString());
    List<String> lines = out.toString().lines().toList();
    assertEquals(2, lines.size(), out.toString());
    assertTrue(lines.get(0).startsWith("{\"orgId\":\"acme\",\"limit\":20,\"inUse\":3"), lines.get(0));
    assertTrue(lines.get(1).contains("\"inUse\":20"), lines.get(1));
    assertFalse(out.toString().contains("\u001b"), "no terminal codes when piped");
  }

  @Test
  void watchOnATerminalRedrawsInPlaceYellowNearALimitAndRedAtIt() {
    assertEquals(0, run("watch", "--org", "acme", "--redraw", "always"), err.toString());
    String[] frames = out.toString().split(java.util.regex.Pattern.quote(WatchCommand.REDRAW), -1);
    assertEquals(3, frames.length, "two frames, each drawn over the last: " + out);
    assertTrue(frames[1].contains("login alice  Active now: 1/2 concurrent · Last hour: 1/250\n"),
        "below 80 %: plain\n" + frames[1]);
    assertFalse(frames[1].contains(WatchCommand.RED) || frames[1].contains(WatchCommand.YELLOW));
    assertTrue(frames[2].contains(WatchCommand.RED + "Pool: 20/20 in use"), frames[2]);
    assertTrue(frames[2].contains(WatchCommand.RED + "login alice  Active now: 2/2"), frames[2]);
    assertTrue(frames[2].contains(WatchCommand.YELLOW + "Daily cap: 90/100 today"), frames[2]);
    assertTrue(frames[2].contains(WatchCommand.YELLOW + "number +15550100  Active now: 1/4 "
        + "concurrent · Last hour: 9/10 · Today: 0/∞"), frames[2]);
  }

  @Test
  void watchStopsAfterTheUpdatesAskedFor() {
    assertEquals(0, run("watch", "--org", "acme", "--updates", "1"), err.toString());
    assertEquals(1, out.toString().lines().count());
  }

  @Test
  void tableOutputFlattensFieldsAndListsEachReservationAsARow() {
    assertEquals(0, run("--output", "table", "get-org", "--org", "acme"), err.toString());
    String table = out.toString();
    assertTrue(table.startsWith("org.org_id             acme\n"), table);
    assertTrue(table.contains("org.default_lease_ttl  3600s\n"), table);
    assertTrue(table.contains("org.daily_cap.cap      500\n"), table);
    assertTrue(table.contains("reservations (2)\n"
        + "agent_id  call_type           slots\n"
        + "support   CALL_TYPE_INBOUND   8\n"
        + "payments  CALL_TYPE_OUTBOUND  4\n"), table);
  }

  @Test
  void orgPutAndPutOrgSendTheSameWholeOrg() {
    String[] settings = {"--org", "acme", "--limit", "20", "--daily-cap", "500",
        "--calling-hours", "mon-fri 09:00-20:00"};
    assertEquals(0, run(concat(new String[] {"org", "put"}, settings)), err.toString());
    assertEquals(0, run(concat(new String[] {"put-org"}, settings)), err.toString());
    PutOrgRequest first = (PutOrgRequest) admin.requests.get(0);
    assertEquals(first, admin.requests.get(1));
    assertEquals(20, first.getOrg().getConcurrencyLimit());
    assertEquals(500, first.getOrg().getDailyCap().getCap());
    assertTrue(first.getOrg().hasCallingHours(), first.toString());
  }

  @Test
  void orgListAsATableHasARowPerOrg() {
    assertEquals(0, run("org", "list", "--output", "table", "--page-size", "2"), err.toString());
    assertEquals(2, ((ListOrgsRequest) admin.requests.get(0)).getPageSize());
    assertEquals("orgs (2)\n"
        + "org_id  concurrency_limit\n"
        + "acme    20\n"
        + "beta    3", out.toString().strip());
  }

  private static String[] concat(String[] a, String[] b) {
    return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b))
        .toArray(String[]::new);
  }

  @Test
  void orgGetAndItsFirstNameGetOrgPrintTheSame() {
    assertEquals(0, run("org", "get", "--org", "acme"), err.toString());
    assertEquals(0, run("get-org", "--org", "acme"), err.toString());
    List<String> lines = out.toString().lines().toList();
    assertEquals(2, lines.size());
    assertEquals(lines.get(0), lines.get(1));
    assertTrue(lines.get(0).contains("\"orgId\":\"acme\""), lines.get(0));
  }

  @Test
  void versionAndShellCompletion() {
    assertEquals(0, run("--version"));
    assertTrue(out.toString().strip().matches("admission-cli \\d+\\.\\d+\\.\\d+.*"), out.toString());
    out.getBuffer().setLength(0);
    assertEquals(0, run("completion"));
    assertTrue(out.toString().contains("complete -F"), "a bash/zsh completion script");
    assertTrue(out.toString().contains("watch"), "it completes the subcommands");
  }
}
