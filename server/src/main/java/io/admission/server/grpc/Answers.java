package io.admission.server.grpc;

import io.admission.server.api.InvalidRequest;
import io.admission.server.auth.AccessInterceptor;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.server.loop.Reply;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;

/**
 * Runs a request through the loop and answers a unary call. Handlers run on gRPC's transport
 * threads (the server uses directExecutor) and only translate and enqueue; the answer is sent
 * from the loop thread once the turn is durable.
 */
final class Answers {
  private Answers() {}

  /** A request's translation into a command, which names the bad field if it cannot. */
  interface Translation<R> {
    Commands.Command<R> command() throws InvalidRequest;
  }

  /**
   * Translates, then runs the command in its org's loop; bad input is answered at once and changes
   * nothing.
   */
  static <R, T> void command(
      Loops loops, Translation<R> translation, StreamObserver<T> observer, Function<R, T> map) {
    Commands.Command<R> command;
    try {
      command = translation.command();
    } catch (InvalidRequest e) {
      observer.onError(StatusMapper.invalid(e));
      return;
    }
    if (!loops.of(command.orgId()).submit(command, AccessInterceptor.actor(), reply(observer, map))) {
      observer.onError(StatusMapper.busy());
    }
  }

  static <R, T> void read(
      EventLoop loop, EventLoop.Query<R> query, StreamObserver<T> observer, Function<R, T> map) {
    if (!loop.read(query, reply(observer, map))) {
      observer.onError(StatusMapper.busy());
    }
  }

  /** A page of orgs across every group's loop. */
  static <T> void listOrgs(Loops loops, String afterOrgId, int pageSize, StreamObserver<T> observer,
      Function<Results.AdminResult, T> map) {
    if (!loops.listOrgs(afterOrgId, pageSize, reply(observer, map))) {
      observer.onError(StatusMapper.busy());
    }
  }

  /** A {@link Rejection} becomes its status; any other result is mapped to the response. */
  private static <R, T> Reply<R> reply(StreamObserver<T> observer, Function<R, T> map) {
    return new Reply<>() {
      @Override
      public void ok(R result) {
        if (result instanceof Rejection r) {
          observer.onError(StatusMapper.rejected(r));
          return;
        }
        T response;
        try {
          response = map.apply(result);
        } catch (RuntimeException e) {
          observer.onError(StatusMapper.failed(e));
          return;
        }
        observer.onNext(response);
        observer.onCompleted();
      }

      @Override
      public void failed(Throwable error) {
        observer.onError(StatusMapper.failed(error));
      }
    };
  }
}
