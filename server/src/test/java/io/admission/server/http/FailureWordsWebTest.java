package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.api.Failures;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.FullDiskLog;
import io.admission.v1.Org;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The web page's API answers failures and malformed requests without the server's insides: no
 * exception class, no decoder's or parser's own words about itself, no file path; a bug gets a
 * fixed sentence with the id of the log line.
 */
class FailureWordsWebTest {
  private static final String PATH = "/var/lib/admission/journal/segment-000042.log";
  private static final Pattern INSIDES =
      Pattern.compile("Exception|java\\.|gson|URLDecoder|/var/|\\bat [\\w.$]+\\(|secret");

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void malformedBodiesAndPathsAreRefusedInTheServersOwnWords() throws Exception {
    try (WebFixture server = new WebFixture()) {
      server.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(5).build());
      for (String body : new String[] {"{", "{\"org\": [1,", "\u0000\uffff", "{\"org\": {\"concurrency_limit\": \"x\"}}"}) {
        HttpResponse<String> r = post(server, "/api/orgs/acme/update", body);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("{\"code\":3,\"message\":\"body: "), r.body()); // INVALID_ARGUMENT
        assertFalse(INSIDES.matcher(r.body()).find(), r.body());
      }
      HttpResponse<String> unknownField = post(server, "/api/orgs/acme/update", "{\"colour\": 1}");
      assertTrue(unknownField.body().contains("colour"), "a field the parser names stays: " + unknownField.body());

      // A client's URI cannot carry a bad escape (the server's URI parser refuses it first): the
      // decoder is asked directly.
      io.admission.server.api.InvalidRequest badPath = assertThrows(
          io.admission.server.api.InvalidRequest.class, () -> WebServer.segments("/api/orgs/%zz/status"));
      assertEquals("path: is not a valid percent-encoded path", badPath.describe());
    }
  }

  @Test
  void aBugOrAFailedLogReachesTheWebRequestAsAFixedSentence() throws Exception {
    ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
    EventLoop loop = new EventLoop(new Engine(), new FullDiskLog(PATH), Clock.systemUTC(), 64);
    try {
      loop.startOn(thread);
      LoopCall.Unavailable bug = assertThrows(LoopCall.Unavailable.class, () -> LoopCall.read(loop,
          (engine, now) -> {
            throw new IllegalStateException("secret at " + PATH);
          }));
      assertTrue(bug.bug);
      assertTrue(bug.getMessage().matches("internal error; the server logged it as [0-9a-f]{8}"),
          bug.getMessage());

      LoopCall.Unavailable log = assertThrows(LoopCall.Unavailable.class, () -> LoopCall.command(io.admission.server.loop.Loops.of(loop),
          new Commands.PutOrg(new OrgConfig("acme", 3, Optional.empty(), ZoneOffset.UTC,
              OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)), "test"));
      assertFalse(log.bug);
      assertEquals(Failures.LOG_NOT_WRITTEN, log.getMessage());
    } finally {
      loop.close();
      thread.shutdownNow();
    }
  }

  private HttpResponse<String> post(WebFixture server, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(server.url() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }
}
