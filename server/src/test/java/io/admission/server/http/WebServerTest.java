package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.PreconditionFailure;
import io.admission.v1.AgentStatus;
import io.admission.v1.GetOrgStatusResponse;
import io.admission.v1.ListOrgsRequest;
import io.grpc.protobuf.StatusProto;
import io.admission.v1.CallType;
import io.admission.v1.Org;
import io.admission.v1.SetReservationRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The web page's HTTP API over a real socket, without a browser: JSON, errors, and the event stream. */
class WebServerTest {
  private static final String JSON = "application/json";
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private WebFixture server;

  @BeforeEach
  void start() throws IOException {
    server = new WebFixture();
    server.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).build());
    server.reserve("acme", "support", CallType.CALL_TYPE_INBOUND, 2);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void servesThePageWithAPolicyThatAllowsOnlyItsOwnScript() throws Exception {
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElseThrow());
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertTrue(csp.contains("script-src 'sha256-") && csp.contains("default-src 'none'"), csp);
    assertTrue(page.body().contains("Compliance Monitor"), "the page");
    assertTrue(page.body().contains("id=\"org-form\"") && page.body().contains("/update\"")
        && page.body().contains("/delete\""), "the org edit form and its delete button");
  }

  @Test
  void thePageShowsTheCallingHoursTheStatusGivesIt() throws Exception {
    assertTrue(get("/").body().contains("id=\"calling-hours\"")
        && get("/").body().contains("renderCallingHours"), "the page's calling-hours line");
    HttpResponse<String> none = get("/api/orgs/acme/status");
    assertFalse(none.body().contains("callingHours"), none.body());
    var hours = io.admission.v1.CallingHours.newBuilder();
    for (var day : java.time.DayOfWeek.values()) { // open all week but one minute a day
      hours.addWindows(io.admission.v1.CallingWindow.newBuilder().setWeekdayValue(day.getValue())
          .setStart("00:01").setEnd("24:00"));
    }
    server.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).setCallingHours(hours)
        .build());
    HttpResponse<String> status = get("/api/orgs/acme/status");
    // "open" is printed only when true: JsonFormat leaves out a field at its default.
    assertTrue(status.body().matches(".*\"callingHours\":\\{(\"open\":true,)?\"changesAt\":\"[^\"]+\","
        + "\"restrictedCallTypes\":\\[\"CALL_TYPE_OUTBOUND\"\\]\\}.*"), status.body());
  }

  @Test
  void listsTheOrgsForThePicker() throws Exception {
    server.putOrg(Org.newBuilder().setOrgId("beta").setConcurrencyLimit(2).build());
    HttpResponse<String> orgs = get("/api/orgs");
    assertEquals(200, orgs.statusCode());
    assertTrue(orgs.body().matches(".*\"orgId\":\"acme\".*\"orgId\":\"beta\".*"), orgs.body());
    assertEquals(print(server.admin.listOrgs(ListOrgsRequest.getDefaultInstance())), orgs.body(),
        "what ListOrgs answers over gRPC, printed by JsonFormat");
  }

  @Test
  void aReservationOverTheLimitIsRefusedInTheServersWordsAndChangesNothing() throws Exception {
    HttpResponse<String> refused = post("/api/orgs/acme/reservations",
        "{\"agent_id\": \"support\", \"call_type\": \"CALL_TYPE_INBOUND\", \"slots\": 9}");
    StatusRuntimeException grpc = assertThrows(StatusRuntimeException.class,
        () -> server.admin.setReservation(SetReservationRequest.newBuilder().setOrgId("acme")
            .setAgentId("support").setCallType(CallType.CALL_TYPE_INBOUND).setSlots(9).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, grpc.getStatus().getCode());
    assertEquals(409, refused.statusCode());
    assertEquals(print(StatusProto.fromThrowable(grpc)), refused.body(), "the gRPC status, details and all");
    AgentStatus support = server.status("acme").getAgents(0);
    assertEquals(2, support.getReservedTotal(), "nothing changed");
    assertEquals(3, server.status("acme").getSharedCapacity());
  }

  @Test
  void editsAndRemovesReservationsThroughTheLoop() throws Exception {
    String org = "team/blue +1"; // any printable id survives the URL
    server.putOrg(Org.newBuilder().setOrgId(org).setConcurrencyLimit(6).build());
    String base = "/api/orgs/" + encode(org);
    HttpResponse<String> set = post(base + "/reservations",
        "{\"agentId\": \"a&b\", \"callType\": \"CALL_TYPE_CHAT\", \"slots\": 4}"); // as the page sends it
    assertEquals(200, set.statusCode(), set.body());
    assertTrue(set.body().contains("\"reservedTotal\":4,\"sharedCapacity\":2"), set.body());
    assertEquals(2, server.status(org).getSharedCapacity());

    HttpResponse<String> otherAgent = post(base + "/agents/" + encode("a&b") + "/remove", "{\"agentId\": \"c\"}");
    assertEquals(400, otherAgent.statusCode(), "the body is a RemoveAgentRequest: its ids must match the URL's");
    assertTrue(otherAgent.body().contains("agent_id: must be empty or the one in the URL"), otherAgent.body());
    HttpResponse<String> removed = post(base + "/agents/" + encode("a&b") + "/remove",
        "{\"orgId\": \"" + org + "\"}");
    assertEquals(200, removed.statusCode(), removed.body());
    assertEquals("{\"freedSlots\":4,\"sharedCapacity\":6}", removed.body());
    assertEquals(6, server.status(org).getSharedCapacity());
  }

  @Test
  void badInputNamesTheFieldAsTheApiDoes() throws Exception {
    HttpResponse<String> noType = post("/api/orgs/acme/reservations", "{\"agent_id\": \"x\", \"slots\": 1}");
    assertEquals(400, noType.statusCode());
    com.google.rpc.Status invalid = parseStatus(noType.body());
    assertEquals(com.google.rpc.Code.INVALID_ARGUMENT_VALUE, invalid.getCode(), noType.body());
    assertTrue(invalid.getMessage().startsWith("call_type: is required"), noType.body());
    assertEquals("call_type", invalid.getDetails(0).unpack(BadRequest.class).getFieldViolations(0).getField(),
        "the field named in a google.rpc.BadRequest, as gRPC names it");
    HttpResponse<String> unknownField = post("/api/orgs/acme/reservations", "{\"agent\": \"x\"}");
    assertEquals(400, unknownField.statusCode());
    assertTrue(unknownField.body().contains("body: must be a SetReservationRequest"), unknownField.body());
    HttpResponse<String> otherOrg = post("/api/orgs/acme/reservations",
        "{\"org_id\": \"beta\", \"agent_id\": \"x\", \"call_type\": \"CALL_TYPE_CHAT\", \"slots\": 1}");
    assertEquals(400, otherOrg.statusCode());
    HttpResponse<String> unknownOrg = get("/api/orgs/nope/status");
    assertEquals(404, unknownOrg.statusCode());
    assertEquals("{\"code\":5,\"message\":\"org nope does not exist\"}", unknownOrg.body());
  }

  @Test
  void changesAreAcceptedOnlyAsJsonFromThisServersOwnPage() throws Exception {
    String body = "{\"agent_id\": \"x\", \"call_type\": \"CALL_TYPE_CHAT\", \"slots\": 1}";
    HttpResponse<String> form = send(HttpRequest.newBuilder(uri("/api/orgs/acme/reservations"))
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(415, form.statusCode());
    HttpResponse<String> foreign = send(HttpRequest.newBuilder(uri("/api/orgs/acme/reservations"))
        .header("Content-Type", JSON).header("Origin", "http://evil.example")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(403, foreign.statusCode());
    HttpResponse<String> own = send(HttpRequest.newBuilder(uri("/api/orgs/acme/reservations"))
        .header("Content-Type", JSON).header("Origin", server.url())
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(200, own.statusCode(), own.body());
    assertEquals(405, get("/api/orgs/acme/reservations").statusCode());
    assertEquals(404, get("/api/orgs/acme/nothing").statusCode());
  }

  @Test
  void aRequestForAnotherHostNameIsRefused() throws Exception {
    // A DNS-rebinding page reaches this port under its own name; java.net.http cannot fake Host.
    try (Socket socket = new Socket("127.0.0.1", server.web.address().getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET /api/orgs HTTP/1.1\r\nHost: evil.example:8080\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String statusLine = new BufferedReader(
          new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      assertEquals("HTTP/1.1 403 Forbidden", statusLine);
    }
    assertEquals(200, get("/api/orgs").statusCode(), "an IP literal is fine");
  }

  @Test
  void theEventStreamSendsTheStatusNowThenEachChange() throws Exception {
    try (Events events = Events.open(http, uri("/api/orgs/acme/events"))) {
      String first = events.next(l -> l.startsWith("data: "));
      // A WatchOrgResponse; in_use is 0, so JsonFormat leaves it out.
      assertTrue(first.startsWith("data: {\"status\":{\"orgId\":\"acme\",\"limit\":5,") && !first.contains("inUse"),
          first);
      server.acquire("acme", "call-1", "", CallType.CALL_TYPE_WEBCALL, "alice");
      String next = events.next(l -> l.contains("\"inUse\":1"));
      assertTrue(next.contains("\"line\":\"Active now: 1/2 concurrent · Last hour: 1/250\""), next);
    }
  }

  @Test
  void theEventStreamOfAnUnknownOrgEndsWithTheProblem() throws Exception {
    try (Events events = Events.open(http, uri("/api/orgs/nope/events"))) {
      assertEquals("event: problem", events.next(l -> l.startsWith("event:")));
      assertEquals("data: {\"code\":5,\"message\":\"org nope does not exist\"}", events.next(l -> true));
    }
  }

  @Test
  void theEditFormChangesOnlyTheFieldsItSendsThroughUpdateOrg() throws Exception {
    server.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).setTimeZone("Europe/Paris")
        .setDailyCap(io.admission.v1.DailyCap.newBuilder().setCap(300)).build());
    HttpResponse<String> settings = get("/api/orgs/acme/settings");
    assertEquals(200, settings.statusCode());
    assertTrue(settings.body().contains("\"timeZone\":\"Europe/Paris\""), settings.body());
    assertEquals(print(server.admin.getOrg(io.admission.v1.GetOrgRequest.newBuilder().setOrgId("acme").build())),
        settings.body(), "what GetOrg answers over gRPC, printed by JsonFormat");

    HttpResponse<String> updated = post("/api/orgs/acme/update",
        "{\"org\": {\"concurrencyLimit\": 8, \"loginDefaults\": {\"maxConcurrent\": 4}},"
            + " \"updateMask\": \"concurrencyLimit,loginDefaults.maxConcurrent\"}");

    assertEquals(200, updated.statusCode(), updated.body());
    Org stored = server.admin.getOrg(io.admission.v1.GetOrgRequest.newBuilder().setOrgId("acme").build())
        .getOrg();
    assertEquals(8, stored.getConcurrencyLimit());
    assertEquals(4, stored.getLoginDefaults().getMaxConcurrent());
    assertEquals("Europe/Paris", stored.getTimeZone(), "not sent: kept");
    assertEquals(300, stored.getDailyCap().getCap(), "not sent: kept");
    assertTrue(updated.body().contains("\"concurrencyLimit\":8"), updated.body());
  }

  @Test
  void theEditFormsErrorsAreTheApisAndChangeNothing() throws Exception {
    HttpResponse<String> noMask = post("/api/orgs/acme/update", "{\"org\": {\"concurrency_limit\": 8}}");
    assertEquals(400, noMask.statusCode());
    assertTrue(noMask.body().contains("\"message\":\"update_mask: is required"), noMask.body());

    HttpResponse<String> badZone = post("/api/orgs/acme/update",
        "{\"org\": {\"time_zone\": \"Mars/Olympus\"}, \"update_mask\": \"timeZone\"}");
    assertEquals(400, badZone.statusCode());
    assertTrue(badZone.body().contains("org.time_zone"), badZone.body());

    HttpResponse<String> belowReserved = post("/api/orgs/acme/update",
        "{\"org\": {\"concurrency_limit\": 1}, \"update_mask\": \"concurrencyLimit\"}");
    assertEquals(409, belowReserved.statusCode());
    assertTrue(belowReserved.body().contains("below the 2 slots reserved"), belowReserved.body());

    HttpResponse<String> otherOrg = post("/api/orgs/acme/update",
        "{\"org\": {\"org_id\": \"beta\", \"concurrency_limit\": 8}, \"update_mask\": \"concurrencyLimit\"}");
    assertEquals(400, otherOrg.statusCode());
    assertEquals(404, post("/api/orgs/nope/update",
        "{\"org\": {\"concurrency_limit\": 8}, \"update_mask\": \"concurrencyLimit\"}").statusCode());
    assertEquals(405, get("/api/orgs/acme/update").statusCode());
    HttpResponse<String> form = send(HttpRequest.newBuilder(uri("/api/orgs/acme/update"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("org.concurrency_limit=1")));
    assertEquals(415, form.statusCode(), "a foreign page's plain form post is refused");
    assertEquals(5, server.admin.getOrg(io.admission.v1.GetOrgRequest.newBuilder().setOrgId("acme")
        .build()).getOrg().getConcurrencyLimit());
  }

  @Test
  void deleteIsRefusedWhileCallsRunThenDeletesAndEndsTheOrgsEventStream() throws Exception {
    server.acquire("acme", "call-1", "", CallType.CALL_TYPE_WEBCALL, "alice");
    assertEquals(400, post("/api/orgs/acme/delete", "{\"force\": true}").statusCode(),
        "the body is a DeleteOrgRequest, parsed as gRPC would: no unknown fields");
    HttpResponse<String> refused = post("/api/orgs/acme/delete", "{}");
    assertEquals(409, refused.statusCode());
    assertTrue(refused.body().contains("org acme has 1 active and 0 held calls"), refused.body());

    server.release("acme", "call-1");
    try (Events events = Events.open(http, uri("/api/orgs/acme/events"))) {
      events.next(l -> l.startsWith("data: "));
      HttpResponse<String> deleted = post("/api/orgs/acme/delete", "{}");
      assertEquals(200, deleted.statusCode());
      assertEquals("{\"deleted\":true}", deleted.body());
      assertEquals("event: problem", events.next(l -> l.startsWith("event:")));
      assertEquals("data: {\"code\":5,\"message\":\"org acme does not exist\"}", events.next(l -> true));
    }
    assertEquals("{}", post("/api/orgs/acme/delete", "{}").body(), "deleted: false, left out as JsonFormat does");
    assertEquals(404, get("/api/orgs/acme/settings").statusCode());
  }

  @Test
  void meSaysWhomThePageSpeaksFor() throws Exception {
    // Without --auth every caller is admin; auth=false and the empty actor are left out.
    assertEquals("{\"role\":\"admin\"}", get("/api/me").body());
  }

  @Test
  void theStatusIsGetOrgStatusResponseAsJsonFormatPrintsIt() throws Exception {
    server.acquire("acme", "call-1", "support", CallType.CALL_TYPE_INBOUND, "alice");
    HttpResponse<String> web = get("/api/orgs/acme/status");
    assertEquals(200, web.statusCode());
    GetOrgStatusResponse.Builder parsed = GetOrgStatusResponse.newBuilder();
    JsonFormat.parser().merge(web.body(), parsed);
    GetOrgStatusResponse grpc = server.monitor.getOrgStatus(
        io.admission.v1.GetOrgStatusRequest.newBuilder().setOrgId("acme").build());
    parsed.getStatusBuilder().clearAsOf(); // the two reads differ only in when they were made
    assertEquals(print(grpc.toBuilder().setStatus(grpc.getStatus().toBuilder().clearAsOf()).build()),
        print(parsed.build()));
    assertTrue(web.body().contains("\"usingReserved\":1") && web.body().contains("\"callType\":\"CALL_TYPE_INBOUND\""),
        web.body());
    assertFalse(web.body().matches(".*\"[a-z]+_[a-z_]*\":.*"), "no snake_case name: " + web.body());
  }

  // ---- Helpers ----------------------------------------------------------------------------

  /** What {@code buf curl} shows for {@code message}, on one line. */
  private static String print(Message message) throws Exception {
    return JsonFormat.printer().omittingInsignificantWhitespace()
        .usingTypeRegistry(TypeRegistry.newBuilder().add(BadRequest.getDescriptor())
            .add(PreconditionFailure.getDescriptor()).build())
        .print(message);
  }

  private static com.google.rpc.Status parseStatus(String json) throws Exception {
    com.google.rpc.Status.Builder b = com.google.rpc.Status.newBuilder();
    JsonFormat.parser().usingTypeRegistry(TypeRegistry.newBuilder().add(BadRequest.getDescriptor())
        .build()).merge(json, b);
    return b.build();
  }

  private URI uri(String path) {
    return URI.create(server.url() + path);
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", JSON)
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** The lines of one event stream, read with a time limit so a missing event fails, not hangs. */
  private static final class Events implements AutoCloseable {
    private final Stream<String> lines;
    private final Iterator<String> iterator;
    private final List<String> seen = new ArrayList<>();

    private Events(Stream<String> lines) {
      this.lines = lines;
      this.iterator = lines.iterator();
    }

    static Events open(HttpClient http, URI uri) throws Exception {
      HttpResponse<Stream<String>> response = http.send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
          HttpResponse.BodyHandlers.ofLines());
      assertEquals(200, response.statusCode());
      assertEquals("text/event-stream; charset=utf-8",
          response.headers().firstValue("Content-Type").orElseThrow());
      return new Events(response.body());
    }

    /** The next line that matches, within 10 s. */
    String next(Predicate<String> wanted) throws Exception {
      return CompletableFuture.supplyAsync(() -> {
        while (iterator.hasNext()) {
          String line = iterator.next();
          seen.add(line);
          if (wanted.test(line)) {
            return line;
          }
        }
        throw new AssertionError("the stream ended; it sent " + seen);
      }).get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      lines.close();
    }
  }
}
