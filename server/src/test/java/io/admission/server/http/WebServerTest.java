package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AgentStatus;
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
    assertFalse(none.body().contains("calling_hours"), none.body());
    var hours = io.admission.v1.CallingHours.newBuilder();
    for (var day : java.time.DayOfWeek.values()) { // open all week but one minute a day
      hours.addWindows(io.admission.v1.CallingWindow.newBuilder().setWeekdayValue(day.getValue())
          .setStart("00:01").setEnd("24:00"));
    }
    server.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).setCallingHours(hours)
        .build());
    HttpResponse<String> status = get("/api/orgs/acme/status");
    assertTrue(status.body().matches(".*\"calling_hours\":\\{\"open\":(true|false),\"changes_at\":\"[^\"]+\","
        + "\"restricted_call_types\":\\[\"CALL_TYPE_OUTBOUND\"\\]\\}.*"), status.body());
  }

  @Test
  void listsTheOrgsForThePicker() throws Exception {
    server.putOrg(Org.newBuilder().setOrgId("beta").setConcurrencyLimit(2).build());
    HttpResponse<String> orgs = get("/api/orgs");
    assertEquals(200, orgs.statusCode());
    assertTrue(orgs.body().matches(".*\"org_id\":\"acme\".*\"org_id\":\"beta\".*"), orgs.body());
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
    assertEquals(Json.error("FAILED_PRECONDITION", grpc.getStatus().getDescription()), refused.body());
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
        "{\"agent_id\": \"a&b\", \"call_type\": \"CALL_TYPE_CHAT\", \"slots\": 4}");
    assertEquals(200, set.statusCode(), set.body());
    assertTrue(set.body().contains("\"reserved_total\":4,\"shared_capacity\":2"), set.body());
    assertEquals(2, server.status(org).getSharedCapacity());

    HttpResponse<String> removed = post(base + "/agents/" + encode("a&b") + "/remove", "{}");
    assertEquals(200, removed.statusCode(), removed.body());
    assertEquals("{\"freed_slots\":4,\"shared_capacity\":6}", removed.body());
    assertEquals(6, server.status(org).getSharedCapacity());
  }

  @Test
  void badInputNamesTheFieldAsTheApiDoes() throws Exception {
    HttpResponse<String> noType = post("/api/orgs/acme/reservations", "{\"agent_id\": \"x\", \"slots\": 1}");
    assertEquals(400, noType.statusCode());
    assertTrue(noType.body().startsWith("{\"code\":\"INVALID_ARGUMENT\",\"message\":\"call_type: is required"),
        noType.body());
    HttpResponse<String> unknownField = post("/api/orgs/acme/reservations", "{\"agent\": \"x\"}");
    assertEquals(400, unknownField.statusCode());
    assertTrue(unknownField.body().contains("body: must be a SetReservationRequest"), unknownField.body());
    HttpResponse<String> otherOrg = post("/api/orgs/acme/reservations",
        "{\"org_id\": \"beta\", \"agent_id\": \"x\", \"call_type\": \"CALL_TYPE_CHAT\", \"slots\": 1}");
    assertEquals(400, otherOrg.statusCode());
    HttpResponse<String> unknownOrg = get("/api/orgs/nope/status");
    assertEquals(404, unknownOrg.statusCode());
    assertEquals(Json.error("NOT_FOUND", "org nope does not exist"), unknownOrg.body());
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
      assertTrue(first.contains("\"org_id\":\"acme\"") && first.contains("\"in_use\":0"), first);
      server.acquire("acme", "call-1", "", CallType.CALL_TYPE_WEBCALL, "alice");
      String next = events.next(l -> l.contains("\"in_use\":1"));
      assertTrue(next.contains("\"line\":\"Active now: 1/2 concurrent · Last hour: 1/250\""), next);
    }
  }

  @Test
  void theEventStreamOfAnUnknownOrgEndsWithTheProblem() throws Exception {
    try (Events events = Events.open(http, uri("/api/orgs/nope/events"))) {
      assertEquals("event: problem", events.next(l -> l.startsWith("event:")));
      assertEquals("data: " + Json.error("NOT_FOUND", "org nope does not exist"), events.next(l -> true));
    }
  }

  @Test
  void theEditFormChangesOnlyTheFieldsItSendsThroughUpdateOrg() throws Exception {
    server.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).setTimeZone("Europe/Paris")
        .setDailyCap(io.admission.v1.DailyCap.newBuilder().setCap(300)).build());
    HttpResponse<String> settings = get("/api/orgs/acme/settings");
    assertEquals(200, settings.statusCode());
    assertTrue(settings.body().contains("\"time_zone\":\"Europe/Paris\""), settings.body());

    HttpResponse<String> updated = post("/api/orgs/acme/update",
        "{\"org\": {\"concurrency_limit\": 8, \"login_defaults\": {\"max_concurrent\": 4}},"
            + " \"update_mask\": \"concurrencyLimit,loginDefaults.maxConcurrent\"}");

    assertEquals(200, updated.statusCode(), updated.body());
    Org stored = server.admin.getOrg(io.admission.v1.GetOrgRequest.newBuilder().setOrgId("acme").build())
        .getOrg();
    assertEquals(8, stored.getConcurrencyLimit());
    assertEquals(4, stored.getLoginDefaults().getMaxConcurrent());
    assertEquals("Europe/Paris", stored.getTimeZone(), "not sent: kept");
    assertEquals(300, stored.getDailyCap().getCap(), "not sent: kept");
    assertTrue(updated.body().contains("\"concurrency_limit\":8"), updated.body());
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
      assertEquals("data: " + Json.error("NOT_FOUND", "org acme does not exist"), events.next(l -> true));
    }
    assertEquals("{\"deleted\":false}", post("/api/orgs/acme/delete", "{}").body());
    assertEquals(404, get("/api/orgs/acme/settings").statusCode());
  }

  // ---- Helpers ----------------------------------------------------------------------------

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
