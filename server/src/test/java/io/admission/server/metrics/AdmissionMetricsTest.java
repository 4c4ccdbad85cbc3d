package io.admission.server.metrics;

import static io.admission.server.loop.SteppedLoop.SECOND;
import static io.admission.server.loop.SteppedLoop.call;
import static io.admission.server.loop.SteppedLoop.putOrg;
import static io.admission.server.loop.SteppedLoop.release;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.OrgField;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.loop.SteppedLoop;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Names and values of Admission's metrics, read by the SDK's in-memory reader from a real loop. */
class AdmissionMetricsTest {
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
      .build();
  private final SteppedLoop loop = new SteppedLoop();

  AdmissionMetricsTest() {
    loop.loop.observe(new AdmissionMetrics(otel));
  }

  @AfterEach
  void close() {
    loop.close();
    otel.close();
  }

  @Test
  void instrumentsFollowOtelNamingWithTheAdmissionPrefix() {
    loop.run(putOrg("acme", 1));
    loop.run(call("acme", "c1"));
    loop.run(call("acme", "c2"));
    loop.at(2 * SECOND);
    loop.run(release("acme", "c1"));
    loop.run(call("acme", "t1", "", CallType.CHAT, "", "", 1 * SECOND, 0));
    loop.at(10 * SECOND); // t1 was held behind c2; c2's lease lives on, so release it
    loop.run(release("acme", "c2"));
    loop.at(20 * SECOND); // t1 dispatched, then its 1 s lease expires

    Map<String, String> units = new HashMap<>();
    for (MetricData m : reader.collectAllMetrics()) {
      units.put(m.getName(), m.getUnit());
    }
    assertEquals(Map.of(
        "admission.decisions", "{decision}",
        "admission.dispatches", "{call}",
        "admission.lease.expiries", "{lease}",
        "admission.queue.waiters", "{call}",
        "admission.pool.in_use", "{call}",
        "admission.pool.limit", "{slot}",
        "admission.pool.reserved", "{slot}",
        "admission.wait.duration", "s",
        "admission.loop.batch.size", "{task}",
        "admission.loop.turn.duration", "s"), units);
  }

  @Test
  void decisionsAreCountedByOutcomeReasonAndCallType() {
    loop.run(putOrg("acme", 1));
    loop.run(putOrg("capped", 10, 1));
    loop.run(call("acme", "c1"));
    loop.run(call("acme", "c2"));
    loop.run(call("acme", "c2")); // a retry decides nothing new
    loop.run(call("capped", "o1", "", CallType.OUTBOUND, "", "", 0, 0));
    assertInstanceOf(Results.Denied.class,
        loop.run(call("capped", "o2", "", CallType.OUTBOUND, "", "", 0, 0)));
    loop.run(call("nowhere", "x"));

    Map<Attributes, Long> decisions = sums("admission.decisions");
    assertEquals(Map.of(
        attrs("admission.outcome", "granted", "admission.call_type", "webcall",
            "admission.slot_kind", "shared"), 1L,
        attrs("admission.outcome", "granted", "admission.call_type", "outbound",
            "admission.slot_kind", "shared"), 1L,
        attrs("admission.outcome", "held", "admission.reason", "org_pool_full",
            "admission.call_type", "webcall"), 1L,
        attrs("admission.outcome", "denied", "admission.reason", "daily_cap",
            "admission.call_type", "outbound"), 1L,
        attrs("admission.outcome", "rejected", "admission.reason", "not_found"), 1L), decisions);
  }

  @Test
  void perOrgWaitersAndInUseFollowHoldsGrantsAndEnds() {
    loop.run(putOrg("acme", 1));
    loop.run(putOrg("other", 5));
    loop.run(call("acme", "c1"));
    loop.run(call("acme", "c2"));
    loop.run(call("acme", "c3", "", CallType.WEBCALL, "", "", 0, 5 * SECOND));
    loop.run(call("other", "o1"));
    assertEquals(Map.of(org("acme"), 1L, org("other"), 1L), sums("admission.pool.in_use"));
    assertEquals(Map.of(org("acme"), 2L, org("other"), 0L), sums("admission.queue.waiters"),
        "an org seen once reports both values, 0 included");

    loop.at(6 * SECOND); // c3's max_wait passes
    assertEquals(Map.of(org("acme"), 1L, org("other"), 0L), sums("admission.queue.waiters"));

    loop.at(30 * SECOND);
    loop.run(release("acme", "c1")); // c2 dispatched after 30 s
    assertEquals(Map.of(org("acme"), 0L, org("other"), 0L), sums("admission.queue.waiters"));
    assertEquals(Map.of(org("acme"), 1L, org("other"), 1L), sums("admission.pool.in_use"));
    assertEquals(Map.of(attrs("admission.call_type", "webcall", "admission.slot_kind", "shared"), 1L),
        sums("admission.dispatches"));
    HistogramPointData wait = histogram("admission.wait.duration").get(attrs("admission.call_type", "webcall"));
    assertEquals(1, wait.getCount());
    assertEquals(30.0, wait.getSum(), 1e-9, "held from T0 to T0 + 30 s, in seconds");

    loop.run(release("acme", "c2"));
    loop.run(release("other", "o1"));
    assertEquals(Map.of(org("acme"), 0L, org("other"), 0L), sums("admission.pool.in_use"));
  }

