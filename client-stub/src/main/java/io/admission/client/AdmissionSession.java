package io.admission.client;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceStub;
import io.admission.v1.OpenSessionRequest;
import io.admission.v1.OpenSessionResponse;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.ReleaseResponse;
import io.admission.v1.RenewRequest;
import io.admission.v1.RenewResponse;
import io.admission.v1.SessionError;
import io.admission.v1.SessionEvent;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.grpc.CallCredentials;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One {@code Session} stream of {@code admission.v1.AdmissionService}: the Acquire, Release and
 * Renew requests of many calls pipelined on one HTTP/2 stream, each answered through its own
 * future, and the later changes of the calls it left held passed to a listener.
 *
 * <pre>{@code
 * AdmissionSession session = AdmissionSession.openBound(channel, token, event -> onChange(event));
 * String id = session.opened().join().getSessionId();   // keep it to resume after a break
 * AcquireResponse a = session.acquire(request).join();  // bound to the session
 * ...
 * // the stream broke: within the server's grace period
 * AdmissionSession again = AdmissionSession.resume(channel, token, id, event -> onChange(event));
 * }</pre>
 *
 * <p>Bound calls ({@link #openBound}, {@link #resume}): every call this session acquires is bound
 * to it. If the stream ends — {@link #close}, {@link #abort}, a crash or a broken connection — and
 * no stream resumes the session within the server's grace period ({@code --session-grace}, in
 * {@link #opened()}), the server releases every call still bound to it, held ones included, as a
 * Release would. Resuming in time keeps them all. Bound leases still need Renew. An unbound
 * session ({@link #open}) never releases anything when it ends.
 *
 * <p>A request the server refuses fails its future with the {@link io.grpc.StatusRuntimeException}
 * the unary call would have failed with; the stream stays open. When the stream ends, every
 * request still unanswered fails. Futures complete and the listener runs on gRPC's callback
 * executor (the channel's), which must not be blocked. All methods are thread-safe.
 */
public final class AdmissionSession implements AutoCloseable {
  private final boolean bind;
  private final Consumer<SessionEvent> onEvent;
  private final Map<Long, CompletableFuture<SessionResponse>> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong(1);
  private final CompletableFuture<OpenSessionResponse> opened = new CompletableFuture<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  /** Sends are serialised on it (a request stream takes one writer at a time), with the end. */
  private final Object sendLock = new Object();
  private final ClientCallStreamObserver<SessionRequest> requests;
  /** Guarded by sendLock: {@link #close} was called, nothing more may be sent. */
  private boolean halfClosed;

  private AdmissionSession(AdmissionServiceStub stub, boolean bind, Consumer<SessionEvent> onEvent) {
    this.bind = bind;
    this.onEvent = Objects.requireNonNull(onEvent, "onEvent");
    Responses responses = new Responses();
    stub.session(responses);
    this.requests = responses.requests;
  }

  /** A session whose calls are not bound: its end never releases them. */
  public static AdmissionSession open(Channel channel, CallCredentials credentials,
      Consumer<SessionEvent> onEvent) {
    AdmissionSession s = new AdmissionSession(stub(channel, credentials), false, onEvent);
    s.opened.complete(OpenSessionResponse.getDefaultInstance());
    return s;
  }

  /**
   * A new session that binds every call it acquires; {@link #opened()} gives its id and the
   * server's grace period. {@code credentials} may be null (a server without {@code --auth}).
   */
  public static AdmissionSession openBound(Channel channel, CallCredentials credentials,
      Consumer<SessionEvent> onEvent) {
    AdmissionSession s = new AdmissionSession(stub(channel, credentials), true, onEvent);
    s.sendOpen("");
    return s;
  }

  /**
   * Resumes the bound session {@code sessionId} on a new stream, keeping every call bound to it;
   * {@link #opened()} fails with NOT_FOUND if it cannot be resumed (unknown, another token's, or
   * its grace period passed and its calls were released). Use the same credentials that opened it.
   */
  public static AdmissionSession resume(Channel channel, CallCredentials credentials,
      String sessionId, Consumer<SessionEvent> onEvent) {
    if (sessionId == null || sessionId.isEmpty()) {
      throw new IllegalArgumentException("sessionId is required to resume a session");
    }
    AdmissionSession s = new AdmissionSession(stub(channel, credentials), true, onEvent);
    s.sendOpen(sessionId);
    return s;
  }

  private static AdmissionServiceStub stub(Channel channel, CallCredentials credentials) {
    AdmissionServiceStub stub = AdmissionServiceGrpc.newStub(Objects.requireNonNull(channel, "channel"));
    return credentials == null ? stub : stub.withCallCredentials(credentials);
  }

  /** The server's answer to opening or resuming the session; an empty answer for {@link #open}. */
  public CompletableFuture<OpenSessionResponse> opened() {
    return opened;
  }

  /** Completes when the stream has ended, normally or not. */
  public CompletableFuture<Void> closed() {
    return closed;
  }

  /** Asks for a slot, as the unary Acquire; bound to this session if it binds. */
  public CompletableFuture<AcquireResponse> acquire(AcquireRequest request) {
    return send(SessionRequest.newBuilder().setAcquire(request).setBind(bind),
        SessionResponse::getAcquire);
  }

  /** Ends a call, as the unary Release (and unbinds it). */
  public CompletableFuture<ReleaseResponse> release(String orgId, String callId) {
    return send(SessionRequest.newBuilder().setRelease(
        ReleaseRequest.newBuilder().setOrgId(orgId).setCallId(callId)), SessionResponse::getRelease);
  }

  /** Extends leases, as the unary Renew. */
  public CompletableFuture<RenewResponse> renew(RenewRequest request) {
    return send(SessionRequest.newBuilder().setRenew(request), SessionResponse::getRenew);
  }

  /**
   * Half-closes: the server answers what was sent, then ends the stream. A bound session's grace
   * period starts then; resume it in time to keep its calls.
   */
  @Override
  public void close() {
    synchronized (sendLock) {
      if (!closed.isDone() && !halfClosed) {
        halfClosed = true;
        requests.onCompleted();
      }
    }
  }

  /** Drops the stream at once, as a broken connection would; unanswered requests fail. */
  public void abort() {
    requests.cancel("the client aborted the session", null);
  }

  private void sendOpen(String resumeSessionId) {
    send(SessionRequest.newBuilder().setOpen(
        OpenSessionRequest.newBuilder().setResumeSessionId(resumeSessionId)), SessionResponse::getOpen)
        .whenComplete((answer, error) -> {
          if (error != null) {
            opened.completeExceptionally(error);
          } else {
            opened.complete(answer);
          }
        });
  }

  private <T> CompletableFuture<T> send(SessionRequest.Builder request,
      Function<SessionResponse, T> answer) {
    long id = nextId.getAndIncrement();
    CompletableFuture<SessionResponse> response = new CompletableFuture<>();
    pending.put(id, response);
    synchronized (sendLock) {
      if (closed.isDone() || halfClosed) {
        pending.remove(id);
        response.completeExceptionally(Status.FAILED_PRECONDITION
            .withDescription("the session is closed: nothing more can be sent on it").asRuntimeException());
      } else {
        requests.onNext(request.setId(id).build());
      }
    }
    return response.thenApply(answer);
  }

  /** The error the unary call would have ended with. */
  private static RuntimeException refused(SessionError e) {
    Status.Code code;
    try {
      code = Status.Code.valueOf(e.getCode());
    } catch (IllegalArgumentException unknown) {
      code = Status.Code.UNKNOWN;
    }
    return code.toStatus().withDescription(e.getMessage()).asRuntimeException();
  }

  private final class Responses implements ClientResponseObserver<SessionRequest, SessionResponse> {
    ClientCallStreamObserver<SessionRequest> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<SessionRequest> requestStream) {
      requests = requestStream;
    }

    @Override
    public void onNext(SessionResponse response) {
      if (response.hasEvent()) {
        onEvent.accept(response.getEvent());
        return;
      }
      CompletableFuture<SessionResponse> waiting = pending.remove(response.getId());
      if (waiting == null) {
        return; // not ours: answers are matched by id only
      }
      if (response.hasError()) {
        waiting.completeExceptionally(refused(response.getError()));
      } else {
        waiting.complete(response);
      }
    }

    @Override
    public void onError(Throwable t) {
      end(t);
    }

    @Override
    public void onCompleted() {
      end(Status.UNAVAILABLE.withDescription("the session ended before answering")
          .asRuntimeException());
    }

    private void end(Throwable why) {
      synchronized (sendLock) {
        closed.complete(null);
      }
      for (Long id : pending.keySet()) {
        CompletableFuture<SessionResponse> waiting = pending.remove(id);
        if (waiting != null) {
          waiting.completeExceptionally(why);
        }
      }
    }
  }
}
