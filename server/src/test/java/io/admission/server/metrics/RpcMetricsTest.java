package io.admission.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** gRPC's server metrics as {@link RpcMetrics} records them, from calls through a real server. */
class RpcMetricsTest {
  private final InMemoryMetricReader reader = InMemoryMetricReader.create();
  private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(reader).build())
      .build();
  private final HealthStatusManager health = new HealthStatusManager();
  private final String name = InProcessServerBuilder.generateName();
  private final Server server;
  private final ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();

  RpcMetricsTest() throws Exception {
    health.setStatus("admission", ServingStatus.SERVING);
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(health.getHealthService()).intercept(new RpcMetrics(otel)).build().start();
  }

  @AfterEach
  void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    otel.close();
  }

  private static Attributes call(String method, long status) {
    return Attributes.of(RpcMetrics.RPC_SYSTEM, "grpc", RpcMetrics.RPC_SERVICE, "grpc.health.v1.Health",
        RpcMetrics.RPC_METHOD, method, RpcMetrics.RPC_GRPC_STATUS_CODE, status);
  }

  @Test
  void everyCallIsTimedByMethodAndStatusInMilliseconds() {
    var stub = HealthGrpc.newBlockingStub(channel);
    for (int i = 0; i < 3; i++) {
      stub.check(HealthCheckRequest.newBuilder().setService("admission").build());
    }
    assertThrows(StatusRuntimeException.class,
        () -> stub.check(HealthCheckRequest.newBuilder().setService("nowhere").build()));

    MetricData duration = metric("rpc.server.duration");
    assertEquals("ms", duration.getUnit());
    Map<Attributes, Long> counts = duration.getHistogramData().getPoints().stream()
        .collect(Collectors.toMap(HistogramPointData::getAttributes, HistogramPointData::getCount));
    assertEquals(Map.of(call("Check", 0), 3L, call("Check", 5), 1L), counts, "OK and NOT_FOUND");
  }

  @Test
  void aStreamTheClientCancelsIsTimedOnceAsCancelled() throws Exception {
    CountDownLatch first = new CountDownLatch(1);
    var context = io.grpc.Context.current().withCancellation();
    context.run(() -> HealthGrpc.newStub(channel).watch(
        HealthCheckRequest.newBuilder().setService("admission").build(),
        new StreamObserver<HealthCheckResponse>() {
          @Override
          public void onNext(HealthCheckResponse value) {
            first.countDown();
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        }));
    assertTrue(first.await(5, TimeUnit.SECONDS));
    context.cancel(null);
    for (int i = 0; i < 100 && reader.collectAllMetrics().isEmpty(); i++) {
      Thread.sleep(20);
    }
    Thread.sleep(100); // a second recording, if there were one, would come now
    Map<Attributes, Long> counts = metric("rpc.server.duration").getHistogramData().getPoints().stream()
        .collect(Collectors.toMap(HistogramPointData::getAttributes, HistogramPointData::getCount));
    assertEquals(Map.of(call("Watch", 1), 1L), counts);
  }

  @Test
  void messageSizesAreRecordedForASampleOfCalls() {
    var stub = HealthGrpc.newBlockingStub(channel);
    HealthCheckRequest request = HealthCheckRequest.newBuilder().setService("admission").build();
    int calls = 400;
    for (int i = 0; i < calls; i++) {
      stub.check(request);
    }
    Attributes method = Attributes.of(RpcMetrics.RPC_SYSTEM, "grpc", RpcMetrics.RPC_SERVICE,
        "grpc.health.v1.Health", RpcMetrics.RPC_METHOD, "Check");
    HistogramPointData requests = metric("rpc.server.request.size").getHistogramData().getPoints().stream()
        .filter(p -> p.getAttributes().equals(method)).findFirst().orElseThrow();
    // One in 16: 25 expected; 400 calls make fewer than 5 or more than 60 vanishingly unlikely.
    assertTrue(requests.getCount() >= 5 && requests.getCount() <= 60, "sampled: " + requests.getCount());
    assertEquals(request.getSerializedSize() * requests.getCount(), requests.getSum(), 1e-9);
    HistogramPointData responses = metric("rpc.server.response.size").getHistogramData().getPoints().stream()
        .filter(p -> p.getAttributes().equals(method)).findFirst().orElseThrow();
    assertEquals(requests.getCount(), responses.getCount(), "a sampled call records both sizes");
    assertEquals(calls, metric("rpc.server.duration").getHistogramData().getPoints().iterator().next().getCount(),
        "while every call is timed");
  }

  private MetricData metric(String metricName) {
    return reader.collectAllMetrics().stream().filter(m -> m.getName().equals(metricName)).findFirst()
        .orElseThrow(() -> new AssertionError(metricName + " not recorded"));
  }
}
