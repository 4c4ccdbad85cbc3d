package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The server's request bounds on the web page's API, as Main wires them: a body over {@code
 * --max-message-bytes} and an id over {@code --max-id-bytes}, in the path or in the body, are
 * refused as gRPC refuses them (the same status, naming the flag), and change nothing.
 */
class WebBoundsTest {
  private Running server;
  private ManagedChannel channel;
  private AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub admin;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeEach
  void start() throws Exception {
    server = SecureDefaultTest.start("--in-memory", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
        "--max-message-bytes", "8192", "--max-id-bytes", "16");
    channel = Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create())
        .build();
    admin = AdmissionAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    admin.putOrg(PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(1)).build());
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.close();
  }

  @Test
  void aBodyOverTheSizeBoundIs413NamingTheFlagAndChangesNothing() throws Exception {
    // A valid UpdateOrgRequest, padded with JSON whitespace past the bound.
    String update = "{\"org\": {\"concurrencyLimit\": 5}, \"updateMask\": \"concurrencyLimit\"}";
    String body = update + " ".repeat(9000);

    HttpResponse<String> r = post("/api/orgs/acme/update", body);

    assertEquals(413, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"code\":8"), r.body()); // RESOURCE_EXHAUSTED
    assertTrue(r.body().contains(
        "the request is larger than 8192 bytes (server bound --max-message-bytes)"), r.body());
    assertEquals(1, concurrencyLimit(), "the org was not changed");
    // The same body without the padding is served.
    assertEquals(200, post("/api/orgs/acme/update", update).statusCode());
    assertEquals(5, concurrencyLimit());
  }

  @Test
  void aChunkedBodyOverTheSizeBoundIsCountedAsItIsRead() throws Exception {
    byte[] body = ("{\"org\": {\"concurrencyLimit\": 5}, \"updateMask\": \"concurrencyLimit\"}"
        + " ".repeat(9000)).getBytes(StandardCharsets.UTF_8);

    // No Content-Length: the body comes in chunks, and only reading it tells its size.
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(url("/api/orgs/acme/update"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
        .build(), HttpResponse.BodyHandlers.ofString());

    assertEquals(413, r.statusCode(), r.body());
    assertTrue(r.body().contains("(server bound --max-message-bytes)"), r.body());
    assertEquals(1, concurrencyLimit(), "the org was not changed");
  }

  @Test
  void anIdOverTheBoundInThePathIs400NamingTheFieldAndTheFlag() throws Exception {
    HttpResponse<String> r = post("/api/orgs/acme/agents/"
        + URLEncoder.encode("an-agent-of-17-by", StandardCharsets.UTF_8) + "/remove", "{}");

    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains(
        "agent_id: must be at most 16 bytes (server bound --max-id-bytes)"), r.body());
    HttpResponse<String> org = get("/api/orgs/an-org-id-of-17-b/status");
    assertEquals(400, org.statusCode(), org.body());
    assertTrue(org.body().contains("org_id: must be at most 16 bytes (server bound --max-id-bytes)"),
        org.body());
    // Exactly at the bound is fine (an agent with nothing reserved: nothing freed).
    assertEquals(200, post("/api/orgs/acme/agents/an-agent-of-16-b/remove", "{}").statusCode());
  }

  @Test
  void anIdOverTheBoundInTheBodyIs400NamingTheFieldAndTheFlag() throws Exception {
    HttpResponse<String> r = post("/api/orgs/acme/reservations",
        "{\"agentId\": \"an-agent-of-17-by\", \"callType\": \"CALL_TYPE_OUTBOUND\", \"slots\": 1}");

    assertEquals(400, r.statusCode(), r.body());
    assertTrue(r.body().contains(
        "agent_id: must be at most 16 bytes (server bound --max-id-bytes)"), r.body());
    assertEquals(0, admin.getOrg(GetOrgRequest.newBuilder().setOrgId("acme").build())
        .getReservationsCount(), "no reservation was made");
  }

  private int concurrencyLimit() {
    return admin.getOrg(GetOrgRequest.newBuilder().setOrgId("acme").build()).getOrg()
        .getConcurrencyLimit();
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.web.address().getPort() + path);
  }
}
