package io.admission.server.grpc;

import io.admission.server.api.Responses;
import io.admission.server.engine.Event;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.loop.Watcher;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * One WaitForSlot stream. Called only by the loop thread. The first event is the call's current
 * state; {@code held} may repeat; {@code dispatched}, {@code denied}, {@code expired} and {@code
 * cancelled} end the stream.
 */
final class WaitForSlotStream implements Watcher {
  private final ServerCallStreamObserver<WaitForSlotResponse> observer;
  private boolean ended;

  WaitForSlotStream(ServerCallStreamObserver<WaitForSlotResponse> observer) {
    this.observer = observer;
  }

  @Override
  public void first(Results.WatchResult state) {
    if (state instanceof Rejection r) {
      end(() -> observer.onError(StatusMapper.rejected(r)));
    } else if (state instanceof Results.Held h) {
      send(WaitForSlotResponse.newBuilder().setHeld(Responses.hold(h.hold())).build());
    } else if (state instanceof Results.Granted g) {
      finish(WaitForSlotResponse.newBuilder().setDispatched(Responses.lease(g.lease())).build());
    } else if (state instanceof Results.Ended e) {
      finish(Responses.terminal(e));
    }
  }

  @Override
  public void event(Event event) {
    if (event instanceof Event.HoldChanged) {
      send(Responses.change(event));
    } else {
      finish(Responses.change(event));
    }
  }

  @Override
  public void abort(String reason) {
    end(() -> observer.onError(Status.UNAVAILABLE.withDescription(reason).asRuntimeException()));
  }

  private void send(WaitForSlotResponse response) {
    if (!ended && !observer.isCancelled()) {
      observer.onNext(response);
    }
  }

  private void finish(WaitForSlotResponse response) {
    send(response);
    end(observer::onCompleted);
  }

  private void end(Runnable close) {
    if (!ended) {
      ended = true;
      if (!observer.isCancelled()) {
        close.run();
      }
    }
  }
}
