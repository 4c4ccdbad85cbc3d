package io.admission.bench.load;

import com.google.protobuf.Duration;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The generated AdmissionService client on one {@link ClientChannel}: one HTTP/2 connection,
 * callbacks on its transport thread. The same client drives Admission and the no-op service: same
 * requests, same responses.
 */
public final class GrpcTarget implements LoadTarget {
  /** The lease a benchmark call asks for: long enough never to expire during a run. */
  static final Duration LEASE_TTL = Duration.newBuilder().setSeconds(3600).build();

  private final ClientChannel client;
  private final AdmissionServiceGrpc.AdmissionServiceStub stub;
  /** The orgs the calls are spread over (one, usually). */
  private final String[] orgIds;

  /** {@code address}: HOST:PORT; {@code orgIds}: one org id, or several separated by commas. */
  public GrpcTarget(String address, String orgIds) {
    this.client = new ClientChannel(address);
    this.stub = AdmissionServiceGrpc.newStub(client.channel);
    this.orgIds = orgIds.split(",");
  }

  /**
   * A call's org, by its id: the same for its Acquire and its Release. The bits are reversed so
   * that the choice does not follow {@link ClusterTarget}'s choice of node (the hash modulo the nodes).
   */
  private String orgOf(String callId) {
    return orgIds[Math.floorMod(Integer.reverse(callId.hashCode()), orgIds.length)];
  }

  static AcquireRequest acquireRequest(String orgId, String callId) {
    return AcquireRequest.newBuilder().setOrgId(orgId).setCallId(callId).setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(LEASE_TTL).build();
  }

  @Override
  public void acquire(String callId, Callback<Outcome> callback) {
    AcquireRequest request = acquireRequest(orgOf(callId), callId);
    Context.ROOT.run(() -> stub.acquire(request, unary(response -> {
      switch (response.getOutcome()) {
        case OUTCOME_GRANTED -> callback.done(Outcome.GRANTED);
        case OUTCOME_HELD -> callback.done(Outcome.HELD);
        default -> callback.failed(new IllegalStateException("unexpected answer: " + response));
      }
    }, callback::failed)));
  }

  @Override
  public void release(String callId, Callback<Void> callback) {
    ReleaseRequest request = ReleaseRequest.newBuilder().setOrgId(orgOf(callId)).setCallId(callId).build();
    Context.ROOT.run(() -> stub.release(request, unary(response -> callback.done(null), callback::failed)));
  }

  /**
   * A unary call's observer: its one response once the call completed, or its error. Calls start
   * in {@code Context.ROOT}, not in the previous call's callback context: with OpenTelemetry's
   * context bridge on the classpath each caller's chain of contexts grew by a link per request.
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

  @Override
  public void waitForSlot(String callId, Callback<Void> callback) {
    WaitForSlotRequest request = WaitForSlotRequest.newBuilder().setOrgId(orgOf(callId)).setCallId(callId).build();
    stub.waitForSlot(request, new StreamObserver<WaitForSlotResponse>() {
      private boolean dispatched;

      @Override
      public void onNext(WaitForSlotResponse event) {
        if (event.hasDispatched() && !dispatched) {
          dispatched = true;
          callback.done(null); // the moment the lease arrives, not the stream's end
        } else if (!event.hasHeld() && !event.hasDispatched()) {
          callback.failed(new IllegalStateException("wait ended without a lease: " + event));
        }
      }

      @Override
      public void onError(Throwable t) {
        if (!dispatched) {
          callback.failed(t);
        }
      }

      @Override
      public void onCompleted() {}
    });
  }

  @Override
  public Executor ioThread() {
    return client.ioThread();
  }

  @Override
  public void close() {
    client.close();
  }
}
