package io.admission.client;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceStub;
import io.grpc.CallCredentials;
import io.admission.v1.Hold;
import io.admission.v1.Lease;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.admission.v1.WaitCancelled;
import io.grpc.Channel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;

/**
 * A client of {@code admission.v1.AdmissionService}: acquire a slot for a call, wait while it is
 * held, and keep its lease renewed until {@link #release}.
 *
 * <pre>{@code
 * try (AdmissionClient admission = new AdmissionClient(channel)) {
 *   Lease lease = admission.acquire(request, hold -> show(hold.getMessage())).join();
 *   ... the call runs; the lease is renewed in the background ...
 *   admission.release(lease.getOrgId(), lease.getCallId()).join();
 * }
 * }</pre>
 *
 * <p>Lifecycle: the channel belongs to the caller and is never shut down here. The scheduler is
 * the caller's when given, else this client makes a daemon one and shuts it down in
 * {@link #close()}.
 *
 * <p>Threads:
 * <ul>
 *   <li>No method blocks; each only starts RPCs and returns a future.
 *   <li>gRPC's callback executor (the channel's executor) handles every answer and stream event:
 *       it completes the futures returned here and calls the {@link AcquireListener}. Dependent
 *       stages added without {@code ...Async}, and listeners, run there and must not block.
 *   <li>The scheduler runs the renewal timers (each sends one asynchronous Renew per org) and
 *       reopens broken WaitForSlot streams after their backoff.
 * </ul>
 * All methods are thread-safe.
 */
public final class AdmissionClient implements AutoCloseable {
  private final AdmissionServiceStub stub;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final LeaseRenewer renewer;
  private final Map<CallKey, SlotWait> waits = new HashMap<>();
  private boolean closed;

  /** A client with its own daemon scheduler thread, shut down by {@link #close()}. */
  public AdmissionClient(Channel channel) {
    this(channel, newScheduler(), true, null);
  }

  /** A client whose timers run on {@code scheduler}, which {@link #close()} leaves running. */
  public AdmissionClient(Channel channel, ScheduledExecutorService scheduler) {
    this(channel, Objects.requireNonNull(scheduler, "scheduler"), false, null);
  }

  /**
   * A client whose every call carries {@code credentials} (e.g. {@link BearerToken} for a server
   * started with {@code --auth}), with its own scheduler as {@link #AdmissionClient(Channel)}.
   */
  public AdmissionClient(Channel channel, CallCredentials credentials) {
    this(channel, newScheduler(), true, Objects.requireNonNull(credentials, "credentials"));
  }

  /** The same, with timers on {@code scheduler}, which {@link #close()} leaves running. */
  public AdmissionClient(Channel channel, ScheduledExecutorService scheduler, CallCredentials credentials) {
    this(channel, Objects.requireNonNull(scheduler, "scheduler"), false,
        Objects.requireNonNull(credentials, "credentials"));
  }

  private AdmissionClient(Channel channel, ScheduledExecutorService scheduler, boolean owns,
      CallCredentials credentials) {
    AdmissionServiceStub plain = AdmissionServiceGrpc.newStub(Objects.requireNonNull(channel, "channel"));
    this.stub = credentials == null ? plain : plain.withCallCredentials(credentials);
    this.scheduler = scheduler;
    this.ownsScheduler = owns;
    this.renewer = new LeaseRenewer(stub, scheduler);
  }

  /** {@link #acquire(AcquireRequest, AcquireListener)} without observing holds or lost leases. */
  public CompletableFuture<Lease> acquire(AcquireRequest request) {
    return acquire(request, AcquireListener.NONE);
  }

  /** {@link #acquire(AcquireRequest, AcquireListener)} calling {@code onHeld} for each hold. */
  public CompletableFuture<Lease> acquire(AcquireRequest request, Consumer<Hold> onHeld) {
    Objects.requireNonNull(onHeld, "onHeld");
    return acquire(request, new AcquireListener() {
      @Override
      public void onHeld(Hold hold) {
        onHeld.accept(hold);
      }
    });
  }

