package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Duration;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.ReleaseRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a Prometheus scrape of a real server shows: the per-org values of every org from the start,
 * and every metric the Grafana dashboard in docs/ queries.
 */
class MetricsExportTest {
  private static final Path DEMO_CONFIG = Path.of("..", "config", "demo.json");
  private static final Path DASHBOARD = Path.of("..", "docs", "grafana-dashboard.json");

  @TempDir
  Path dir;

  @Test
  void everyOrgOfTheConfigHasItsGaugesBeforeAnyRequestAndADeletedOrgsGo() throws Exception {
    int metricsPort = freePort();
    try (Running server = SecureDefaultTest.start("--in-memory", "--listen", "127.0.0.1:0",
        "--metrics", "127.0.0.1:" + metricsPort, "--config", DEMO_CONFIG.toString())) {
      // demo.json: acme has a limit of 20 with 8 + 4 slots reserved; tiny has 2 and none.
      Map<String, Double> before = samples(scrape(metricsPort));
      assertEquals(20.0, before.get("admission_pool_limit{admission_org_id=\"acme\"}"), before::toString);
      assertEquals(12.0, before.get("admission_pool_reserved{admission_org_id=\"acme\"}"), before::toString);
      assertEquals(0.0, before.get("admission_pool_in_use{admission_org_id=\"acme\"}"), before::toString);
      assertEquals(0.0, before.get("admission_queue_waiters{admission_org_id=\"acme\"}"), before::toString);
      assertEquals(2.0, before.get("admission_pool_limit{admission_org_id=\"tiny\"}"), before::toString);
      assertEquals(0.0, before.get("admission_pool_reserved{admission_org_id=\"tiny\"}"), before::toString);
      assertEquals(0.0, before.get("admission_pool_in_use{admission_org_id=\"tiny\"}"), before::toString);
      assertEquals(0.0, before.get("admission_queue_waiters{admission_org_id=\"tiny\"}"), before::toString);

      ManagedChannel channel = channel(server);
      try {
        var admin = AdmissionAdminServiceGrpc.newBlockingStub(channel);
        admin.putOrg(PutOrgRequest.newBuilder()
            .setOrg(Org.newBuilder().setOrgId("tiny").setConcurrencyLimit(3)).build());
        AdmissionServiceGrpc.newBlockingStub(channel).acquire(AcquireRequest.newBuilder()
            .setOrgId("tiny").setCallId("c1").setCallType(CallType.CALL_TYPE_INBOUND).build());
        Map<String, Double> changed = samples(scrape(metricsPort));
        assertEquals(3.0, changed.get("admission_pool_limit{admission_org_id=\"tiny\"}"), changed::toString);
        assertEquals(1.0, changed.get("admission_pool_in_use{admission_org_id=\"tiny\"}"), changed::toString);

        AdmissionServiceGrpc.newBlockingStub(channel).release(
            ReleaseRequest.newBuilder().setOrgId("tiny").setCallId("c1").build());
        admin.deleteOrg(DeleteOrgRequest.newBuilder().setOrgId("tiny").build());
        Map<String, Double> after = samples(scrape(metricsPort));
        assertTrue(after.keySet().stream().noneMatch(k -> k.contains("admission_org_id=\"tiny\"")),
            "a deleted org's series end: " + after);
        assertEquals(20.0, after.get("admission_pool_limit{admission_org_id=\"acme\"}"), after::toString);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aRestartReportsTheOrgsItRecoveredBeforeAnyRequest() throws Exception {
    Path data = dir.resolve("data");
    int metricsPort = freePort();
    String[] args = {"--data-dir", data.toString(), "--listen", "127.0.0.1:0",
        "--metrics", "127.0.0.1:" + metricsPort, "--config", DEMO_CONFIG.toString()};
    try (Running server = SecureDefaultTest.start(args)) {
      ManagedChannel channel = channel(server);
      try {
        AdmissionServiceGrpc.newBlockingStub(channel).acquire(AcquireRequest.newBuilder()
            .setOrgId("tiny").setCallId("c1").setCallType(CallType.CALL_TYPE_INBOUND).build());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    try (Running server = SecureDefaultTest.start(args)) { // the config is not applied again
      assertTrue(server.port() > 0);
      Map<String, Double> restarted = samples(scrape(metricsPort));
      assertEquals(20.0, restarted.get("admission_pool_limit{admission_org_id=\"acme\"}"), restarted::toString);
      assertEquals(12.0, restarted.get("admission_pool_reserved{admission_org_id=\"acme\"}"), restarted::toString);
      assertEquals(2.0, restarted.get("admission_pool_limit{admission_org_id=\"tiny\"}"), restarted::toString);
      assertEquals(1.0, restarted.get("admission_pool_in_use{admission_org_id=\"tiny\"}"), restarted::toString);
      assertEquals(0.0, restarted.get("admission_queue_waiters{admission_org_id=\"tiny\"}"), restarted::toString);
    }
  }

  /**
   * Every metric a query of the dashboard names is one a server exports: a server alone with a
   * journal and a one-node cluster, each scraped after calls that give every series a value.
   */
  @Test
  void everyMetricTheDashboardQueriesIsExported() throws Exception {
    Set<String> queried = dashboardMetrics(Files.readString(DASHBOARD));
    assertTrue(queried.containsAll(Set.of("admission_decisions_total", "admission_pool_limit",
        "admission_queue_waiters", "admission_cluster_applied_index")), "read the queries: " + queried);

    Set<String> exported = new TreeSet<>();
    int alonePort = freePort();
    try (Running alone = SecureDefaultTest.start("--data-dir", dir.resolve("alone").toString(),
        "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:" + alonePort)) {
      work(alone);
      exported.addAll(samples(scrape(alonePort)).keySet().stream().map(MetricsExportTest::name).toList());
    }
    int nodePort = freePort();
    try (Running node = SecureDefaultTest.start("--data-dir", dir.resolve("node").toString(),
        "--listen", "127.0.0.1:0", "--metrics", "127.0.0.1:" + nodePort,
        "--node-id", "n1", "--peers", "n1=127.0.0.1:" + freePort())) {
      work(node);
      exported.addAll(samples(scrape(nodePort)).keySet().stream().map(MetricsExportTest::name).toList());
    }

    Set<String> missing = new TreeSet<>(queried);
    missing.removeAll(exported);
    assertTrue(missing.isEmpty(), "the dashboard queries metrics no server exports: " + missing
        + "\nexported: " + exported);
  }

  @Test
  void metricNamesAreReadOffPromQl() {
    assertEquals(Set.of("a_total", "b_bucket", "c"), metricNames(
        "sum by (x, le) (rate(a_total{x=~\"$org\", y!=\"sum(z)\"}[$__rate_interval])) "
            + "/ on (x) group_left histogram_quantile(0.99, rate(b_bucket[5m] offset 1h)) > bool 0 or c"));
  }

  // ---- The dashboard ----------------------------------------------------------------------

  /** The metric names of every query: the panels' {@code expr}s and the variables' queries. */
  static Set<String> dashboardMetrics(String json) {
    Set<String> names = new TreeSet<>();
    List<String> queries = new ArrayList<>();
    collect(JsonParser.parseString(json), queries);
    assertFalse(queries.isEmpty(), "no queries in the dashboard");
    queries.forEach(q -> names.addAll(metricNames(q)));
    return names;
  }

  private static void collect(JsonElement e, List<String> queries) {
    if (e.isJsonArray()) {
      e.getAsJsonArray().forEach(x -> collect(x, queries));
    } else if (e.isJsonObject()) {
      JsonObject o = e.getAsJsonObject();
      for (var entry : o.entrySet()) {
        boolean query = entry.getKey().equals("expr") || entry.getKey().equals("definition");
        if (query && entry.getValue().isJsonPrimitive()) {
          queries.add(entry.getValue().getAsString());
        } else {
          collect(entry.getValue(), queries);
        }
      }
    }
  }

  private static final Pattern QUOTED = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?");
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan");

  /**
   * The metric names of one PromQL query: its identifiers once strings, label matchers, ranges and
   * grouping labels are gone, less functions and aggregations (followed by a parenthesis) and
   * keywords. {@code label_values(metric, label)} names its metric as a function's argument.
   */
  static Set<String> metricNames(String promQl) {
    String q = QUOTED.matcher(promQl).replaceAll("\"\"");
    q = q.replaceAll("\\{[^}]*\\}", " ").replaceAll("\\[[^\\]]*\\]", " ");
    q = GROUPING.matcher(q).replaceAll(" ");
    q = q.replaceAll("\\b[0-9][0-9.]*[a-zA-Z]*", " "); // numbers and durations (offset 1h)
    q = q.replaceAll("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,[^)]*\\)", "$1");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(q);
    while (m.find()) {
      String token = m.group().strip();
      if (m.group(1) == null && !KEYWORDS.contains(token.toLowerCase(java.util.Locale.ROOT))
          && !token.matches("[0-9].*")) {
        names.add(token);
      }
    }
    return names;
  }

  // ---- A server at work -------------------------------------------------------------------

  /**
   * An org, a grant, a held call dispatched by a release, a lease that expires: every series of a
   * server gets a value. Waits until the server answers (a cluster node once it leads).
   */
  private static void work(Running server) throws Exception {
    ManagedChannel channel = channel(server);
    try {
      var admin = AdmissionAdminServiceGrpc.newBlockingStub(channel);
      PutOrgRequest org = PutOrgRequest.newBuilder()
          .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(1)).build();
      for (int i = 0; ; i++) {
        try {
          admin.withDeadlineAfter(5, TimeUnit.SECONDS).putOrg(org);
          break;
        } catch (StatusRuntimeException e) {
          if (i == 100) {
            throw e;
          }
          Thread.sleep(100); // a cluster node that has not elected itself yet
        }
      }
      var admission = AdmissionServiceGrpc.newBlockingStub(channel);
      admission.acquire(call("c1").build());
      admission.acquire(call("c2").setLeaseTtl(Duration.newBuilder().setSeconds(1)).build()); // held
      admission.release(ReleaseRequest.newBuilder().setOrgId("acme").setCallId("c1").build());
      Thread.sleep(1_500); // c2, dispatched, lets its lease of 1 s (the shortest there is) expire
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static AcquireRequest.Builder call(String callId) {
    return AcquireRequest.newBuilder().setOrgId("acme").setCallId(callId)
        .setCallType(CallType.CALL_TYPE_INBOUND);
  }

  // ---- Scraping ---------------------------------------------------------------------------

  /** Each sample of a Prometheus text page, by its name and labels (less the scope's). */
  static Map<String, Double> samples(String page) {
    Map<String, Double> samples = new TreeMap<>();
    for (String line : page.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space).replaceAll(",?otel_scope_[a-z_]+=\"[^\"]*\"", "")
          .replace("{,", "{").replace("{}", "");
      samples.put(series, Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }

  private static String name(String series) {
    int brace = series.indexOf('{');
    return brace < 0 ? series : series.substring(0, brace);
  }

  private static ManagedChannel channel(Running server) {
    return Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create())
        .build();
  }

  static String scrape(int port) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
