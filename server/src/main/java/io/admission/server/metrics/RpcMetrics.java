package io.admission.server.metrics;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * gRPC's server metrics, under the names and units the OpenTelemetry gRPC instrumentation gives
 * them, at a fraction of its cost per call:
 *
 * <table>
 *   <caption>Instruments (Prometheus names in brackets)</caption>
 *   <tr><td>rpc.server.duration</td><td>histogram, ms [rpc_server_duration_milliseconds]: every
 *       call, from its start to its close or cancellation, by {@code rpc.system}, {@code
 *       rpc.service}, {@code rpc.method} and {@code rpc.grpc.status_code}</td></tr>
 *   <tr><td>rpc.server.request.size</td><td>histogram, bytes: request messages, by the same
 *       attributes but the status; sampled, one call in {@link #SIZE_SAMPLE}</td></tr>
 *   <tr><td>rpc.server.response.size</td><td>histogram, bytes: response messages, likewise</td></tr>
 * </table>
 *
 * <p>Why not that instrumentation: per call it built an OpenTelemetry context and its attribute
 * sets (the peer's address and port among them, sorted, in a fresh builder each time) and bridged
 * gRPC's context to OpenTelemetry's for every callback, all on the transport thread that also runs
 * the loop; at 256 callers that cost a third of the server's throughput. Here a call costs two
 * clock reads and one histogram record with an attribute set built once per method and status.
 * Message sizes are of interest as a distribution, which a sample shows as well; so only one call
 * in {@link #SIZE_SAMPLE} records them (their counts are of the sample, not of every call).
 */
final class RpcMetrics implements ServerInterceptor {
  /** One call in this many records its message sizes. */
  static final int SIZE_SAMPLE = 16;

  static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
  static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
  static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
  static final AttributeKey<Long> RPC_GRPC_STATUS_CODE = AttributeKey.longKey("rpc.grpc.status_code");

  private static final int CODES = Status.Code.values().length;

  private final DoubleHistogram duration;
  private final LongHistogram requestSize;
  private final LongHistogram responseSize;
  /** By full method name: the attribute sets per status code, and last the one without a status. */
  private final Map<String, Attributes[]> byMethod = new ConcurrentHashMap<>();

  RpcMetrics(OpenTelemetry openTelemetry) {
    Meter meter = openTelemetry.getMeter(AdmissionMetrics.SCOPE);
    duration = meter.histogramBuilder("rpc.server.duration").setUnit("ms")
        .setDescription("The duration of an inbound RPC invocation.").build();
    requestSize = meter.histogramBuilder("rpc.server.request.size").ofLongs().setUnit("By")
        .setDescription("Measures the size of RPC request messages (uncompressed), sampled.").build();
    responseSize = meter.histogramBuilder("rpc.server.response.size").ofLongs().setUnit("By")
        .setDescription("Measures the size of RPC response messages (uncompressed), sampled.").build();
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
      ServerCallHandler<Q, A> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Attributes[] attributes = byMethod.get(method);
    if (attributes == null) {
      attributes = byMethod.computeIfAbsent(method, RpcMetrics::attributes);
    }
    boolean sampled = ThreadLocalRandom.current().nextInt(SIZE_SAMPLE) == 0;
    Timed<Q, A> timed = new Timed<>(call, attributes, sampled);
    ServerCall.Listener<Q> listener = next.startCall(timed, headers);
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        if (timed.sampled) {
          requestSize.record(size(message), timed.attributes[CODES]);
        }
        super.onMessage(message);
      }

      @Override
      public void onCancel() {
        timed.ended(Status.Code.CANCELLED);
        super.onCancel();
      }
    };
  }

  private static Attributes[] attributes(String fullMethodName) {
    int slash = fullMethodName.lastIndexOf('/');
    String service = slash < 0 ? "" : fullMethodName.substring(0, slash);
    String method = fullMethodName.substring(slash + 1);
    Attributes[] a = new Attributes[CODES + 1];
    for (Status.Code code : Status.Code.values()) {
      a[code.ordinal()] = Attributes.of(RPC_SYSTEM, "grpc", RPC_SERVICE, service, RPC_METHOD, method,
          RPC_GRPC_STATUS_CODE, (long) code.value());
    }
    a[CODES] = Attributes.of(RPC_SYSTEM, "grpc", RPC_SERVICE, service, RPC_METHOD, method);
    return a;
  }

  private static long size(Object message) {
    return message instanceof MessageLite m ? m.getSerializedSize() : 0;
  }

  /** The call, timed from its start until it closes or is cancelled, whichever comes first. */
  private final class Timed<Q, A> extends SimpleForwardingServerCall<Q, A> {
    private static final AtomicIntegerFieldUpdater<Timed<?, ?>> ENDED =
        AtomicIntegerFieldUpdater.newUpdater(castTimed(), "ended");

    final long start = System.nanoTime();
    final Attributes[] attributes;
    final boolean sampled;
    private volatile int ended;

    Timed(ServerCall<Q, A> call, Attributes[] attributes, boolean sampled) {
      super(call);
      this.attributes = attributes;
      this.sampled = sampled;
    }

    @Override
    public void sendMessage(A message) {
      if (sampled) {
        responseSize.record(size(message), attributes[CODES]);
      }
      super.sendMessage(message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      ended(status.getCode());
      super.close(status, trailers);
    }

    /** Records the duration once: a call closed and then cancelled by its transport counts once. */
    void ended(Status.Code code) {
      if (ended == 0 && ENDED.compareAndSet(this, 0, 1)) {
        duration.record((System.nanoTime() - start) / 1e6, attributes[code.ordinal()]);
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Class<Timed<?, ?>> castTimed() {
    return (Class) Timed.class;
  }
}