  /**
   * Asks for a slot for one call and waits for it as long as the call is held.
   *
   * <p>The future completes with the lease when the call is granted at once or later dispatched;
   * from then on the lease is renewed at a third of its TTL until {@link #release}, and
   * {@link AcquireListener#onLeaseLost} tells if the server forgets it. It completes
   * exceptionally with {@link AdmissionDeniedException}, {@link AdmissionWaitExpiredException}
   * or {@link AdmissionCancelledException} when the server decides so; with the
   * {@link io.grpc.StatusRuntimeException} when Acquire fails, or when the wait stream fails in a
   * way reopening cannot fix (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, PERMISSION_DENIED,
   * UNAUTHENTICATED, UNIMPLEMENTED); any other stream failure reopens the stream with backoff
   * (100 ms doubling to 5 s). It is cancelled by {@link #close()}.
   *
   * <p>Cancelling the future only stops waiting: the call stays held at the server until
   * {@link #release}d. Only one acquire per call may be waiting at a time; a second one fails
   * with {@link IllegalStateException}.
   */
  public CompletableFuture<Lease> acquire(AcquireRequest request, AcquireListener listener) {
    SlotWait wait = register(new CallKey(request.getOrgId(), request.getCallId()), listener);
    if (!wait.future().isDone()) {
      FutureObserver<AcquireResponse> answer = new FutureObserver<>();
      stub.acquire(request, answer);
      answer.future().whenComplete((response, error) -> {
        if (error != null) {
          wait.future().completeExceptionally(error);
        } else {
          wait.decided(response);
        }
      });
    }
    return wait.future();
  }

  /**
   * Waits for a call that an earlier Acquire left held (by this process before a restart, or by
   * another tool) without asking again: opens WaitForSlot and goes on as {@link #acquire} does
   * after a held answer, renewal included.
   */
  public CompletableFuture<Lease> awaitDispatch(
      String orgId, String callId, AcquireListener listener) {
    SlotWait wait = register(new CallKey(orgId, callId), listener);
    wait.watch();
    return wait.future();
  }

  /**
   * Ends a call: stops renewing its lease and sends Release, which frees a granted call's slot or
   * cancels a held one (idempotent at the server). An acquire of this call still waiting here
   * completes at once with {@link AdmissionCancelledException}. Works after {@link #close()} too.
   */
  public CompletableFuture<ReleaseResponse> release(String orgId, String callId) {
    renewer.untrack(orgId, callId);
    SlotWait wait;
    synchronized (this) {
      wait = waits.get(new CallKey(orgId, callId));
    }
    if (wait != null) {
      wait.future().completeExceptionally(new AdmissionCancelledException(
          WaitCancelled.newBuilder().setMessage("released by this client while waiting").build()));
    }
    FutureObserver<ReleaseResponse> answer = new FutureObserver<>();
    stub.release(ReleaseRequest.newBuilder().setOrgId(orgId).setCallId(callId).build(), answer);
    return answer.future();
  }

  /**
   * Stops all renewals and cancels the acquires still waiting. Leases are not released (they
   * expire at the server unless released) and the channel is not shut down.
   */
  @Override
  public void close() {
    List<SlotWait> waiting;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      waiting = new ArrayList<>(waits.values());
    }
    renewer.close();
    waiting.forEach(wait -> wait.future().cancel(false));
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
  }

  private SlotWait register(CallKey key, AcquireListener listener) {
    SlotWait wait = new SlotWait(
        key, Objects.requireNonNull(listener, "listener"), stub, scheduler, renewer);
    synchronized (this) {
      if (closed) {
        wait.future().completeExceptionally(new IllegalStateException("AdmissionClient is closed"));
        return wait;
      }
      if (waits.putIfAbsent(key, wait) != null) {
        wait.future().completeExceptionally(new IllegalStateException(
            "call " + key.callId() + " of org " + key.orgId() + " is already being acquired"));
        return wait;
      }
    }
    wait.future().whenComplete((lease, error) -> unregister(key, wait));
    return wait;
  }

  private synchronized void unregister(CallKey key, SlotWait wait) {
    waits.remove(key, wait);
  }

  private static ScheduledExecutorService newScheduler() {
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
      Thread thread = new Thread(task, "admission-client-timer");
      thread.setDaemon(true);
      return thread;
    });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }
}
