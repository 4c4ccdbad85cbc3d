package io.admission.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.ClusterNode;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.NodeRole;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A cluster node's own series, read by the SDK's in-memory reader from a fake cluster view. */
class ClusterMetricsTest {
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
      .build();
  private final AdmissionMetrics metrics = new AdmissionMetrics(otel);
  /** What GetClusterStatus answers on n2 now. */
  private final AtomicReference<GetClusterStatusResponse> status = new AtomicReference<>();

  @AfterEach
  void close() {
    otel.close();
  }

  private static GetClusterStatusResponse seenFromN2(String leader, NodeRole n2, long applied) {
    GetClusterStatusResponse.Builder b = GetClusterStatusResponse.newBuilder()
        .setLeaderId(leader).setAnsweredBy("n2");
    for (String id : List.of("n1", "n2", "n3")) {
      b.addNodes(ClusterNode.newBuilder().setNodeId(id).setAddress(id + ":6000")
          .setRole(id.equals("n2") ? n2 : id.equals(leader) ? NodeRole.NODE_ROLE_LEADER
              : NodeRole.NODE_ROLE_FOLLOWER)
          .setAppliedIndex(id.equals("n2") ? applied : 999)); // the others' are not this node's
    }
    return b.build();
  }

  @Test
  void theNodeReportsItsOwnRoleAndAppliedIndexAsTheyChange() {
    metrics.clusterNode(status::get);
    status.set(seenFromN2("n1", NodeRole.NODE_ROLE_FOLLOWER, 120));
    Collection<MetricData> first = reader.collectAllMetrics();
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", AdmissionMetrics.ROLE, "follower"), 0L),
        gauge(first, "admission.cluster.leader"));
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2"), 120L),
        gauge(first, "admission.cluster.applied_index"));
    assertEquals("{entry}", find(first, "admission.cluster.applied_index").getUnit());

    status.set(seenFromN2("", NodeRole.NODE_ROLE_CANDIDATE, 125)); // an election
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", AdmissionMetrics.ROLE, "candidate"), 0L),
        gauge(reader.collectAllMetrics(), "admission.cluster.leader"));

    status.set(seenFromN2("n2", NodeRole.NODE_ROLE_LEADER, 130)); // n2 won it
    Collection<MetricData> leading = reader.collectAllMetrics();
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", AdmissionMetrics.ROLE, "leader"), 1L),
        gauge(leading, "admission.cluster.leader"), "one series now, the follower's is gone");
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2"), 130L),
        gauge(leading, "admission.cluster.applied_index"));
  }

  @Test
  void commitDurationsAreRecordedInSeconds() {
    metrics.clusterNode(status::get);
    status.set(seenFromN2("n1", NodeRole.NODE_ROLE_FOLLOWER, 1));
    metrics.committed(TimeUnit.MILLISECONDS.toNanos(3));
    metrics.committed(TimeUnit.MILLISECONDS.toNanos(7));
    MetricData commit = find(reader.collectAllMetrics(), "admission.cluster.commit.duration");
    assertEquals("s", commit.getUnit());
    HistogramPointData p = commit.getHistogramData().getPoints().iterator().next();
    assertEquals(2, p.getCount());
    assertEquals(0.010, p.getSum(), 1e-12);
    assertEquals(0.0005, p.getBoundaries().get(0), "sub-millisecond commits are told apart");
  }

  @Test
  void aServerAloneHasNoClusterSeries() {
    metrics.turn(1, 1000); // something to read
    Collection<MetricData> data = reader.collectAllMetrics();
    assertTrue(data.stream().noneMatch(m -> m.getName().startsWith("admission.cluster.")),
        data.stream().map(MetricData::getName).toList().toString());
  }

  private static Map<Attributes, Long> gauge(Collection<MetricData> data, String name) {
    return find(data, name).getLongGaugeData().getPoints().stream()
        .collect(Collectors.toMap(LongPointData::getAttributes, LongPointData::getValue));
  }

  private static MetricData find(Collection<MetricData> data, String name) {
    List<MetricData> found = data.stream().filter(m -> m.getName().equals(name)).toList();
    assertEquals(1, found.size(), () -> name + " among " + data.stream().map(MetricData::getName).toList());
    return found.get(0);
  }
}
