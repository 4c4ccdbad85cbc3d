package io.admission.client;

import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceStub;
import io.admission.v1.Hold;
import io.admission.v1.Lease;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.lang.System.Logger.Level;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One call on its way to a lease: the Acquire answer and, while the call is held, a WaitForSlot
 * stream reopened with {@link Backoff} whenever it breaks, until the call is dispatched, denied,
 * expired or cancelled. Reopening loses nothing: the server's first event on a stream is always
 * the call's current state.
 *
 * <p>Whoever completes {@link #future()} first decides the outcome (a terminal event, a release,
 * a close); completing it also cancels the open stream. A lease that arrives after that has no
 * owner and is released at once rather than left to expire.
 *
 * <p>Threads: answers and stream events arrive on gRPC's callback executor, which completes the
 * future, calls the listener and starts renewing the lease; reopening runs on the scheduler.
 * Mutable state is guarded by {@code this}, never held while calling gRPC or the listener.
 */
final class SlotWait {
  private static final System.Logger LOG = System.getLogger(SlotWait.class.getName());
  /** Errors that reopening cannot fix: the wait ends with them. Any other error reopens. */
  private static final Set<Status.Code> FINAL_ERRORS = EnumSet.of(
      Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, Status.Code.FAILED_PRECONDITION,
      Status.Code.PERMISSION_DENIED, Status.Code.UNAUTHENTICATED, Status.Code.UNIMPLEMENTED);

  private final CallKey key;
  private final AcquireListener listener;
  private final AdmissionServiceStub stub;
  private final ScheduledExecutorService scheduler;
  private final LeaseRenewer renewer;
  private final CompletableFuture<Lease> future = new CompletableFuture<>();
  private final Backoff backoff = new Backoff();
  private Stream stream;
  private Hold lastHold;

  SlotWait(CallKey key, AcquireListener listener, AdmissionServiceStub stub,
      ScheduledExecutorService scheduler, LeaseRenewer renewer) {
    this.key = key;
    this.listener = listener;
    this.stub = stub;
    this.scheduler = scheduler;
    this.renewer = renewer;
    future.whenComplete((lease, error) -> stopStream());
  }

  CompletableFuture<Lease> future() {
    return future;
  }

  /** gRPC callback thread: the decision of Acquire. */
  void decided(AcquireResponse response) {
    switch (response.getOutcome()) {
      case OUTCOME_GRANTED -> granted(response.getLease());
      case OUTCOME_HELD -> {
        held(response.getHold());
        watch();
      }
      case OUTCOME_DENIED -> future.completeExceptionally(
          new AdmissionDeniedException(response.getDenial()));
      default -> future.completeExceptionally(
          new IllegalStateException("Acquire answered without a known outcome: " + response));
    }
  }

  /** Opens a WaitForSlot stream for the call, unless the wait is already over. */
  void watch() {
    Stream next = new Stream();
    synchronized (this) {
      if (future.isDone()) {
        return;
      }
      stream = next;
    }
    stub.waitForSlot(
        WaitForSlotRequest.newBuilder().setOrgId(key.orgId()).setCallId(key.callId()).build(),
        next);
    if (future.isDone()) {
      next.cancel(); // the wait ended while the stream was starting
    }
  }

  private void granted(Lease lease) {
    renewer.track(lease, listener);
    if (!future.complete(lease)) {
      renewer.untrack(key.orgId(), key.callId());
      LOG.log(Level.INFO, "lease {0}/{1} arrived after its wait ended; releasing it",
          key.orgId(), key.callId());
      stub.release(
          ReleaseRequest.newBuilder().setOrgId(key.orgId()).setCallId(key.callId()).build(),
          new FutureObserver<>());
    }
  }

  private void held(Hold hold) {
    synchronized (this) {
      if (future.isDone() || hold.equals(lastHold)) {
        return;
      }
      lastHold = hold;
    }
    try {
      listener.onHeld(hold);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "onHeld listener failed", e);
    }
  }

  private void reopenLater() {
    long delay;
    synchronized (this) {
      delay = backoff.nextDelayMillis();
    }
    try {
      scheduler.schedule(this::watch, delay, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      future.completeExceptionally(e);
    }
  }

  private void stopStream() {
    Stream open;
    synchronized (this) {
      open = stream;
      stream = null;
    }
    if (open != null) {
      open.cancel();
    }
  }

  /** One WaitForSlot stream; a reopened stream is a new instance. */
  private final class Stream
      implements ClientResponseObserver<WaitForSlotRequest, WaitForSlotResponse> {
    private volatile ClientCallStreamObserver<WaitForSlotRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<WaitForSlotRequest> requestStream) {
      call = requestStream;
    }

    void cancel() {
      ClientCallStreamObserver<WaitForSlotRequest> started = call;
      if (started != null) {
        started.cancel("the wait for a slot ended", null);
      }
    }

    @Override
    public void onNext(WaitForSlotResponse event) {
      synchronized (SlotWait.this) {
        backoff.reset();
      }
      switch (event.getEventCase()) {
        case HELD -> held(event.getHeld());
        case DISPATCHED -> granted(event.getDispatched());
        case DENIED -> future.completeExceptionally(
            new AdmissionDeniedException(event.getDenied()));
        case EXPIRED -> future.completeExceptionally(
            new AdmissionWaitExpiredException(event.getExpired()));
        case CANCELLED -> future.completeExceptionally(
            new AdmissionCancelledException(event.getCancelled()));
        case EVENT_NOT_SET -> { } // an event this client does not know yet: keep waiting
      }
    }

    @Override
    public void onError(Throwable t) {
      if (future.isDone()) {
        return;
      }
      if (FINAL_ERRORS.contains(Status.fromThrowable(t).getCode())) {
        future.completeExceptionally(t);
      } else {
        reopenLater();
      }
    }

    @Override
    public void onCompleted() {
      if (!future.isDone()) {
        reopenLater(); // the stream ended without a final event: treat it as broken
      }
    }
  }
}
