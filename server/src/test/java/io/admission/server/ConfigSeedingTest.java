package io.admission.server;

import static io.admission.server.StartupTest.journal;
import static io.admission.server.StartupTest.org;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.Reservation;
import io.admission.v1.SetReservationRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Changing orgs safely at start: {@code --config} seeds an empty data directory; over existing
 * state it is not re-applied (that would undo what operators changed since) unless {@code
 * --config-apply} asks, and then it is one audited change. Main runs in this JVM; the tests talk
 * to it over gRPC on a free port.
 */
class ConfigSeedingTest {
  private static final String CONFIG = """
      {"orgs": [
        {"org": {"orgId": "acme", "concurrencyLimit": 20},
         "reservations": [{"agentId": "support", "callType": "CALL_TYPE_INBOUND", "slots": 3}],
         "loginLimits": [{"loginId": "alice", "limits": {"maxConcurrent": 4}}]},
        {"org": {"orgId": "tiny", "concurrencyLimit": 2}}
      ]}""";

  @TempDir Path tmp;
  private final StringWriter out = new StringWriter();

  @Test
  void anEmptyDataDirIsSeededAsOneAuditedChange() throws Exception {
    Path config = config(CONFIG);
    try (Running server = start("--data-dir", tmp.resolve("data").toString(), "--config", config.toString())) {
      assertTrue(out.toString().contains("admission: --config " + config + " applied: 2 orgs [acme, tiny]"),
          out.toString());
      GetOrgResponse acme = getOrg(server, "acme");
      assertEquals(20, acme.getOrg().getConcurrencyLimit());
      assertEquals(List.of(Reservation.newBuilder().setAgentId("support")
          .setCallType(io.admission.v1.CallType.CALL_TYPE_INBOUND).setSlots(3).build()), acme.getReservationsList());
      assertEquals(4, acme.getLoginLimits(0).getLimits().getMaxConcurrent());

      for (String org : List.of("acme", "tiny")) {
        List<AuditEvent> events = awaitEvents(server, org);
        assertEquals(1, events.size(), events.toString());
        AuditEvent applied = events.get(0);
        assertEquals(AuditEventKind.AUDIT_EVENT_KIND_CONFIG_APPLIED, applied.getKind());
        assertEquals(org, applied.getOrg().getOrgId());
        assertTrue(applied.getMessage().startsWith("config applied to orgs acme, tiny as one change; org "
            + org + " created"), applied.getMessage());
      }
    }
  }

  @Test
  void inMemoryIsAlwaysSeeded() throws Exception {
    try (Running server = start("--in-memory", "--config", config(CONFIG).toString())) {
      assertEquals(2, getOrg(server, "tiny").getOrg().getConcurrencyLimit());
    }
  }

