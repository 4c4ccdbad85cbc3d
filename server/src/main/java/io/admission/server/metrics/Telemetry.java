package io.admission.server.metrics;

import io.grpc.ServerBuilder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.prometheus.PrometheusHttpServer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.ExemplarFilter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.resources.Resource;
import java.net.InetSocketAddress;

/**
 * The OpenTelemetry behind the server's metrics. {@link #off()} is the API's no-op: instruments
 * record nothing and nothing else is installed. {@link #prometheus} wires the SDK with a
 * Prometheus exporter serving {@code http://HOST:PORT/metrics} and adds gRPC's server metrics
 * ({@link RpcMetrics}: rpc durations by method and status).
 */
public final class Telemetry implements AutoCloseable {
  private final OpenTelemetry openTelemetry;
  private final OpenTelemetrySdk sdk; // null when off

  private Telemetry(OpenTelemetry openTelemetry, OpenTelemetrySdk sdk) {
    this.openTelemetry = openTelemetry;
    this.sdk = sdk;
  }

  /** No metrics: the API's no-op implementation, nothing served. */
  public static Telemetry off() {
    return new Telemetry(OpenTelemetry.noop(), null);
  }

  /** Metrics served for Prometheus to scrape at {@code http://address/metrics}. */
  public static Telemetry prometheus(InetSocketAddress address) {
    PrometheusHttpServer exporter = PrometheusHttpServer.builder()
        .setHost(address.getHostString())
        .setPort(address.getPort())
        .build();
    SdkMeterProvider meters = SdkMeterProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(
            Attributes.of(AttributeKey.stringKey("service.name"), "admission-server"))))
        .registerMetricReader(exporter)
        // No traces are recorded, so exemplars would only carry request attributes (and make the
        // exporter log about their length at every scrape).
        .setExemplarFilter(ExemplarFilter.alwaysOff())
        .build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setMeterProvider(meters).build();
    return new Telemetry(sdk, sdk);
  }

  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  public boolean enabled() {
    return sdk != null;
  }

  /** Adds the gRPC server metrics interceptor when metrics are on; else leaves the builder be. */
  public <T extends ServerBuilder<T>> T instrument(T builder) {
    return enabled() ? builder.intercept(new RpcMetrics(openTelemetry)) : builder;
  }

  /** Stops the exporter's HTTP server. */
  @Override
  public void close() {
    if (sdk != null) {
      sdk.close();
    }
  }
}