  @Test
  void aDeletedOrgsValuesAreNoLongerReported() {
    loop.run(putOrg("acme", 1));
    loop.run(putOrg("other", 1));
    loop.run(call("acme", "c1"));
    loop.run(call("other", "c1"));
    loop.run(release("acme", "c1"));
    assertEquals(Map.of(org("acme"), 0L, org("other"), 1L), sums("admission.pool.in_use"));

    loop.run(new io.admission.server.engine.Commands.DeleteOrg("acme"));

    assertEquals(Map.of(org("other"), 1L), sums("admission.pool.in_use"));
    assertEquals(Map.of(org("other"), 0L), sums("admission.queue.waiters"));
    loop.run(new io.admission.server.engine.Commands.DeleteOrg("acme")); // unknown: no effect
    loop.run(putOrg("acme", 1));
    loop.run(call("acme", "c1"));
    assertEquals(Map.of(org("acme"), 1L, org("other"), 1L), sums("admission.pool.in_use"),
        "an org created again with the id starts from 0");
  }

  @Test
  void expiredLeasesAreCountedPerOrg() {
    loop.run(putOrg("leaky", 3));
    loop.run(call("leaky", "c1", "", CallType.INBOUND, "", "", 2 * SECOND, 0));
    loop.run(call("leaky", "c2", "", CallType.INBOUND, "", "", 60 * SECOND, 0));
    loop.at(3 * SECOND);
    assertEquals(Map.of(org("leaky"), 1L), sums("admission.lease.expiries"));
    assertEquals(Map.of(org("leaky"), 1L), sums("admission.pool.in_use"));
    loop.run(release("leaky", "c2"));
    assertEquals(Map.of(org("leaky"), 1L), sums("admission.lease.expiries"), "a release is no expiry");
  }

  @Test
  void everyTurnRecordsItsBatchSizeAndDuration() {
    loop.run(putOrg("acme", 5));
    for (int i = 0; i < 3; i++) {
      loop.loop.submit(call("acme", "c" + i), new io.admission.server.loop.Reply<Object>() {
        @Override
        public void ok(Object result) {}

        @Override
        public void failed(Throwable error) {}
      });
    }
    loop.loop.step(); // one turn with three tasks

    HistogramPointData batches = histogram("admission.loop.batch.size").get(Attributes.empty());
    assertEquals(2, batches.getCount(), "two turns");
    assertEquals(4.0, batches.getSum(), 1e-9, "1 task, then 3");
    HistogramPointData turns = histogram("admission.loop.turn.duration").get(Attributes.empty());
    assertEquals(2, turns.getCount());
    assertTrue(turns.getSum() > 0 && turns.getSum() < 10, "seconds, not nanoseconds: " + turns.getSum());
  }

