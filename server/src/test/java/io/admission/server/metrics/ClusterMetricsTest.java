package io.admission.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.loop.LoopObserver;
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
  private static final io.opentelemetry.api.common.AttributeKey<String> GROUP = AdmissionMetrics.GROUP;
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
    metrics.clusterNode(() -> List.of(status.get())); // one group: its series say group "0"

    status.set(seenFromN2("n1", NodeRole.NODE_ROLE_FOLLOWER, 120));
    Collection<MetricData> first = reader.collectAllMetrics();
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", AdmissionMetrics.ROLE, "follower", GROUP, "0"), 0L),
        gauge(first, "admission.cluster.leader"));
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", GROUP, "0"), 120L),
        gauge(first, "admission.cluster.applied_index"));
    assertEquals("{entry}", find(first, "admission.cluster.applied_index").getUnit());

    status.set(seenFromN2("", NodeRole.NODE_ROLE_CANDIDATE, 125)); // an election
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", AdmissionMetrics.ROLE, "candidate", GROUP, "0"), 0L),
        gauge(reader.collectAllMetrics(), "admission.cluster.leader"));

    status.set(seenFromN2("n2", NodeRole.NODE_ROLE_LEADER, 130)); // n2 won it
    Collection<MetricData> leading = reader.collectAllMetrics();
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", AdmissionMetrics.ROLE, "leader", GROUP, "0"), 1L),
        gauge(leading, "admission.cluster.leader"), "one series now, the follower's is gone");
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", GROUP, "0"), 130L),
        gauge(leading, "admission.cluster.applied_index"));
  }

  @Test
  void commitDurationsAreRecordedInSeconds() {
    metrics.clusterNode(() -> List.of(status.get()));
    status.set(seenFromN2("n1", NodeRole.NODE_ROLE_FOLLOWER, 1));
    LoopObserver group0 = metrics.commitsOf(0);
    group0.committed(TimeUnit.MILLISECONDS.toNanos(3));
    group0.committed(TimeUnit.MILLISECONDS.toNanos(7));
    MetricData commit = find(reader.collectAllMetrics(), "admission.cluster.commit.duration");
    assertEquals("s", commit.getUnit());
    HistogramPointData p = commit.getHistogramData().getPoints().iterator().next();
    assertEquals(Attributes.of(GROUP, "0"), p.getAttributes());
    assertEquals(2, p.getCount());
    assertEquals(0.010, p.getSum(), 1e-12);
    assertEquals(0.0005, p.getBoundaries().get(0), "sub-millisecond commits are told apart");
  }

  /**
   * With several groups every cluster series is reported for each, by {@code admission.group}: a
   * node may lead one group and follow in another, each group's log has its own index, and a
   * commit in group 1 moves group 1's latency only.
   */
  @Test
  void eachGroupHasItsOwnSeries() {
    AtomicReference<GetClusterStatusResponse> group1 = new AtomicReference<>();
    metrics.clusterNode(() -> List.of(status.get(), group1.get()));
    status.set(seenFromN2("n1", NodeRole.NODE_ROLE_FOLLOWER, 40));
    group1.set(seenFromN2("n2", NodeRole.NODE_ROLE_LEADER, 7));
    LoopObserver commits0 = metrics.commitsOf(0);
    LoopObserver commits1 = metrics.commitsOf(1);
    commits0.committed(TimeUnit.MILLISECONDS.toNanos(2));
    Collection<MetricData> first = reader.collectAllMetrics();
    assertEquals(Map.of(
            Attributes.of(AdmissionMetrics.NODE, "n2", AdmissionMetrics.ROLE, "follower", GROUP, "0"), 0L,
            Attributes.of(AdmissionMetrics.NODE, "n2", AdmissionMetrics.ROLE, "leader", GROUP, "1"), 1L),
        gauge(first, "admission.cluster.leader"));
    assertEquals(Map.of(Attributes.of(AdmissionMetrics.NODE, "n2", GROUP, "0"), 40L,
            Attributes.of(AdmissionMetrics.NODE, "n2", GROUP, "1"), 7L),
        gauge(first, "admission.cluster.applied_index"));
    assertEquals(Map.of("0", 1L), commitCounts(first));

    commits1.committed(TimeUnit.MILLISECONDS.toNanos(5));
    commits1.committed(TimeUnit.MILLISECONDS.toNanos(5));
    assertEquals(Map.of("0", 1L, "1", 2L), commitCounts(reader.collectAllMetrics()),
        "group 1's commits moved group 1's series only");
  }

  /** The commit histogram's count by group. */
  private static Map<String, Long> commitCounts(Collection<MetricData> data) {
    return find(data, "admission.cluster.commit.duration").getHistogramData().getPoints().stream()
        .collect(Collectors.toMap(p -> p.getAttributes().get(GROUP), HistogramPointData::getCount));
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
