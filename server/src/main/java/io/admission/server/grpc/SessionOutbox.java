package io.admission.server.grpc;

import io.admission.v1.SessionResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a Session stream has yet to write, in order, and the one place that writes it. Answers
 * arrive from the loop thread after their turn is durable (refusals of bad requests from the
 * transport thread); whoever then finds the stream ready drains the queue — the loop thread right
 * after it queued, or gRPC's onReady once a slow client catches up. Only one thread drains at a
 * time, so the observer is never called concurrently, and nothing is written while the transport
 * is not ready.
 *
 * <p>Bounded, however slowly the client reads: each answer written asks the client for one more
 * request, so answers waiting here never exceed {@link SessionStream#MAX_IN_FLIGHT}; and a call's
 * hold change that is still waiting is replaced by a newer one, so at most one hold change and one
 * final event wait here per watched call.
 */
final class SessionOutbox {
  /** Queued last: ends the stream once everything before it is written. */
  private record End(Status status) {}

  private final ServerCallStreamObserver<SessionResponse> observer;
  /** Holds SessionResponse, a still-replaceable hold change (AtomicReference), or End. */
  private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicBoolean ending = new AtomicBoolean();
  /** Drainer only (the CAS orders it): the stream has ended, nothing more may be written. */
  private boolean ended;
  /**
   * Each watched call's latest hold change, emptied once written; a call's entry is touched only
   * by its org's loop thread, one of several with --groups.
   */
  private final Map<Object, AtomicReference<SessionResponse>> holds = new ConcurrentHashMap<>();

  SessionOutbox(ServerCallStreamObserver<SessionResponse> observer) {
    this.observer = observer;
    observer.setOnReadyHandler(this::drain);
  }

  /** Queues the answer to one request; writing it asks the client for one more request. */
  void answer(SessionResponse response) {
    queue.add(response);
    drain();
  }

  /**
   * Loop thread: queues a watched call's event. A hold change replaces the call's earlier one if
   * that is still unwritten (the client only needs the latest); a final event ends the call's
   * entry.
   */
  void event(Object call, SessionResponse response, boolean last) {
    if (last) {
      holds.remove(call);
      queue.add(response);
    } else {
      AtomicReference<SessionResponse> waiting = holds.get(call);
      if (waiting == null || waiting.getAndUpdate(old -> old == null ? null : response) == null) {
        AtomicReference<SessionResponse> fresh = new AtomicReference<>(response);
        holds.put(call, fresh);
        queue.add(fresh);
      }
    }
    drain();
  }

  /** Ends the stream after everything queued so far: OK, or with {@code status}. Idempotent. */
  void end(Status status) {
    if (ending.compareAndSet(false, true)) {
      queue.add(new End(status));
      drain();
    }
  }

  /** Writes while the transport is ready; safe to call from any thread at any time. */
  void drain() {
    while (draining.compareAndSet(false, true)) {
      try {
        Object next;
        while (!observer.isCancelled() && observer.isReady() && (next = queue.poll()) != null) {
          write(next);
        }
      } finally {
        draining.set(false);
      }
      // Something queued after the last poll by a thread that lost the race: drain it too.
      if (queue.isEmpty() || observer.isCancelled() || !observer.isReady()) {
        return;
      }
    }
  }

  @SuppressWarnings("unchecked")
  private void write(Object next) {
    if (ended) {
      return; // ended early (server shutting down): what was still queued is dropped
    }
    if (next instanceof SessionResponse response) {
      observer.onNext(response);
      if (response.getResponseCase() != SessionResponse.ResponseCase.EVENT) {
        observer.request(1); // an answer left: the client may send one more request
      }
    } else if (next instanceof AtomicReference<?> hold) {
      SessionResponse latest = ((AtomicReference<SessionResponse>) hold).getAndSet(null);
      if (latest != null) {
        observer.onNext(latest);
      }
    } else if (next instanceof End end) {
      ended = true;
      if (end.status().isOk()) {
        observer.onCompleted();
      } else {
        observer.onError(end.status().asRuntimeException());
      }
    }
  }
}
