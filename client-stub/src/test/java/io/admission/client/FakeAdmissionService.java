package io.admission.client;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.Hold;
import io.admission.v1.HoldReason;
import io.admission.v1.Lease;
import io.admission.v1.Outcome;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.admission.v1.RenewRequest;
import io.admission.v1.RenewResponse;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A TEST DOUBLE of AdmissionService, not the real server: it decides nothing. Acquire grants
 * unless the test scripted another answer for the call id; every WaitForSlot stream is handed to
 * the test to push events into; Renew renews exactly the calls it granted and not forgot; every
 * Renew and Release request is recorded for the test to inspect.
 */
public final class FakeAdmissionService extends AdmissionServiceGrpc.AdmissionServiceImplBase {
  private final Map<String, AcquireResponse> scriptedAnswers = new ConcurrentHashMap<>();
  private final Map<String, Status> scriptedErrors = new ConcurrentHashMap<>();
  private final Map<String, Lease> activeLeases = new ConcurrentHashMap<>();
  private final BlockingQueue<WaitStream> waitStreams = new LinkedBlockingQueue<>();
  private final BlockingQueue<RenewRequest> renewRequests = new LinkedBlockingQueue<>();
  private final BlockingQueue<ReleaseRequest> releaseRequests = new LinkedBlockingQueue<>();

  /** Acquire of {@code callId} answers {@code response} (and stays unaware of any lease). */
  public void answerAcquire(String callId, AcquireResponse response) {
    scriptedAnswers.put(callId, response);
  }

  /** Acquire of {@code callId} fails with {@code status}. */
  public void failAcquire(String callId, Status status) {
    scriptedErrors.put(callId, status);
  }

  /** From now on Renew lists the call as unknown, as if its lease had expired. */
  public void forget(String orgId, String callId) {
    activeLeases.remove(orgId + "/" + callId);
  }

  /** The next WaitForSlot stream opened, waiting up to 5 s. */
  public WaitStream nextWaitStream() throws InterruptedException {
    return take(waitStreams, "WaitForSlot stream");
  }

  /** The next Renew request received, waiting up to 5 s. */
  public RenewRequest nextRenew() throws InterruptedException {
    return take(renewRequests, "Renew request");
  }

  /** Forgets the Renew requests received so far. */
  public void clearRenews() {
    renewRequests.clear();
  }

  /** The next Release request received, waiting up to 5 s. */
  public ReleaseRequest nextRelease() throws InterruptedException {
    return take(releaseRequests, "Release request");
  }

  public static Lease lease(String orgId, String callId, Duration ttl) {
    long now = System.currentTimeMillis();
    return Lease.newBuilder()
        .setOrgId(orgId)
        .setCallId(callId)
        .setGrantedAt(Timestamps.fromMillis(now))
        .setExpiresAt(Timestamps.fromMillis(now + ttl.toMillis()))
        .setTtl(Durations.fromMillis(ttl.toMillis()))
        .build();
  }

  public static Hold hold(int position) {
    return Hold.newBuilder()
        .setReason(HoldReason.HOLD_REASON_ORG_POOL_FULL)
        .setMessage("held: every slot is busy; position " + position)
        .setPosition(position)
        .build();
  }

  public static AcquireResponse heldAnswer(int position) {
    return AcquireResponse.newBuilder()
        .setOutcome(Outcome.OUTCOME_HELD)
        .setHold(hold(position))
        .build();
  }

  @Override
  public void acquire(AcquireRequest request, StreamObserver<AcquireResponse> response) {
    Status error = scriptedErrors.get(request.getCallId());
    if (error != null) {
      response.onError(error.asRuntimeException());
      return;
    }
    AcquireResponse answer = scriptedAnswers.get(request.getCallId());
    if (answer == null) {
      Duration ttl = request.hasLeaseTtl()
          ? Duration.ofMillis(Durations.toMillis(request.getLeaseTtl()))
          : Duration.ofHours(1);
      Lease lease = lease(request.getOrgId(), request.getCallId(), ttl);
      activeLeases.put(key(lease), lease);
      answer = AcquireResponse.newBuilder()
          .setOutcome(Outcome.OUTCOME_GRANTED)
          .setLease(lease)
          .build();
    }
    response.onNext(answer);
    response.onCompleted();
  }

  @Override
  public void waitForSlot(
      WaitForSlotRequest request, StreamObserver<WaitForSlotResponse> response) {
    waitStreams.add(new WaitStream(request, response));
  }

  @Override
  public void renew(RenewRequest request, StreamObserver<RenewResponse> response) {
    renewRequests.add(request);
    RenewResponse.Builder answer = RenewResponse.newBuilder();
    for (String callId : request.getCallIdsList()) {
      Lease lease = activeLeases.get(request.getOrgId() + "/" + callId);
      if (lease == null) {
        answer.addUnknownCallIds(callId);
      } else {
        answer.addLeases(lease);
      }
    }
    response.onNext(answer.build());
    response.onCompleted();
  }

  @Override
  public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> response) {
    releaseRequests.add(request);
    boolean active = activeLeases.remove(request.getOrgId() + "/" + request.getCallId()) != null;
    response.onNext(ReleaseResponse.newBuilder()
        .setEffect(active
            ? ReleaseEffect.RELEASE_EFFECT_RELEASED
            : ReleaseEffect.RELEASE_EFFECT_NOT_ACTIVE)
        .build());
    response.onCompleted();
  }

  private static String key(Lease lease) {
    return lease.getOrgId() + "/" + lease.getCallId();
  }

  private static <T> T take(BlockingQueue<T> queue, String what) throws InterruptedException {
    T next = queue.poll(5, TimeUnit.SECONDS);
    if (next == null) {
      throw new AssertionError("no " + what + " within 5 s");
    }
    return next;
  }

  /** One open WaitForSlot stream, driven by the test. */
  public final class WaitStream {
    private final WaitForSlotRequest request;
    private final StreamObserver<WaitForSlotResponse> events;

    WaitStream(WaitForSlotRequest request, StreamObserver<WaitForSlotResponse> events) {
      this.request = request;
      this.events = events;
    }

    public WaitForSlotRequest request() {
      return request;
    }

    public void held(Hold hold) {
      events.onNext(WaitForSlotResponse.newBuilder().setHeld(hold).build());
    }

    /** Grants the call (Renew will know it) and ends the stream with its lease. */
    public Lease dispatch(Duration ttl) {
      Lease lease = lease(request.getOrgId(), request.getCallId(), ttl);
      activeLeases.put(key(lease), lease);
      end(WaitForSlotResponse.newBuilder().setDispatched(lease).build());
      return lease;
    }

    public void end(WaitForSlotResponse terminalEvent) {
      events.onNext(terminalEvent);
      events.onCompleted();
    }

    public void breakWith(Status status) {
      events.onError(status.asRuntimeException());
    }
  }
}