  @Test
  void overExistingStateTheConfigIsIgnoredAndSaysSo() throws Exception {
    Path dataDir = tmp.resolve("data");
    journal(dataDir, org("acme", 10));
    try (Running server = start("--data-dir", dataDir.toString(), "--config", config(CONFIG).toString())) {
      assertTrue(out.toString().contains("admission: --config ignored: --data-dir " + dataDir
          + " already holds state; pass --config-apply to apply it over that state"), out.toString());
      assertEquals(10, getOrg(server, "acme").getOrg().getConcurrencyLimit(), "the admin change stands");
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> getOrg(server, "tiny"));
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }
  }

  @Test
  void configApplySetsWhatTheFileListsAndLeavesTheRestAsItIs() throws Exception {
    Path dataDir = tmp.resolve("data");
    journal(dataDir, org("acme", 10), new Commands.SetReservation("acme", "sales", CallType.OUTBOUND, 2),
        org("other", 4));
    try (Running server = start("--data-dir", dataDir.toString(), "--config", config(CONFIG).toString(),
        "--config-apply")) {
      GetOrgResponse acme = getOrg(server, "acme");
      assertEquals(20, acme.getOrg().getConcurrencyLimit());
      assertEquals(List.of("sales:2", "support:3"), acme.getReservationsList().stream()
          .map(r -> r.getAgentId() + ":" + r.getSlots()).sorted().toList());
      assertEquals(4, getOrg(server, "other").getOrg().getConcurrencyLimit());
      assertEquals(2, getOrg(server, "tiny").getOrg().getConcurrencyLimit());
      AuditEvent applied = awaitEvents(server, "acme").get(0);
      assertTrue(applied.getMessage().contains("org acme updated"), applied.getMessage());
    }
  }

  @Test
  void anAppliedConfigAndLaterAdminChangesSurviveARestart() throws Exception {
    Path dataDir = tmp.resolve("data");
    journal(dataDir, org("acme", 10));
    String config = config(CONFIG).toString();
    try (Running server = start("--data-dir", dataDir.toString(), "--config", config, "--config-apply")) {
      admin(server).setReservation(SetReservationRequest.newBuilder().setOrgId("acme").setAgentId("sales")
          .setCallType(io.admission.v1.CallType.CALL_TYPE_OUTBOUND).setSlots(5).build());
    }
    try (Running server = start("--data-dir", dataDir.toString(), "--config", config)) {
      assertTrue(out.toString().contains("--config ignored"), out.toString());
      GetOrgResponse acme = getOrg(server, "acme");
      assertEquals(20, acme.getOrg().getConcurrencyLimit(), "applied by --config-apply");
      assertEquals(List.of("sales:5", "support:3"), acme.getReservationsList().stream()
          .map(r -> r.getAgentId() + ":" + r.getSlots()).sorted().toList());
      assertEquals(2, getOrg(server, "tiny").getOrg().getConcurrencyLimit());
    }
  }

  @Test
  void callingHoursFromTheConfigFileSurviveARestart() throws Exception {
    Path dataDir = tmp.resolve("data");
    String config = config("""
        {"orgs": [{"org": {"orgId": "acme", "concurrencyLimit": 2, "timeZone": "Europe/Paris",
          "callingHours": {"windows": [
            {"weekday": "WEEKDAY_MONDAY", "start": "09:00", "end": "20:00"},
            {"weekday": "WEEKDAY_SATURDAY", "start": "10:00", "end": "24:00"}],
           "restrictedCallTypes": ["CALL_TYPE_OUTBOUND", "CALL_TYPE_CHAT"]}}}]}""").toString();
    io.admission.v1.CallingHours expected = io.admission.v1.CallingHours.newBuilder()
        .addWindows(io.admission.v1.CallingWindow.newBuilder()
            .setWeekday(io.admission.v1.Weekday.WEEKDAY_MONDAY).setStart("09:00").setEnd("20:00"))
        .addWindows(io.admission.v1.CallingWindow.newBuilder()
            .setWeekday(io.admission.v1.Weekday.WEEKDAY_SATURDAY).setStart("10:00").setEnd("24:00"))
        .addRestrictedCallTypes(io.admission.v1.CallType.CALL_TYPE_CHAT)
        .addRestrictedCallTypes(io.admission.v1.CallType.CALL_TYPE_OUTBOUND)
        .build();
    try (Running server = start("--data-dir", dataDir.toString(), "--config", config)) {
      assertEquals(expected, getOrg(server, "acme").getOrg().getCallingHours());
    }
    try (Running server = start("--data-dir", dataDir.toString())) {
      assertEquals(expected, getOrg(server, "acme").getOrg().getCallingHours(), "after a restart");
    }
  }

  @Test
  void aBadCallingWindowInTheConfigNamesItsField() throws Exception {
    String config = config("""
        {"orgs": [{"org": {"orgId": "acme", "concurrencyLimit": 2, "callingHours": {"windows": [
          {"weekday": "WEEKDAY_MONDAY", "start": "22:00", "end": "02:00"}]}}}]}""").toString();
    Exception e = assertThrows(Exception.class, () -> start("--in-memory", "--config", config).close());
    assertTrue(e.getMessage().contains("orgs[0].org.calling_hours.windows[0].end: must be after start"),
        e.getMessage());
  }

  // ---- Helpers ----------------------------------------------------------------------------

  private Running start(String... args) throws Exception {
    Main main = new Main();
    CommandLine cli = new CommandLine(main)
        .setOut(new PrintWriter(out, true)).setErr(new PrintWriter(out, true));
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--listen", "127.0.0.1:0"));
    cli.parseArgs(all.toArray(new String[0]));
    return main.start();
  }

  private Path config(String json) throws Exception {
    return Files.writeString(tmp.resolve("config.json"), json);
  }

  private final List<ManagedChannel> channels = new ArrayList<>();

  private ManagedChannel channel(Running server) {
    ManagedChannel channel = Grpc.newChannelBuilder(
        "127.0.0.1:" + server.port(), InsecureChannelCredentials.create()).build();
    channels.add(channel);
    return channel;
  }

  @AfterEach
  void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  private AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub admin(Running server) {
    return AdmissionAdminServiceGrpc.newBlockingStub(channel(server)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private GetOrgResponse getOrg(Running server, String orgId) {
    return admin(server).getOrg(GetOrgRequest.newBuilder().setOrgId(orgId).build());
  }

  /** The org's audit events once there are any (the audit writer runs behind the loop). */
  private List<AuditEvent> awaitEvents(Running server, String orgId) throws InterruptedException {
    var monitor = AdmissionMonitorServiceGrpc.newBlockingStub(channel(server));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      List<AuditEvent> events = monitor.withDeadlineAfter(10, TimeUnit.SECONDS)
          .listEvents(ListEventsRequest.newBuilder().setOrgId(orgId).build()).getEventsList();
      if (!events.isEmpty() || System.nanoTime() > deadline) {
        return events;
      }
      Thread.sleep(20);
    }
  }
}
