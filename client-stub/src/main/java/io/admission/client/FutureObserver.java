package io.admission.client;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** The answer of an asynchronous unary call as a future, completed on gRPC's callback thread. */
final class FutureObserver<T> implements StreamObserver<T> {
  private final CompletableFuture<T> future = new CompletableFuture<>();

  CompletableFuture<T> future() {
    return future;
  }

  @Override
  public void onNext(T value) {
    future.complete(value);
  }

  @Override
  public void onError(Throwable t) {
    future.completeExceptionally(t);
  }

  @Override
  public void onCompleted() {
    future.completeExceptionally(new IllegalStateException("the call ended without an answer"));
  }
}
