package io.admission.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

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

    static <T> Callback<T> of(Consumer<T> done, Consumer<Throwable> failed) {
      return new Callback<>() {
        @Override
        public void done(T value) {
          done.accept(value);
        }

        @Override
        public void failed(Throwable error) {
          failed.accept(error);
        }
      };
    }
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

  /**
   * Opens {@code KIND@HOST:PORT}: {@code grpc} (Admission or the no-op service, unary calls),
   * {@code session} (Admission, every caller on one Session stream), {@code redis} (the peer, its
   * org started afresh with {@code redisLimit} slots) or {@code cluster@HOST:PORT,HOST:PORT,...}
   * (unary calls spread over a cluster's nodes, see {@link ClusterTarget}).
   */
  static LoadTarget open(String spec, String orgId, int redisLimit) {
    int at = spec.indexOf('@');
    if (at > 0 && spec.substring(0, at).equals("cluster")) {
      List<GrpcTarget> nodes = new ArrayList<>();
      for (String node : spec.substring(at + 1).split(",")) {
        int colon = node.lastIndexOf(':');
        if (colon < 1) {
          throw new IllegalArgumentException("expected cluster@HOST:PORT,HOST:PORT,..., got " + spec);
        }
        nodes.add(new GrpcTarget(node.substring(0, colon), Integer.parseInt(node.substring(colon + 1)), orgId));
      }
      return new ClusterTarget(nodes);
    }
    int colon = spec.lastIndexOf(':');
    if (at < 1 || colon < at) {
      throw new IllegalArgumentException("expected KIND@HOST:PORT, got " + spec);
    }
    String host = spec.substring(at + 1, colon);
    int port = Integer.parseInt(spec.substring(colon + 1));
    return switch (spec.substring(0, at)) {
      case "grpc" -> new GrpcTarget(host, port, orgId);
      case "session" -> new GrpcSessionTarget(host, port, orgId);
      case "redis" -> {
        RedisTarget redis = new RedisTarget(host, port, orgId);
        redis.resetOrg(redisLimit);
        yield redis;
      }
      default -> throw new IllegalArgumentException("KIND must be grpc, session, redis or cluster, got " + spec);
    };
  }
}
