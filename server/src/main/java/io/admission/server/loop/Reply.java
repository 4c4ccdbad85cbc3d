package io.admission.server.loop;

/**
 * Where a request's answer goes. Called once, on the loop thread, after the batch that produced
 * the answer is durable — or with the error that kept it from being so.
 */
public interface Reply<R> {
  void ok(R result);

  /** An {@link java.io.IOException} means the command log failed; anything else is a bug. */
  void failed(Throwable error);
}
