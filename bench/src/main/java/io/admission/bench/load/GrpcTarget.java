package io.admission.bench.load;

import com.google.protobuf.Duration;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceStub;
import io.admission.v1.CallType;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The generated AdmissionService client, unary calls, on a {@link ClientChannel} per server: Admission or the
 * no-op service (same requests and responses), or a cluster's nodes: {@code cluster@} spreads calls over them by
 * call id, as from a client of all of them (every node serves every request, a follower handing writes to the
 * leader; a Release goes where its Acquire went); {@code client@} goes through the Java client's channel, to the
 * leader while one says it leads.
 */
public final class GrpcTarget implements LoadTarget {
  /** The lease a benchmark call asks for: long enough never to expire during a run. */
  private static final Duration LEASE_TTL = Duration.newBuilder().setSeconds(3600).build();

  private final List<ClientChannel> channels;
  private final AdmissionServiceStub[] stubs;
  /** The orgs the calls are spread over (one, usually). */
  private final String[] orgIds;

  /** {@code addresses}: HOST:PORT, or a cluster's, comma-separated; {@code orgIds}: one org id, or several likewise. */
  public GrpcTarget(String addresses, String orgIds) {
    this(Arrays.stream(addresses.split(",")).map(ClientChannel::new).toList(), orgIds);
  }

  private GrpcTarget(List<ClientChannel> channels, String orgIds) {
    this.channels = channels;
    this.stubs = channels.stream().map(c -> AdmissionServiceGrpc.newStub(c.channel)).toArray(AdmissionServiceStub[]::new);
    this.orgIds = orgIds.split(",");
  }

  /** A cluster ("host:port,host:port,...") through the Java client's one channel. */
  static GrpcTarget javaClient(String addresses, String orgIds) {
    return new GrpcTarget(List.of(ClientChannel.javaClient(addresses)), orgIds);
  }

  private AdmissionServiceStub stub(String callId) {
    return stubs[Math.floorMod(callId.hashCode(), stubs.length)];
  }

  /** A call's org, by its id; the bits reversed so that the choice does not follow the choice of node. */
  private String orgOf(String callId) {
    return orgIds[Math.floorMod(Integer.reverse(callId.hashCode()), orgIds.length)];
  }

  static AcquireRequest acquireRequest(String orgId, String callId) {
    return AcquireRequest.newBuilder().setOrgId(orgId).setCallId(callId).setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(LEASE_TTL).build();
  }

  /** GRANTED or HELD to {@code done}; any other outcome of {@code response} is a failure. */
  static void outcome(AcquireResponse response, Consumer<Outcome> done, Consumer<Throwable> failed) {
    switch (response.getOutcome()) {
      case OUTCOME_GRANTED -> done.accept(Outcome.GRANTED);
      case OUTCOME_HELD -> done.accept(Outcome.HELD);
      default -> failed.accept(new IllegalStateException("unexpected answer: " + response));
    }
  }

  @Override
  public void acquire(String callId, Consumer<Outcome> done, Consumer<Throwable> failed) {
    AcquireRequest request = acquireRequest(orgOf(callId), callId);
    Context.ROOT.run(() -> stub(callId).acquire(request, unary(response -> outcome(response, done, failed), failed)));
  }

  @Override
  public void release(String callId, Runnable done, Consumer<Throwable> failed) {
    ReleaseRequest request = ReleaseRequest.newBuilder().setOrgId(orgOf(callId)).setCallId(callId).build();
    Context.ROOT.run(() -> stub(callId).release(request, unary(response -> done.run(), failed)));
  }

  /**
   * A unary call's observer: its response once the call completed, or its error. Calls start in {@code
   * Context.ROOT}, not in the previous call's callback context: with OpenTelemetry's context bridge on the
   * classpath each caller's chain of contexts grew by a link per request.
   */
  static <R> StreamObserver<R> unary(Consumer<R> answered, Consumer<Throwable> failed) {
    return new StreamObserver<>() {
      private R response;

      @Override
      public void onNext(R value) {
        response = value;
      }

      @Override
      public void onError(Throwable t) {
        failed.accept(t);
      }

      @Override
      public void onCompleted() {
        answered.accept(response);
      }
    };
  }

  /** Dispatched the moment the lease arrives, not at the stream's end, which follows it. */
  @Override
  public void waitForSlot(String callId, Runnable dispatched, Consumer<Throwable> failed) {
    WaitForSlotRequest request = WaitForSlotRequest.newBuilder().setOrgId(orgOf(callId)).setCallId(callId).build();
    stub(callId).waitForSlot(request, new StreamObserver<WaitForSlotResponse>() {
      @Override
      public void onNext(WaitForSlotResponse event) {
        if (event.hasDispatched()) {
          dispatched.run();
        } else if (!event.hasHeld()) {
          failed.accept(new IllegalStateException("wait ended without a lease: " + event));
        }
      }

      @Override
      public void onError(Throwable t) {
        failed.accept(t);
      }

      @Override
      public void onCompleted() {}
    });
  }

  /** The first server's transport thread: only the contended run sends from it, to one server. */
  @Override
  public Executor ioThread() {
    return channels.get(0).ioThread();
  }

  @Override
  public void close() {
    channels.forEach(ClientChannel::close);
  }
}