  @Test
  void aRestartedServerStartsTheGaugesFromTheRecoveredEngine() {
    loop.run(putOrg("acme", 2));
    loop.run(call("acme", "c1"));
    loop.run(call("acme", "c2"));
    loop.run(call("acme", "c3"));
    loop.run(putOrg("idle", 2));

    // A second set of metrics over the same engine, as Main builds them after recovery.
    InMemoryMetricReader restarted = InMemoryMetricReader.create();
    try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(restarted).build())
        .build()) {
      AdmissionMetrics metrics = new AdmissionMetrics(sdk);
      metrics.seed(loop.engine, loop.now());
      Collection<MetricData> data = restarted.collectAllMetrics();
      assertEquals(Map.of(org("acme"), 2L, org("idle"), 0L), sums(data, "admission.pool.in_use"));
      assertEquals(Map.of(org("acme"), 1L, org("idle"), 0L), sums(data, "admission.queue.waiters"));
      assertEquals(Map.of(org("acme"), 2L, org("idle"), 2L), gauges(data, "admission.pool.limit"));
      assertEquals(Map.of(org("acme"), 0L, org("idle"), 0L), gauges(data, "admission.pool.reserved"));
    }
  }

  @Test
  void anOrgIsReportedFromItsCreationWithItsLimitAndReservations() {
    loop.run(putOrg("acme", 10));
    assertEquals(Map.of(org("acme"), 10L), gauges("admission.pool.limit"), "before any call");
    assertEquals(Map.of(org("acme"), 0L), gauges("admission.pool.reserved"));
    assertEquals(Map.of(org("acme"), 0L), sums("admission.pool.in_use"));
    assertEquals(Map.of(org("acme"), 0L), sums("admission.queue.waiters"));

    loop.run(new Commands.SetReservation("acme", "support", CallType.INBOUND, 4));
    loop.run(new Commands.SetReservation("acme", "sales", CallType.OUTBOUND, 3));
    assertEquals(Map.of(org("acme"), 7L), gauges("admission.pool.reserved"));
    assertInstanceOf(Rejection.class, loop.run(new Commands.SetReservation("acme", "sales", CallType.OUTBOUND, 30)),
        "over the limit: refused, nothing changes");
    assertEquals(Map.of(org("acme"), 7L), gauges("admission.pool.reserved"));
    loop.run(new Commands.RemoveAgent("acme", "support"));
    assertEquals(Map.of(org("acme"), 3L), gauges("admission.pool.reserved"));

    loop.run(new Commands.UpdateOrg(putOrg("acme", 12).org(), Set.of(OrgField.CONCURRENCY_LIMIT)));
    assertEquals(Map.of(org("acme"), 12L), gauges("admission.pool.limit"));
    assertEquals(Map.of(org("acme"), 3L), gauges("admission.pool.reserved"), "a new limit keeps the reservations");

    loop.run(putOrg("acme", 5)); // PutOrg replaces the settings; reservations stay
    assertEquals(Map.of(org("acme"), 5L), gauges("admission.pool.limit"));
    assertEquals(Map.of(org("acme"), 3L), gauges("admission.pool.reserved"));
  }

  @Test
  void everyOrgOfAConfigFileIsReportedOnceItIsApplied() {
    loop.run(new Commands.ApplyConfig(List.of(
        new Commands.OrgSetup(putOrg("acme", 20).org(),
            List.of(new Results.Reservation("support", CallType.INBOUND, 8),
                new Results.Reservation("payments", CallType.OUTBOUND, 4)), List.of(), List.of()),
        new Commands.OrgSetup(putOrg("tiny", 2).org(), List.of(), List.of(), List.of()))));
    assertEquals(Map.of(org("acme"), 20L, org("tiny"), 2L), gauges("admission.pool.limit"));
    assertEquals(Map.of(org("acme"), 12L, org("tiny"), 0L), gauges("admission.pool.reserved"));
    assertEquals(Map.of(org("acme"), 0L, org("tiny"), 0L), sums("admission.pool.in_use"));
    assertEquals(Map.of(org("acme"), 0L, org("tiny"), 0L), sums("admission.queue.waiters"));

    loop.run(new Commands.DeleteOrg("tiny"));
    assertEquals(Map.of(org("acme"), 20L), gauges("admission.pool.limit"), "a deleted org's series end");
    assertEquals(Map.of(org("acme"), 12L), gauges("admission.pool.reserved"));
  }

  @Test
  void withoutAnSdkTheObserverIsANoOp() {
    SteppedLoop plain = new SteppedLoop();
    plain.loop.observe(new AdmissionMetrics(OpenTelemetry.noop()));
    plain.run(putOrg("acme", 1));
    assertInstanceOf(Results.Granted.class, plain.run(call("acme", "c1")));
    assertInstanceOf(Results.Held.class, plain.run(call("acme", "c2")));
    plain.run(release("acme", "c1"));
    plain.close();
    assertTrue(reader.collectAllMetrics().isEmpty(), "nothing was recorded anywhere");
  }

  // ---- Reading metrics --------------------------------------------------------------------

  private Map<Attributes, Long> sums(String name) {
    return sums(reader.collectAllMetrics(), name);
  }

  private static Map<Attributes, Long> sums(Collection<MetricData> data, String name) {
    MetricData metric = find(data, name);
    return metric.getLongSumData().getPoints().stream()
        .collect(Collectors.toMap(LongPointData::getAttributes, LongPointData::getValue));
  }

  private Map<Attributes, Long> gauges(String name) {
    return gauges(reader.collectAllMetrics(), name);
  }

  private static Map<Attributes, Long> gauges(Collection<MetricData> data, String name) {
    return find(data, name).getLongGaugeData().getPoints().stream()
        .collect(Collectors.toMap(LongPointData::getAttributes, LongPointData::getValue));
  }

  private Map<Attributes, HistogramPointData> histogram(String name) {
    MetricData metric = find(reader.collectAllMetrics(), name);
    return metric.getHistogramData().getPoints().stream()
        .collect(Collectors.toMap(HistogramPointData::getAttributes, p -> p));
  }

  private static MetricData find(Collection<MetricData> data, String name) {
    List<MetricData> found = data.stream().filter(m -> m.getName().equals(name)).toList();
    assertEquals(1, found.size(), () -> name + " among " + data.stream().map(MetricData::getName)
        .collect(Collectors.toCollection(java.util.TreeSet::new)));
    assertNotNull(found.get(0));
    return found.get(0);
  }

  private static Attributes org(String orgId) {
    return Attributes.of(AdmissionMetrics.ORG, orgId);
  }

  private static Attributes attrs(String... keysAndValues) {
    var b = Attributes.builder();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      b.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return b.build();
  }
}
