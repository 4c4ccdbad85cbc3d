package io.admission.server.cluster;

import io.admission.server.engine.Results;
import io.admission.server.loop.Reply;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Looks into a test replica's engine on its loop thread, without going through the log. */
final class Probe {
  private Probe() {}

  /** What WaitForSlot would say of {@code callId} on {@code n} now. */
  static Results.WatchResult watch(TestReplica n, String orgId, String callId) throws Exception {
    CompletableFuture<Results.WatchResult> s = new CompletableFuture<>();
    n.loop.readNow((engine, now) -> engine.watch(orgId, callId, now), Reply.into(s));
    return s.get(10, TimeUnit.SECONDS);
  }

  /** The engine's time on {@code n}: the last time the log let pass there. */
  static long engineTime(TestReplica n) throws Exception {
    CompletableFuture<Long> s = new CompletableFuture<>();
    n.loop.readNow((engine, now) -> engine.lastNow(), Reply.into(s));
    return s.get(10, TimeUnit.SECONDS);
  }

  static long appliedIndex(TestReplica n) {
    return n.replica.groupStatus(0).getAppliedIndex();
  }

  static TestReplica leader(List<TestReplica> nodes) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      for (TestReplica n : nodes) {
        if (n.running() && n.replica.leading()) {
          return n;
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no leader within 30 s");
  }

  /** Waits up to {@code seconds} for {@code done}; false if it never came. */
  static boolean await(long seconds, Check done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!done.met()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** A condition that may read a replica (and so throw). */
  interface Check {
    boolean met() throws Exception;
  }
}
