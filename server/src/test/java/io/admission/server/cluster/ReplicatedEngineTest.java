package io.admission.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.admission.server.engine.Engine;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.RandomCommands;
import io.admission.server.engine.Snapshots;
import io.admission.server.loop.Reply;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The replicated engine against one engine alone: a seeded history of every command kind — limits,
 * windows and reservations changing, leases expiring, held calls dispatched — goes into a group
 * of three replicas in this JVM (real Ratis on loopback), each command to a random node, one
 * replica stopped for a while and restarted (catching up from the others, from a snapshot once the
 * log it missed is purged). Every answer must be the one the lone engine gives for the same command
 * at the same time, and at the end every replica's state must equal the lone engine's.
 */
class ReplicatedEngineTest {
  private static final int COMMANDS = 400;

  @RegisterExtension
  final Replicas replicas = new Replicas();

  @Test
  void threeReplicasAnswerAndEndLikeOneEngine() throws Exception {
    long seed = Long.getLong("replicated.seed", System.nanoTime());
    String where = "[seed " + seed + ", rerun with -Dreplicated.seed=" + seed + "] ";
    Random random = new Random(seed);
    RandomCommands history = new RandomCommands(seed);
    List<RandomCommands.Stamped> commands = new ArrayList<>(history.setup());
    while (commands.size() < COMMANDS) {
      commands.add(history.next());
    }
    // The leader stamps each entry with this clock: set to each command's time before it is sent.
    AtomicLong time = new AtomicLong(commands.get(0).at());
    InstantSource clock = new InstantSource() {
      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(time.get());
      }

      @Override
      public long millis() {
        return time.get();
      }
    };
    List<TestReplica> nodes = replicas.three("r", new RaftReplica.Options(50, Engine.Bounds.NONE));
    Engine alone = new Engine();
    for (TestReplica n : nodes) {
      n.start(clock);
    }
    TestReplica.awaitServing(nodes, where);
    TestReplica stopped = null;
    for (int i = 0; i < commands.size(); i++) {
      RandomCommands.Stamped c = commands.get(i);
      if (i == COMMANDS / 3) {
        stopped = nodes.get(random.nextInt(3));
        stopped.stop();
        TestReplica gone = stopped;
        TestReplica.awaitServing(nodes.stream().filter(n -> n != gone).toList(), where);
      } else if (i == 2 * COMMANDS / 3) {
        stopped.start(clock);
        stopped = null;
        TestReplica.awaitServing(nodes, where);
      }
      time.set(c.at());
      TestReplica to;
      do {
        to = nodes.get(random.nextInt(3));
      } while (to == stopped);
      Object expected = c.command().applyTo(alone, c.at());
      List<String> refusals = new ArrayList<>();
      Object got = submit(to, c, where + "command " + i, refusals);
      assertEquals(expected, got, where + "command " + i + " " + c + " answered differently by "
          + to.peers.self() + (refusals.isEmpty() ? "" : " after refusals " + refusals));
    }
    EngineSnapshot want = Snapshots.capture(alone);
    for (TestReplica n : nodes) {
      awaitState(n, want, where);
    }
  }

  private static Object submit(TestReplica to, RandomCommands.Stamped c, String what, List<String> refusals)
      throws Exception {
    for (int attempt = 0; ; attempt++) {
      CompletableFuture<Object> answer = new CompletableFuture<>();
      @SuppressWarnings({"unchecked", "rawtypes"})
      boolean queued = to.loop.submit((io.admission.server.engine.Commands.Command) c.command(),
          (Reply) Reply.into(answer));
      if (!queued) {
        throw new AssertionError(what + ": the loop's inbox is full");
      }
      try {
        return answer.get(20, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        refusals.add(String.valueOf(e.getCause().getMessage()));
        // Only while the group elects (a node just stopped): never when a command was applied,
        // since the answer then comes from the apply.
        if (attempt >= 20) {
          throw new AssertionError(what + " failed " + attempt + " times: " + e.getCause(), e);
        }
        Thread.sleep(200);
      }
    }
  }

  private static void awaitState(TestReplica n, EngineSnapshot want, String where) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    EngineSnapshot got = n.state();
    while (!want.equals(got) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      got = n.state();
    }
    assertEquals(want, got, where + "replica " + n.peers.self() + " ended in another state");
  }
}
