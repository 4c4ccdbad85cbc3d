package io.admission.bench.load;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.SessionEvent;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission through Session streams: every caller's Acquire and Release on a few long-lived
 * streams (default one) over one channel, matched to their callers by id — the way a switch
 * pipelines all its calls, instead of one HTTP/2 stream per request. Same requests as {@link
 * GrpcTarget}; a held call's dispatch arrives on its session.
 */
public final class GrpcSessionTarget implements LoadTarget {
  private final ClientChannel client;
  private final AdmissionServiceGrpc.AdmissionServiceStub stub;
  private final String orgId;
  private final Stream[] streams;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicLong ids = new AtomicLong();
  /** Each request in flight, by id, with what to do with its answer. */
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  /** Held calls whose dispatch a caller waits for, by call id. */
  private final Map<String, Callback<Void>> waiters = new ConcurrentHashMap<>();

  /** What an answer completes. */
  private record Pending(Callback<Object> callback, boolean acquire) {}

  public GrpcSessionTarget(String host, int port, String orgId, int streamCount) {
    this.client = new ClientChannel(host, port);
    this.stub = AdmissionServiceGrpc.newStub(client.channel);
    this.orgId = orgId;
    this.streams = new Stream[streamCount];
    for (int i = 0; i < streamCount; i++) {
      streams[i] = new Stream();
    }
  }

  @Override
  public void acquire(String callId, Callback<Outcome> callback) {
    send(SessionRequest.newBuilder().setAcquire(AcquireRequest.newBuilder()
        .setOrgId(orgId)
        .setCallId(callId)
        .setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(GrpcTarget.LEASE_TTL)), callback, true);
  }

  @Override
  public void release(String callId, Callback<Void> callback) {
    send(SessionRequest.newBuilder().setRelease(
        ReleaseRequest.newBuilder().setOrgId(orgId).setCallId(callId)), callback, false);
  }

  /**
   * Completes on the session's own dispatch event. The HELD answer's callback registers this
   * before the stream reads its next message, and a call's event always follows its answer on
   * the stream that acquired it, so no event comes too early.
   */
  @Override
  public void waitForSlot(String callId, Callback<Void> callback) {
    waiters.put(callId, callback);
  }

  @SuppressWarnings("unchecked")
  private void send(SessionRequest.Builder request, Callback<?> callback, boolean acquire) {
    long id = ids.incrementAndGet();
    pending.put(id, new Pending((Callback<Object>) callback, acquire));
    streams[Math.floorMod(next.getAndIncrement(), streams.length)].send(request.setId(id).build());
  }

  private void answered(SessionResponse response) {
    if (response.hasEvent()) {
      dispatched(response.getEvent());
      return;
    }
    Pending p = pending.remove(response.getId());
    if (p == null) {
      return;
    }
    if (response.hasError()) {
      p.callback().failed(new IllegalStateException("refused: " + response.getError()));
    } else if (!p.acquire()) {
      p.callback().done(null);
    } else {
      switch (response.getAcquire().getOutcome()) {
        case OUTCOME_GRANTED -> p.callback().done(Outcome.GRANTED);
        case OUTCOME_HELD -> p.callback().done(Outcome.HELD);
        default -> p.callback().failed(new IllegalStateException("unexpected answer: " + response));
      }
    }
  }

  private void dispatched(SessionEvent event) {
    if (event.getChange().hasHeld()) {
      return; // still waiting
    }
    Callback<Void> waiter = waiters.remove(event.getCallId());
    if (waiter == null) {
      return;
    }
    if (event.getChange().hasDispatched()) {
      waiter.done(null);
    } else {
      waiter.failed(new IllegalStateException("wait ended without a lease: " + event));
    }
  }

  private void failAll(Throwable t) {
    for (Long id : pending.keySet()) {
      Pending p = pending.remove(id);
      if (p != null) {
        p.callback().failed(t);
      }
    }
  }

  @Override
  public Executor ioThread() {
    return client.ioThread();
  }

  @Override
  public void close() {
    for (Stream s : streams) {
      s.end();
    }
    client.close();
  }

  /** One Session stream; callers on any thread, so sends are serialized. */
  private final class Stream implements StreamObserver<SessionResponse> {
    private final StreamObserver<SessionRequest> requests = stub.session(this);

    synchronized void send(SessionRequest request) {
      requests.onNext(request);
    }

    synchronized void end() {
      requests.onCompleted();
    }

    @Override
    public void onNext(SessionResponse response) {
      answered(response);
    }

    @Override
    public void onError(Throwable t) {
      failAll(t);
    }

    @Override
    public void onCompleted() {
      failAll(new IllegalStateException("the session ended"));
    }
  }
}
