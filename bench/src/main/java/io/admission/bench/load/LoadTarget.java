package io.admission.bench.load;

import java.util.concurrent.Executor;

/**
 * What a load caller talks to: Admission or the no-op service over gRPC, or the Redis peer. Calls
 * are asynchronous; callbacks may run on the target's I/O thread and must not block.
 */
public interface LoadTarget extends AutoCloseable {
  /** What an Acquire answered. */
  enum Outcome {
    GRANTED,
    /** Admission queued the call: watch it with {@link #waitForSlot}. */
    HELD,
    /** The Redis peer has no slot: try again later (it keeps no queue). */
    FULL
  }

  /** Completion of one request. */
  interface Callback<T> {
    void done(T value);

    void failed(Throwable error);
  }

  void acquire(String callId, Callback<Outcome> callback);

  void release(String callId, Callback<Void> callback);

  /** Completes when a held call is dispatched (Admission only). */
  default void waitForSlot(String callId, Callback<Void> callback) {
    callback.failed(new UnsupportedOperationException(getClass().getSimpleName() + " keeps no queue"));
  }

  /**
   * The one thread this target's answers arrive on, as an executor a caller may run its own steps
   * on: a request sent from it is written by the thread that will read its answer, with no
   * hand-off between threads on the client's side. Every target answers on one thread.
   */
  Executor ioThread();

  @Override
  void close();
}
