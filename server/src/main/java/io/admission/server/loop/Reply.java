package io.admission.server.loop;

import java.util.concurrent.CompletableFuture;

/**
 * Where a request's answer goes. Called once, on the loop thread, after the batch that produced
 * the answer is durable — or with the error that kept it from being so.
 */
public interface Reply<R> {
  void ok(R result);

  /** An {@link java.io.IOException} means the command log failed; anything else is a bug. */
  void failed(Throwable error);

  /** A reply that completes {@code answer}: for callers that wait (start-up, the web page). */
  static <R> Reply<R> into(CompletableFuture<R> answer) {
    return new Reply<>() {
      @Override
      public void ok(R result) {
        answer.complete(result);
      }

      @Override
      public void failed(Throwable error) {
        answer.completeExceptionally(error);
      }
    };
  }
}
