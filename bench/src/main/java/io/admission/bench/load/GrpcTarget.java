package io.admission.bench.load;

import com.google.protobuf.Duration;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executor;
import java.util.function.Function;

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

  /** {@code orgIds}: one org id, or several separated by commas, the calls spread over them. */
  public GrpcTarget(String host, int port, String orgIds) {
    this.client = new ClientChannel(host, port);
    this.stub = AdmissionServiceGrpc.newStub(client.channel);
    this.orgIds = orgIds.split(",");
  }

  /**
   * A call's org, by its id: the same for its Acquire and its Release. The bits are reversed so
   * that the choice does not follow {@link ClusterTarget}'s choice of node, which takes the hash
   * modulo the nodes.
   */
  private String orgOf(String callId) {
    return orgIds.length == 1 ? orgIds[0]
        : orgIds[Math.floorMod(Integer.reverse(callId.hashCode()), orgIds.length)];
  }

  @Override
  public void acquire(String callId, Callback<Outcome> callback) {
    AcquireRequest request = AcquireRequest.newBuilder()
        .setOrgId(orgOf(callId))
        .setCallId(callId)
        .setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(LEASE_TTL)
        .build();
    inRootContext(() -> stub.acquire(request, unary(callback, (AcquireResponse response) ->
        switch (response.getOutcome()) {
          case OUTCOME_GRANTED -> Outcome.GRANTED;
          case OUTCOME_HELD -> Outcome.HELD;
          default -> throw new IllegalStateException("unexpected answer: " + response);
        })));
  }

  @Override
  public void release(String callId, Callback<Void> callback) {
    ReleaseRequest request = ReleaseRequest.newBuilder().setOrgId(orgOf(callId)).setCallId(callId).build();
    inRootContext(() -> stub.release(request, unary(callback, (ReleaseResponse response) -> null)));
  }

  /**
   * Starts a call outside any other call's context. A caller starts its next request from the
   * previous one's callback, where that call's context is current; the new call's context would be
   * its child, and with OpenTelemetry's gRPC context bridge on the classpath (it comes with the
   * server's dependencies) each caller's chain of contexts grew by one link per request for the
   * whole run — grpc-java logs "Context ancestry chain length is abnormally long" — costing the
   * client memory and CPU that no real client pays.
   */
  private static void inRootContext(Runnable start) {
    Context.ROOT.run(start);
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

  /** A unary call's observer: its one response made what the caller gets, then completion. */
  private static <R, T> StreamObserver<R> unary(Callback<T> callback, Function<R, T> answer) {
    return new StreamObserver<>() {
      private T result;
      private RuntimeException error;

      @Override
      public void onNext(R response) {
        try {
          result = answer.apply(response);
        } catch (RuntimeException e) {
          error = e;
        }
      }

      @Override
      public void onError(Throwable t) {
        callback.failed(t);
      }

      @Override
      public void onCompleted() {
        if (error != null) {
          callback.failed(error);
        } else {
          callback.done(result);
        }
      }
    };
  }
}
