package io.admission.server.cluster;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Snapshots;
import io.admission.server.loop.Applier;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Reply;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One replica of a group of three in a test's JVM (real Ratis on loopback): its Raft server and
 * its loop on a thread of its own, stopped and started again as a test pleases.
 */
final class TestReplica {
  /** The org the cluster tests write to ({@link #org}). */
  static final String ORG = "acme";

  final Peers peers;
  final Path dataDir;
  final RaftReplica.Options options;
  RaftReplica replica;
  EventLoop loop;
  private ScheduledExecutorService thread;

  private TestReplica(Peers peers, Path dataDir, RaftReplica.Options options) {
    this.peers = peers;
    this.dataDir = dataDir;
    this.options = options;
  }

  /** Three replicas with ids {@code prefix}1..3 on free loopback ports, data under {@code dir}; not started. */
  static List<TestReplica> three(String prefix, Path dir, RaftReplica.Options options) throws Exception {
    String peerList = prefix + "1=127.0.0.1:" + freePort() + "," + prefix + "2=127.0.0.1:" + freePort()
        + "," + prefix + "3=127.0.0.1:" + freePort();
    List<TestReplica> out = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      String id = prefix + i;
      out.add(new TestReplica(Peers.parse(id, peerList), dir.resolve(id), options));
    }
    return out;
  }

  /** Stops those of {@code nodes} still running. */
  static void stopAll(List<TestReplica> nodes) {
    for (TestReplica n : nodes) {
      if (n.running()) {
        n.stop();
      }
    }
  }

  String id() {
    return peers.self();
  }

  void start(InstantSource clock) throws IOException {
    start(clock, Applier.ENGINE);
  }

  /** Started, applying the log's commands through {@code applier} (a slow one, say). */
  void start(InstantSource clock, Applier applier) throws IOException {
    replica = RaftReplica.start(peers, dataDir, options, clock);
    loop = new EventLoop(replica.engine(), replica, clock, 10_000, applier);
    replica.attach(loop);
    thread = Executors.newSingleThreadScheduledExecutor();
    loop.startOn(thread);
  }

  /**
   * How long a task handed to the thread the loop runs on (in the server: the transport thread,
   * which reads the sockets) waits before it runs: the rest of the turn under way.
   */
  long transportWaitNanos() throws Exception {
    long handed = System.nanoTime();
    return thread.submit(() -> System.nanoTime() - handed).get(60, TimeUnit.SECONDS);
  }

  boolean running() {
    return replica != null;
  }

  void stop() {
    replica.close();
    loop.close();
    thread.shutdownNow();
    replica = null;
  }

  /** Hands {@code command} to this replica's loop; the answer completes the future. */
  <R> CompletableFuture<R> submit(Commands.Command<R> command) {
    CompletableFuture<R> answer = new CompletableFuture<>();
    if (!loop.submit(command, Reply.into(answer))) {
      answer.completeExceptionally(new AssertionError(id() + ": the loop's inbox is full"));
    }
    return answer;
  }

  EngineSnapshot state() throws Exception {
    CompletableFuture<EngineSnapshot> s = new CompletableFuture<>();
    loop.readNow((engine, now) -> Snapshots.capture(engine), Reply.into(s));
    return s.get(10, TimeUnit.SECONDS);
  }

  /** Waits until every one of {@code replicas} serves (knows a leader that has a majority). */
  /** Starts each of {@code nodes} on a clock of its own, all at {@code at}; returns once they serve. */
  static Map<TestReplica, TestClock> startOnOwnClocks(List<TestReplica> nodes, long at) throws Exception {
    Map<TestReplica, TestClock> clocks = new HashMap<>();
    for (TestReplica n : nodes) {
      TestClock c = new TestClock(at);
      clocks.put(n, c);
      n.start(c);
    }
    awaitServing(nodes, "");
    return clocks;
  }

  static void awaitServing(List<TestReplica> replicas, String where) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (replicas.stream().allMatch(n -> n.replica.unavailable() == null)) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError(where + "no leader within 30 s for "
        + replicas.stream().map(TestReplica::id).toList());
  }

  /** {@link #ORG}: a pool of 1,000 slots in UTC, every other setting inherited. */
  static OrgConfig org() {
    return new OrgConfig(ORG, 1000, Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(),
        LoginLimits.INHERIT, NumberLimits.INHERIT);
  }

  /** An outbound call in {@link #ORG} with a 10-minute lease, never held. */
  static Commands.Acquire acquire(String callId) {
    return new Commands.Acquire(ORG, callId, "", CallType.OUTBOUND, "", "", 600_000, 0);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
