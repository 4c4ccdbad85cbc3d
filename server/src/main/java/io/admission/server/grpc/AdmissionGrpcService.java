package io.admission.server.grpc;

import io.admission.server.api.Requests;
import io.admission.server.api.Responses;
import io.admission.server.api.InvalidRequest;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.admission.v1.RenewRequest;
import io.admission.v1.RenewResponse;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** AdmissionService: Acquire, WaitForSlot, Release, Renew, Session — translate, enqueue, answer. */
public final class AdmissionGrpcService extends AdmissionServiceGrpc.AdmissionServiceImplBase {
  private final Loops loops;
  private final BoundSessions sessions;

  /** @param sessions the sessions calls may be bound to; null: none */
  public AdmissionGrpcService(EventLoop loop, BoundSessions sessions) {
    this(Loops.of(loop), sessions);
  }

  /** Each org's requests go to its group's loop. */
  public AdmissionGrpcService(Loops loops, BoundSessions sessions) {
    this.loops = loops;
    this.sessions = sessions;
  }

  @Override
  public void acquire(AcquireRequest request, StreamObserver<AcquireResponse> observer) {
    Answers.command(loops, () -> Requests.acquire(request), observer, Responses::acquired);
  }

  @Override
  public void waitForSlot(WaitForSlotRequest request, StreamObserver<WaitForSlotResponse> observer) {
    String orgId;
    String callId;
    try {
      orgId = Requests.id("org_id", request.getOrgId());
      callId = Requests.id("call_id", request.getCallId());
    } catch (InvalidRequest e) {
      observer.onError(StatusMapper.invalid(e));
      return;
    }
    var serverObserver = (ServerCallStreamObserver<WaitForSlotResponse>) observer;
    WaitForSlotStream stream = new WaitForSlotStream(serverObserver);
    EventLoop loop = loops.of(orgId);
    serverObserver.setOnCancelHandler(() -> loop.unwatch(orgId, callId, stream));
    if (!loop.watch(orgId, callId, stream)) {
      observer.onError(StatusMapper.busy());
    }
  }

  /** One stream for many calls' requests and their held calls' events: see {@link SessionStream}. */
  @Override
  public StreamObserver<SessionRequest> session(StreamObserver<SessionResponse> observer) {
    return SessionStream.open(loops, sessions, (ServerCallStreamObserver<SessionResponse>) observer);
  }

  @Override
  public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> observer) {
    Answers.command(loops, () -> Requests.release(request), observer, Responses::released);
  }

  @Override
  public void renew(RenewRequest request, StreamObserver<RenewResponse> observer) {
    Answers.command(loops, () -> Requests.renew(request), observer, Responses::renewed);
  }
}
