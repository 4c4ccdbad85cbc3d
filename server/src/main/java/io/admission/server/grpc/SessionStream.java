package io.admission.server.grpc;

import io.admission.server.api.Requests;
import io.admission.server.api.Responses;
import io.admission.server.api.InvalidRequest;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Event;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.auth.AccessInterceptor;
import io.admission.server.loop.Loops;
import io.admission.server.loop.Reply;
import io.admission.server.loop.Watcher;
import com.google.protobuf.util.Durations;
import io.admission.server.auth.Caller;
import io.admission.server.grpc.BoundSessions.Call;
import io.admission.v1.OpenSessionRequest;
import io.admission.v1.OpenSessionResponse;
import io.admission.v1.SessionError;
import io.admission.v1.SessionEvent;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One Session stream: many calls' Acquire, Release and Renew, each tagged with the client's id,
 * plus the events of the calls that this session's Acquire left held.
 *
 * <p>Each request is translated and submitted exactly as its unary call is ({@link Requests},
 * {@link Responses}, {@link StatusMapper}), on gRPC's transport thread; its answer is made on the
 * loop thread once the turn is durable and written by the {@link SessionOutbox}. A bad request is
 * answered with an error and changes nothing; it never ends the stream.
 *
 * <p>Events: an Acquire goes in with {@link io.admission.server.loop.EventLoop#submitWatching}, so a held call is watched
 * from the very task that held it (the loop's own WaitForSlot registry) and no event can fall
 * between answer and watch; its answer always leaves before its events.
 *
 * <p>Flow control: requests are asked for by hand, at most {@link #MAX_IN_FLIGHT} read and not
 * yet answered on the wire; a client that stops reading thus stops being read.
 *
 * <p>The session ends when the client half-closes (answers in flight are still sent, then the
 * stream completes), cancels or disconnects: its watches are dropped then, its leases stay.
 *
 * <p>Bound calls: after {@code open}, this stream carries a session of {@link BoundSessions}; an
 * acquire with {@code bind} binds its call there once it is granted or held, and the call is
 * unbound when it ends on this stream (released here, or its wait ended). When this stream ends,
 * the session's grace period starts; its calls are released if no stream resumes it in time.
 */
final class SessionStream implements StreamObserver<SessionRequest>, Watcher {
  /** Requests read but not yet answered, per session: bounds the outbox and the loop's share. */
  static final int MAX_IN_FLIGHT = 1024;

  /** A request goes to its org's loop; events come from each group's loop thread. */
  private final Loops loops;
  private final SessionOutbox outbox;
  /** Where calls can be bound; null: this server binds none. */
  private final BoundSessions sessions;
  /**
   * The session this stream carries, once opened (transport thread); the loop thread reads it
   * only through what a request captured when it was submitted.
   */
  private volatile BoundSessions.Bound bound;
  /**
   * Calls this session's watcher may be registered for, each with its number of reasons: an
   * Acquire not yet answered, plus one while watched. Kept so that closing can unwatch them all;
   * a key is added on the transport thread before its Acquire is submitted, so a close (which
   * comes later on that same thread) sees it and its unwatch runs after the watch.
   */
  private final ConcurrentHashMap<Call, Integer> mayWatch = new ConcurrentHashMap<>();
  /**
   * The calls this session watches now. Each call is touched only by its org's loop thread, but
   * with several groups (--groups) those are several threads.
   */
  private final Set<Call> watching = ConcurrentHashMap.newKeySet();
  /** Requests read and not yet answered; with {@link #halfClosed}, says when to complete. */
  private final AtomicInteger unanswered = new AtomicInteger();
  private volatile boolean halfClosed;
  private volatile boolean closed;

  private SessionStream(Loops loops, BoundSessions sessions,
      ServerCallStreamObserver<SessionResponse> observer) {
    this.loops = loops;
    this.sessions = sessions;
    this.outbox = new SessionOutbox(observer);
  }

  /** Opens a session on a new Session call; must run inside the service method. */
  static SessionStream open(Loops loops, BoundSessions sessions,
      ServerCallStreamObserver<SessionResponse> observer) {
    observer.disableAutoRequest();
    SessionStream session = new SessionStream(loops, sessions, observer);
    observer.setOnCancelHandler(session::close);
    observer.request(MAX_IN_FLIGHT);
    return session;
  }

  // ---- Requests, on the transport thread --------------------------------------------------

  @Override
  public void onNext(SessionRequest request) {
    unanswered.incrementAndGet();
    long id = request.getId();
    if (request.getBind() && request.getRequestCase() != SessionRequest.RequestCase.ACQUIRE) {
      answer(id, StatusMapper.invalid("bind", "only an acquire can bind its call"), "bind");
      return;
    }
    IdBound bound = IdBound.current();
    String over = bound == null ? null : bound.overBound(request);
    if (over != null) {
      answer(id, bound.refusal(over), over);
      return;
    }
    switch (request.getRequestCase()) {
      case ACQUIRE -> acquire(id, request);
      case RELEASE -> release(id, request);
      case RENEW -> submit(id, () -> Requests.renew(request.getRenew()),
          r -> SessionResponse.newBuilder().setRenew(Responses.renewed(r)));
      case OPEN -> open(id, request.getOpen());
      case REQUEST_NOT_SET -> answer(id, StatusMapper.invalid(new InvalidRequest(
          "request", "must set one of acquire, release, renew or open")), "request");
    }
  }

  /** Gives this stream a session that calls can be bound to: a new one, or one it resumes. */
  private void open(long id, OpenSessionRequest open) {
    if (sessions == null) {
      answer(id, StatusMapper.unimplemented("this server binds no calls to sessions"), "open");
      return;
    }
    if (bound != null) {
      answer(id, StatusMapper.invalid("open", "this stream's session is open already"), "open");
      return;
    }
    // The same token, and only it, may resume: without access control there is no owner.
    Caller caller = AccessInterceptor.caller();
    BoundSessions.Bound b;
    if (open.getResumeSessionId().isEmpty()) {
      b = sessions.open(caller, AccessInterceptor.actor(), this);
    } else {
      b = sessions.resume(open.getResumeSessionId(), caller, this);
      if (b == null) {
        // Unknown, another token's, or expired: one answer, so ids of others cannot be probed.
        answer(id, StatusMapper.notFound("no session to resume with this resume_session_id: it is"
            + " unknown, not this caller's, or it ended more than "
            + sessions.grace().toMillis() / 1000.0 + " s ago and its bound calls were released"),
            "resume_session_id");
        return;
      }
    }
    bound = b;
    answer(SessionResponse.newBuilder().setId(id).setOpen(OpenSessionResponse.newBuilder()
        .setSessionId(b.id)
        .setGracePeriod(Durations.fromMillis(sessions.grace().toMillis()))
        .setBoundCalls(b.boundCalls())).build());
  }

  private void release(long id, SessionRequest request) {
    BoundSessions.Bound b = bound;
    submit(id, () -> Requests.release(request.getRelease()), r -> {
      if (b != null) { // released here: no longer this session's to release
        b.unbind(new Call(request.getRelease().getOrgId(), request.getRelease().getCallId()));
      }
      return SessionResponse.newBuilder().setRelease(Responses.released(r));
    });
  }

  private void acquire(long id, SessionRequest request) {
    Commands.Acquire command;
    try {
      command = Requests.acquire(request.getAcquire());
    } catch (InvalidRequest e) {
      answer(id, StatusMapper.invalid(e), e.field());
      return;
    }
    BoundSessions.Bound b = request.getBind() ? bound : null;
    if (request.getBind() && b == null) {
      answer(id, StatusMapper.invalid("bind", "needs a session id: send open before a bound acquire"),
          "bind");
      return;
    }
    Call call = new Call(command.orgId(), command.callId());
    mayWatch.merge(call, 1, Integer::sum);
    Answer<Results.AcquireResult> reply = new Answer<>(id,
        r -> SessionResponse.newBuilder().setAcquire(Responses.acquired(r))) {
      @Override
      void settled(Results.AcquireResult result) {
        if (b != null && (result instanceof Results.Granted || result instanceof Results.Held)) {
          b.bind(call);
        }
        // The loop registered the watch exactly when the result is held.
        if (!(result instanceof Results.Held && watching.add(call))) {
          forget(call);
        }
      }
    };
    if (!loops.of(command.orgId()).submitWatching(command, AccessInterceptor.actor(), reply, this)) {
      forget(call);
      answer(id, StatusMapper.busy(), "");
    }
  }

  private <R> void submit(
      long id, Answers.Translation<R> translation, Function<R, SessionResponse.Builder> map) {
    Commands.Command<R> command;
    try {
      command = translation.command();
    } catch (InvalidRequest e) {
      answer(id, StatusMapper.invalid(e), e.field());
      return;
    }
    if (!loops.of(command.orgId()).submit(command, AccessInterceptor.actor(), new Answer<>(id, map))) {
      answer(id, StatusMapper.busy(), "");
    }
  }

  @Override
  public void onCompleted() {
    halfClosed = true;
    close(); // no requests will follow: events stop now, answers in flight still go out
    if (unanswered.get() == 0) {
      outbox.end(Status.OK);
    }
  }

  @Override
  public void onError(Throwable t) {
    close();
  }

  /**
   * Transport thread (cancel, error or half-close): drops every watch; leases stay, and a bound
   * session's grace period starts.
   */
  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (bound != null) {
      sessions.ended(bound, this);
    }
    for (Call call : mayWatch.keySet()) {
      loops.of(call.orgId()).unwatch(call.orgId(), call.callId(), this);
    }
  }

  // ---- Answers and events, on the loop thread (refusals also on the transport thread) -----

  private void answer(long id, StatusRuntimeException refusal, String field) {
    Status status = refusal.getStatus();
    answer(SessionResponse.newBuilder().setId(id).setError(SessionError.newBuilder()
        .setCode(status.getCode().name())
        .setField(field)
        .setMessage(status.getDescription() == null ? "" : status.getDescription())).build());
  }

  private void answer(SessionResponse response) {
    outbox.answer(response);
    if (unanswered.decrementAndGet() == 0 && halfClosed) {
      outbox.end(Status.OK);
    }
  }

  /** The loop thread: one reason fewer for this session to be registered on {@code call}. */
  private void forget(Call call) {
    mayWatch.computeIfPresent(call, (c, n) -> n == 1 ? null : n - 1);
  }

  @Override
  public void first(Results.WatchResult state) {
    // Never called: submitWatching registers a held call without a first state; the Acquire's
    // answer is that state.
  }

  @Override
  public void event(Event event) {
    Call call = new Call(event.orgId(), event.callId());
    boolean last = !(event instanceof Event.HoldChanged);
    if (last && watching.remove(call)) {
      forget(call); // the loop dropped the watch with this event
    }
    if (event instanceof Event.WaitEnded && bound != null) {
      bound.unbind(call); // it ended: nothing to release
    }
    if (!closed) {
      outbox.event(call, SessionResponse.newBuilder().setEvent(SessionEvent.newBuilder()
          .setOrgId(call.orgId())
          .setCallId(call.callId())
          .setChange(Responses.change(event))).build(), last);
    }
  }

  @Override
  public void abort(String reason) {
    outbox.end(Status.UNAVAILABLE.withDescription(reason));
  }

  /**
   * One request's answer, made on the loop thread once durable: a {@link Rejection} or a failure
   * becomes the error the unary call would have ended with; anything else is mapped.
   */
  private class Answer<R> implements Reply<R> {
    private final long id;
    private final Function<R, SessionResponse.Builder> map;

    Answer(long id, Function<R, SessionResponse.Builder> map) {
      this.id = id;
      this.map = map;
    }

    /** Runs first, whatever the result; null if the command failed. */
    void settled(R result) {}

    @Override
    public void ok(R result) {
      settled(result);
      if (result instanceof Rejection r) {
        answer(id, StatusMapper.rejected(r), r.field());
        return;
      }
      SessionResponse response;
      try {
        response = map.apply(result).setId(id).build();
      } catch (RuntimeException e) {
        answer(id, StatusMapper.failed(e), "");
        return;
      }
      answer(response);
    }

    @Override
    public void failed(Throwable error) {
      settled(null);
      answer(id, StatusMapper.failed(error), "");
    }
  }
}
