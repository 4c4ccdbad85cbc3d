package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.admission.server.api.ClusterView;
import io.admission.server.auth.AccessControl;
import io.admission.v1.ClusterNode;
import io.admission.v1.GetClusterStatusRequest;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.NodeRole;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** GET /api/cluster: GetClusterStatus in the proto JSON mapping, alone and as a node of three. */
class WebClusterTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Three nodes as n2 sees them while n1 leads; {@link #view} may change what it answers. */
  static GetClusterStatusResponse threeNodes(String leader, long applied) {
    GetClusterStatusResponse.Builder b = GetClusterStatusResponse.newBuilder()
        .setLeaderId(leader).setAnsweredBy("n2");
    for (String id : new String[] {"n1", "n2", "n3"}) {
      b.addNodes(ClusterNode.newBuilder().setNodeId(id)
          .setAddress("10.0.0." + id.charAt(1) + ":6000")
          .setRole(id.equals(leader) ? NodeRole.NODE_ROLE_LEADER
              : leader.isEmpty() && !id.equals("n2") ? NodeRole.NODE_ROLE_UNSPECIFIED
              : NodeRole.NODE_ROLE_FOLLOWER)
          .setAppliedIndex(id.equals("n3") ? applied - 2 : applied));
    }
    return b.build();
  }

  /** A fake cluster view whose answer the test sets. */
  static ClusterView view(AtomicReference<GetClusterStatusResponse> now) {
    return new ClusterView() {
      @Override
      public GetClusterStatusResponse status() {
        return now.get();
      }

      @Override
      public String unavailable() {
        return null;
      }
    };
  }

  private HttpResponse<String> get(WebFixture f, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(f.url() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String print(GetClusterStatusResponse r) throws Exception {
    return JsonFormat.printer().omittingInsignificantWhitespace().print(r);
  }

  @Test
  void aServerAloneReportsItselfAsTheOnlyNodeStandalone() throws Exception {
    try (WebFixture f = new WebFixture()) {
      HttpResponse<String> cluster = get(f, "/api/cluster");
      assertEquals(200, cluster.statusCode(), cluster.body());
      assertEquals("application/json; charset=utf-8", cluster.headers().firstValue("Content-Type").orElseThrow());
      assertEquals("{\"leaderId\":\"local\",\"nodes\":[{\"nodeId\":\"local\",\"address\":\"127.0.0.1\","
          + "\"role\":\"NODE_ROLE_STANDALONE\"}],\"answeredBy\":\"local\"}", cluster.body());
      assertEquals(print(f.monitor.getClusterStatus(GetClusterStatusRequest.getDefaultInstance())),
          cluster.body(), "what GetClusterStatus answers over gRPC, printed by JsonFormat");
    }
  }

  @Test
  void aNodeOfThreeReportsEveryNodeAndTheLeaderAsItSeesThemNow() throws Exception {
    AtomicReference<GetClusterStatusResponse> now = new AtomicReference<>(threeNodes("n1", 120));
    try (WebFixture f = new WebFixture(AccessControl.off(), view(now))) {
      HttpResponse<String> cluster = get(f, "/api/cluster");
      assertEquals(200, cluster.statusCode(), cluster.body());
      // int64 is a JSON string in the proto mapping.
      assertTrue(cluster.body().startsWith("{\"leaderId\":\"n1\",\"nodes\":[{\"nodeId\":\"n1\","
          + "\"address\":\"10.0.0.1:6000\",\"role\":\"NODE_ROLE_LEADER\",\"appliedIndex\":\"120\"}"),
          cluster.body());
      assertEquals(print(f.monitor.getClusterStatus(GetClusterStatusRequest.getDefaultInstance())),
          cluster.body(), "what GetClusterStatus answers over gRPC, printed by JsonFormat");

      now.set(threeNodes("", 130)); // an election: no leader known, asked again
      HttpResponse<String> election = get(f, "/api/cluster");
      assertEquals(200, election.statusCode(), "answered even without a leader: that is when it matters");
      assertEquals(print(threeNodes("", 130)), election.body());
    }
  }

  @Test
  void onlyGetIsAllowed() throws Exception {
    try (WebFixture f = new WebFixture()) {
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(f.url() + "/api/cluster"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
      assertEquals("GET", post.headers().firstValue("Allow").orElseThrow());
    }
  }
}
