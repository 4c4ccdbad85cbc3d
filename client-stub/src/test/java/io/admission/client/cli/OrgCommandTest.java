package io.admission.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.DeleteOrgResponse;
import io.admission.v1.Org;
import io.admission.v1.UpdateOrgRequest;
import io.admission.v1.UpdateOrgResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
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

/** {@code org update} and {@code org delete} against a fake admin service that records requests. */
class OrgCommandTest {
  /** Answers UpdateOrg with the request's org and DeleteOrg with deleted = true, except for "busy". */
  private static final class FakeAdmin extends AdmissionAdminServiceGrpc.AdmissionAdminServiceImplBase {
    final List<UpdateOrgRequest> updates = new CopyOnWriteArrayList<>();
    final List<DeleteOrgRequest> deletes = new CopyOnWriteArrayList<>();

    @Override
    public void updateOrg(UpdateOrgRequest request, StreamObserver<UpdateOrgResponse> observer) {
      updates.add(request);
      observer.onNext(UpdateOrgResponse.newBuilder().setOrg(request.getOrg()).build());
      observer.onCompleted();
    }

    @Override
    public void deleteOrg(DeleteOrgRequest request, StreamObserver<DeleteOrgResponse> observer) {
      deletes.add(request);
      if (request.getOrgId().equals("busy")) {
        observer.onError(Status.FAILED_PRECONDITION
            .withDescription("org busy has 3 active and 2 held calls; release or cancel them first")
            .asRuntimeException());
        return;
      }
      observer.onNext(DeleteOrgResponse.newBuilder().setDeleted(true).build());
      observer.onCompleted();
    }
  }

  private final FakeAdmin fake = new FakeAdmin();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(fake).build().start();
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
  void updateSendsExactlyTheOptionsGivenAsTheMask() {
    assertEquals(0, run("org", "update", "--org", "acme", "--limit", "30"), err.toString());
    UpdateOrgRequest only = fake.updates.get(0);
    assertEquals(List.of("concurrency_limit"), only.getUpdateMask().getPathsList());
    assertEquals(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(30).build(), only.getOrg());

    assertEquals(0, run("org", "update", "--org", "acme", "--daily-cap", "500", "--time-zone",
        "Europe/Paris", "--lease-ttl", "5m", "--login-max-concurrent", "3", "--login-window", "15m",
        "--number-max-per-hour", "0", "--clear", "number_defaults.max_per_day"), err.toString());
    UpdateOrgRequest many = fake.updates.get(1);
    assertEquals(List.of("daily_cap", "time_zone", "default_lease_ttl",
        "login_defaults.max_concurrent", "login_defaults.window", "number_defaults.max_per_hour",
        "number_defaults.max_per_day"), many.getUpdateMask().getPathsList());
    assertEquals(500, many.getOrg().getDailyCap().getCap());
    assertEquals(300, many.getOrg().getDefaultLeaseTtl().getSeconds());
    assertEquals(3, many.getOrg().getLoginDefaults().getMaxConcurrent());
    assertEquals(900, many.getOrg().getLoginDefaults().getWindow().getSeconds());
    assertTrue(many.getOrg().getNumberDefaults().hasMaxPerHour(), "an explicit 0 is sent");
    assertTrue(!many.getOrg().getNumberDefaults().hasMaxPerDay(), "cleared: sent unset");
    assertEquals(2, out.toString().lines().count(), "one JSON line per update");
  }

  @Test
  void callingHoursAreReadAsDaysAndTimes() {
    assertEquals(0, run("org", "update", "--org", "acme", "--calling-hours",
        "mon-fri 09:00-20:00, sat-sun 10:00-14:00"), err.toString());
    UpdateOrgRequest u = fake.updates.get(0);
    assertEquals(List.of("calling_hours"), u.getUpdateMask().getPathsList());
    assertEquals(7, u.getOrg().getCallingHours().getWindowsCount());
    assertEquals(io.admission.v1.CallingWindow.newBuilder()
        .setWeekday(io.admission.v1.Weekday.WEEKDAY_FRIDAY).setStart("09:00").setEnd("20:00").build(),
        u.getOrg().getCallingHours().getWindows(4));
    assertEquals(io.admission.v1.Weekday.WEEKDAY_SUNDAY,
        u.getOrg().getCallingHours().getWindows(6).getWeekday());
    assertEquals(2, run("org", "update", "--org", "acme", "--calling-hours", "weekdays 9-5"));
    assertTrue(err.toString().contains("'weekdays' is not a day"), err.toString());
    assertEquals(2, run("org", "update", "--org", "acme", "--calling-hours", "mon"));
    assertTrue(err.toString().contains("is not DAYS HH:MM-HH:MM"), err.toString());
    assertEquals(1, fake.updates.size());
  }

  @Test
  void anUpdateWithoutAnySettingIsAUsageErrorAndSendsNothing() {
    assertEquals(2, run("org", "update", "--org", "acme"));
    assertTrue(err.toString().contains("name at least one setting"), err.toString());
    assertEquals(2, run("org", "update", "--org", "acme", "--limit", "3", "--clear", "concurrency_limit"));
    assertEquals(List.of(), fake.updates);
  }

  @Test
  void deletePrintsWhetherTheOrgExistedAndRefusalsGoToStderr() {
    assertEquals(0, run("org", "delete", "--org", "acme"), err.toString());
    assertEquals("{\"deleted\":true}", out.toString().strip());

    assertEquals(AdmissionCli.GRPC_ERROR, run("org", "delete", "--org", "busy"));
    assertEquals("FAILED_PRECONDITION: org busy has 3 active and 2 held calls; release or cancel"
        + " them first", err.toString().strip());
  }
}
