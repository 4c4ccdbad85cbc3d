package io.admission.server.http;

import io.admission.server.api.Failures;
import io.admission.server.loop.NotHere;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Results;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Loops;
import io.admission.server.loop.Reply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A command or read sent to the loop from an HTTP thread, which then waits for the answer. Only
 * HTTP threads wait; the loop answers from its own thread once the turn is durable, as it does for
 * gRPC.
 */
final class LoopCall {
  private LoopCall() {}

  /** How long an HTTP request waits for the loop before it answers 503. */
  static final long TIMEOUT_SECONDS = 10;

  /** The loop's inbox was full, it did not answer in time, or it failed the request. */
  static final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;
    final boolean bug;

    Unavailable(String message, boolean bug) {
      super(message, null, false, false);
      this.bug = bug;
    }
  }

  /** Runs {@code command} in its org's loop on behalf of {@code actor} (whom the audit log names). */
  static <R> R command(Loops loops, Commands.Command<R> command, String actor) throws Unavailable {
    CompletableFuture<R> answer = new CompletableFuture<>();
    if (!loops.of(command.orgId()).submit(command, actor, Reply.into(answer))) {
      throw busy();
    }
    return await(answer);
  }

  static <R> R read(EventLoop loop, EventLoop.Query<R> query) throws Unavailable {
    CompletableFuture<R> answer = new CompletableFuture<>();
    if (!loop.read(query, Reply.into(answer))) {
      throw busy();
    }
    return await(answer);
  }

  /** A page of orgs across every group's loop. */
  static Results.AdminResult listOrgs(Loops loops, String afterOrgId, int pageSize) throws Unavailable {
    CompletableFuture<Results.AdminResult> answer = new CompletableFuture<>();
    if (!loops.listOrgs(afterOrgId, pageSize, Reply.into(answer))) {
      throw busy();
    }
    return await(answer);
  }

  private static <R> R await(CompletableFuture<R> answer) throws Unavailable {
    try {
      return answer.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new Unavailable("the admission loop did not answer within " + TIMEOUT_SECONDS
          + " s; retry", false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Unavailable("interrupted while waiting for the admission loop", false);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof NotHere here) {
        throw new Unavailable(here.getMessage(), false); // written for the caller
      }
      if (cause instanceof java.io.IOException) {
        // Same words as the gRPC UNAVAILABLE: nothing was answered as done.
        throw new Unavailable(Failures.LOG_NOT_WRITTEN, false);
      }
      throw new Unavailable(Failures.internal("a web request", cause), true);
    }
  }

  private static Unavailable busy() {
    return new Unavailable(
        "server busy: too many requests waiting for the admission loop; retry shortly", false);
  }
}
