package io.admission.bench.load;

import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Admission through a Session stream: every caller's Acquire and Release on one long-lived stream, answers
 * matched by id — as a switch pipelines its calls, not one HTTP/2 stream per request. Same requests, channel
 * and thread as {@link GrpcTarget}. Only the load uses it, whose calls are always granted: no dispatch event
 * is awaited.
 */
public final class GrpcSessionTarget extends GrpcTarget implements StreamObserver<SessionResponse> {
  /** The stream's requests; callers send from any thread, so sends are serialized on it. */
  private final StreamObserver<SessionRequest> requests;
  private final AtomicLong ids = new AtomicLong();
  /** Each request in flight, by id, with what to do with its answer. */
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();

  private record Pending(Consumer<SessionResponse> answered, Consumer<Throwable> failed) {}

  GrpcSessionTarget(String address, String orgId) {
    super(address, orgId, false);
    this.requests = AdmissionServiceGrpc.newStub(channels.get(0)).session(this);
  }

  @Override
  public void acquire(String callId, Consumer<Outcome> done, Consumer<Throwable> failed) {
    send(SessionRequest.newBuilder().setAcquire(acquireRequest(orgOf(callId), callId)),
        new Pending(r -> outcome(r.getAcquire(), done, failed), failed));
  }

  @Override
  public void release(String callId, Runnable done, Consumer<Throwable> failed) {
    send(SessionRequest.newBuilder().setRelease(ReleaseRequest.newBuilder().setOrgId(orgOf(callId)).setCallId(callId)),
        new Pending(r -> done.run(), failed));
  }

  private void send(SessionRequest.Builder request, Pending answer) {
    long id = ids.incrementAndGet();
    pending.put(id, answer);
    synchronized (requests) {
      requests.onNext(request.setId(id).build());
    }
  }

  @Override
  public void onNext(SessionResponse response) {
    Pending p = response.hasEvent() ? null : pending.remove(response.getId());
    if (p != null && response.hasError()) {
      p.failed().accept(new IllegalStateException("refused: " + response.getError()));
    } else if (p != null) {
      p.answered().accept(response);
    }
  }

  @Override
  public void onError(Throwable t) {
    pending.keySet().forEach(id -> Optional.ofNullable(pending.remove(id)).ifPresent(p -> p.failed().accept(t)));
  }

  @Override
  public void onCompleted() {
    onError(new IllegalStateException("the session ended"));
  }

  @Override
  public void close() {
    synchronized (requests) {
      requests.onCompleted();
    }
    super.close();
  }
}
