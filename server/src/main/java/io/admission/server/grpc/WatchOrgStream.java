package io.admission.server.grpc;

import io.admission.server.api.Responses;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.engine.StatusView;
import io.admission.server.loop.OrgWatcher;
import io.admission.v1.WatchOrgResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One WatchOrg stream. The loop only swaps in the latest status (never blocks); a sender thread
 * converts and writes it when the stream's flow control says it is ready. A slow reader thus
 * skips intermediate states and always ends up with the latest, and never slows the loop.
 */
final class WatchOrgStream implements OrgWatcher {
  private final ServerCallStreamObserver<WatchOrgResponse> observer;
  private final Executor sender;
  private final AtomicReference<Object> latest = new AtomicReference<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean ended;

  WatchOrgStream(ServerCallStreamObserver<WatchOrgResponse> observer, Executor sender) {
    this.observer = observer;
    this.sender = sender;
    observer.setOnReadyHandler(this::schedule);
  }

  @Override
  public void status(Results.StatusResult status) {
    latest.set(status);
    schedule();
  }

  @Override
  public void abort(String reason) {
    latest.set(Status.UNAVAILABLE.withDescription(reason));
    schedule();
  }

  private void schedule() {
    if (!ended && scheduled.compareAndSet(false, true)) {
      sender.execute(this::drain);
    }
  }

  /** On the sender thread only, so the observer is never called concurrently. */
  private void drain() {
    try {
      Object next;
      while (!ended && !observer.isCancelled() && observer.isReady()
          && (next = latest.getAndSet(null)) != null) {
        if (next instanceof Rejection r) {
          ended = true;
          observer.onError(StatusMapper.rejected(r));
        } else if (next instanceof Status s) {
          ended = true;
          observer.onError(s.asRuntimeException());
        } else {
          observer.onNext(WatchOrgResponse.newBuilder()
              .setStatus(Responses.status((StatusView.Org) next)).build());
        }
      }
    } finally {
      scheduled.set(false);
    }
    if (!ended && latest.get() != null && observer.isReady()) {
      schedule(); // a status arrived while this drain was finishing
    }
  }
}
