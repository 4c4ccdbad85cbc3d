package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.auth.AccessControl;
import io.admission.v1.CallType;
import io.admission.v1.Org;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The web page's API under --auth: the gRPC roles, the same answers, the token as header or query. */
class WebAccessTest {
  @TempDir Path tmp;
  private WebFixture f;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeEach
  void start() throws Exception {
    Path tokens = Files.writeString(tmp.resolve("tokens"), String.join("\n",
        hash("adm") + " admin ops",
        hash("wall") + " monitor:acme acme wallboard",
        hash("sw") + " org:acme acme-switch", ""));
    f = new WebFixture(AccessControl.load(tokens));
    f.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).build());
    f.putOrg(Org.newBuilder().setOrgId("beta").setConcurrencyLimit(5).build());
  }

  @AfterEach
  void close() {
    f.close();
  }

  private static String hash(String token) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.url() + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String token, String json) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(f.url() + path))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A refusal: the google.rpc.Status the gRPC call would have ended with, as JsonFormat prints it. */
  private static com.google.rpc.Status status(String json) throws Exception {
    com.google.rpc.Status.Builder b = com.google.rpc.Status.newBuilder();
    com.google.protobuf.util.JsonFormat.parser().merge(json, b);
    return b.build();
  }

  @Test
  void thePageIsServedToAnyoneButItsDataNeedsAToken() throws Exception {
    assertEquals(200, get("/", null).statusCode());
    for (String path : new String[] {"/api/me", "/api/orgs", "/api/orgs/acme/status", "/api/orgs/acme/events",
        "/api/cluster"}) {
      HttpResponse<String> r = get(path, path.endsWith("me") ? "nope" : null);
      assertEquals(401, r.statusCode(), path);
      assertEquals(com.google.rpc.Code.UNAUTHENTICATED_VALUE, status(r.body()).getCode(), r.body());
    }
  }

  @Test
  void anyValidTokenReadsTheClusterAsGetClusterStatusAllowsButNoTokenDoesNot() throws Exception {
    for (String token : new String[] {"adm", "wall", "sw"}) {
      HttpResponse<String> cluster = get("/api/cluster", token);
      assertEquals(200, cluster.statusCode(), token + ": " + cluster.body());
      assertTrue(cluster.body().contains("\"role\":\"NODE_ROLE_STANDALONE\""), cluster.body());
    }
    HttpResponse<String> none = get("/api/cluster", null);
    assertEquals(401, none.statusCode());
    assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElseThrow());
    assertFalse(none.body().contains("nodeId"), "nothing of the cluster without a token: " + none.body());
    HttpResponse<String> wrong = get("/api/cluster", "guess");
    assertEquals(401, wrong.statusCode());
    assertFalse(wrong.body().contains("nodeId"), wrong.body());
  }

  @Test
  void aMonitorTokenReadsItsOrgOnlyAndChangesNothing() throws Exception {
    assertEquals("{\"auth\":true,\"role\":\"monitor:acme\",\"actor\":\"acme wallboard\"}", get("/api/me", "wall").body());
    String orgs = get("/api/orgs", "wall").body();
    assertTrue(orgs.contains("\"acme\"") && !orgs.contains("\"beta\""), orgs);
    assertEquals(200, get("/api/orgs/acme/status", "wall").statusCode());

    HttpResponse<String> beta = get("/api/orgs/beta/status", "wall");
    HttpResponse<String> ghost = get("/api/orgs/ghost/status", "wall");
    assertEquals(403, beta.statusCode());
    assertEquals(beta.body(), ghost.body(), "the same words whether the org exists or not");
    assertEquals(AccessControl.PERMISSION_DENIED, status(beta.body()).getMessage(), beta.body());
    assertEquals(com.google.rpc.Code.PERMISSION_DENIED_VALUE, status(beta.body()).getCode(), beta.body());

    HttpResponse<String> change = post("/api/orgs/acme/reservations", "wall",
        "{\"agent_id\":\"a\",\"call_type\":\"CALL_TYPE_CHAT\",\"slots\":1}");
    assertEquals(403, change.statusCode(), change.body());
    assertEquals(403, post("/api/orgs/acme/reservations", "sw",
        "{\"agent_id\":\"a\",\"call_type\":\"CALL_TYPE_CHAT\",\"slots\":1}").statusCode(), "org tokens change nothing");
    assertEquals(0, f.status("acme").getAgentsCount(), "nothing was reserved");
  }

  @Test
  void anAdminTokenChangesAndAnOrgTokenReadsItsSettings() throws Exception {
    assertEquals(200, post("/api/orgs/acme/reservations", "adm",
        "{\"agent_id\":\"a\",\"call_type\":\"CALL_TYPE_CHAT\",\"slots\":1}").statusCode());
    assertEquals(1, f.status("acme").getAgentsCount());
    assertEquals(200, get("/api/orgs/acme/settings", "sw").statusCode());
    assertEquals(403, get("/api/orgs/beta/settings", "sw").statusCode());
    assertEquals(403, get("/api/orgs/acme/settings", "wall").statusCode(), "settings are not the monitor's");
    f.reserve("beta", "b", CallType.CALL_TYPE_CHAT, 1);
    String all = get("/api/orgs", "adm").body();
    assertTrue(all.contains("\"acme\"") && all.contains("\"beta\""), all);
  }

  @Test
  void theEventStreamTakesTheTokenAsAQueryParameter() throws Exception {
    HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(
            URI.create(f.url() + "/api/orgs/acme/events?access_token=wall")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = stream.body()) {
      assertEquals(200, stream.statusCode());
      String first = new String(in.readNBytes(8), StandardCharsets.UTF_8);
      assertEquals("retry: 2", first);
    }
    HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(
        URI.create(f.url() + "/api/orgs/beta/events?access_token=wall")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, wrong.statusCode());
    assertFalse(wrong.body().contains("wall"));
  }
}
