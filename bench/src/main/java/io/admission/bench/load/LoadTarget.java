package io.admission.bench.load;

import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** What a load caller talks to; calls are asynchronous, callbacks may run on the I/O thread and must not block. */
public interface LoadTarget extends AutoCloseable {
  /** What an Acquire answered. */
  enum Outcome {
    GRANTED,
    /** Admission queued the call: watch it with {@link #waitForSlot}. */
    HELD,
    /** The Redis peer has no slot: try again later (it keeps no queue). */
    FULL
  }

  /** Each request ends in {@code done} with its answer, or in {@code failed}. */
  void acquire(String callId, Consumer<Outcome> done, Consumer<Throwable> failed);

  void release(String callId, Runnable done, Consumer<Throwable> failed);

  /** Ends when a held call is dispatched (Admission only). */
  default void waitForSlot(String callId, Runnable dispatched, Consumer<Throwable> failed) {
    failed.accept(new UnsupportedOperationException(getClass().getSimpleName() + " keeps no queue"));
  }

  /** The one thread this target's answers arrive on: a request sent from it needs no hand-off between threads. */
  Executor ioThread();

  @Override
  void close();

  /**
   * Opens {@code KIND@HOST:PORT}: {@code grpc} (unary calls), {@code session} (one Session stream), {@code redis}
   * (the peer, its org afresh with {@code redisLimit} slots), {@code cluster@HOST:PORT,...} (calls spread over the
   * nodes) or {@code client@HOST:PORT,...} (through the Java client's channel): see {@link GrpcTarget}.
   */
  static LoadTarget open(String spec, String orgId, int redisLimit) {
    String[] kind = spec.split("@", 2);
    if (kind.length < 2 || !kind[1].matches(kind[0].matches("cluster|client") ? "([^,]+:\\d+,)*[^,]+:\\d+" : "[^,]+:\\d+")) {
      throw new IllegalArgumentException("expected KIND@HOST:PORT (cluster@ or client@HOST:PORT,HOST:PORT,...), got " + spec);
    }
    return switch (kind[0]) {
      case "grpc", "cluster", "client" -> new GrpcTarget(kind[1], orgId, kind[0].equals("client"));
      case "session" -> new GrpcSessionTarget(kind[1], orgId);
      case "redis" -> new RedisTarget(kind[1], orgId, redisLimit);
      default -> throw new IllegalArgumentException("KIND must be grpc, session, redis, cluster or client, got " + spec);
    };
  }
}
