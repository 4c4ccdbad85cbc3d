package io.admission.server.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.io.IOException;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * On a replica, the number of this node's entries in the log's pipeline is bounded: commands that
 * arrive while they are in flight are not proposed one turn at a time, but wait and leave
 * together, as one entry, when one of ours is applied — in the order they arrived, and each
 * answered once its entry is applied.
 */
class ProposalsInFlightTest {
  private static final String ORG = "acme";

  /** A log that holds what is proposed until the test commits it. */
  private static final class HeldLog implements ReplicatedLog {
    record Proposal(long number, List<Commands.Command<?>> commands, List<String> actors,
        Outcome outcome) {}

    final LinkedBlockingQueue<Proposal> proposals = new LinkedBlockingQueue<>();

    @Override
    public void propose(long proposal, List<Commands.Command<?>> commands, List<String> actors,
        Outcome outcome) {
      proposals.add(new Proposal(proposal, List.copyOf(commands), List.copyOf(actors), outcome));
    }

    @Override
    public void afterCommitted(Runnable then, Consumer<IOException> failed) {
      then.run();
    }

    @Override
    public String origin() {
      return "me";
    }

    @Override
    public boolean leading() {
      return false; // no ticks: only the callers' entries go through this log
    }
  }

  private final HeldLog log = new HeldLog();
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
  private final EventLoop loop = new EventLoop(new Engine(), log, InstantSource.system(), 10_000);

  @AfterEach
  void stop() {
    loop.close();
    thread.shutdownNow();
  }

  @Test
  void commandsThatArriveWhileEntriesAreInFlightLeaveTogetherWhenOneIsApplied() throws Exception {
    loop.startOn(thread);
    CompletableFuture<Results.AdminResult> org = submit(new Commands.PutOrg(new OrgConfig(ORG, 1000,
        Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)));
    List<HeldLog.Proposal> inFlight = new ArrayList<>();
    inFlight.add(next());
    // Fill the pipeline: one command per proposal while there is room.
    List<CompletableFuture<Results.AcquireResult>> first = new ArrayList<>();
    for (int i = 1; i < Turns.PROPOSALS_IN_FLIGHT; i++) {
      first.add(submit(acquire("first-" + i)));
      inFlight.add(next());
    }
    // The pipeline is full: these wait, however many turns they arrive in.
    List<CompletableFuture<Results.AcquireResult>> waiting = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      waiting.add(submit(acquire("waiting-" + i)));
    }
    assertEquals(null, log.proposals.poll(300, TimeUnit.MILLISECONDS),
        "a proposal went out while " + Turns.PROPOSALS_IN_FLIGHT + " were in flight");
    assertTrue(waiting.stream().noneMatch(CompletableFuture::isDone), "answered before applied");

    commit(inFlight.remove(0));
    assertInstanceOf(Results.OrgView.class, org.get(5, TimeUnit.SECONDS));
    HeldLog.Proposal together = next();
    assertEquals(50, together.commands().size(), "the waiting commands as one entry");
    for (int i = 0; i < 50; i++) {
      assertEquals(acquire("waiting-" + i), together.commands().get(i), "in the order they came");
    }
    for (HeldLog.Proposal p : inFlight) {
      commit(p);
    }
    commit(together);
    for (CompletableFuture<Results.AcquireResult> f : first) {
      assertInstanceOf(Results.Granted.class, f.get(5, TimeUnit.SECONDS));
    }
    for (CompletableFuture<Results.AcquireResult> f : waiting) {
      assertInstanceOf(Results.Granted.class, f.get(5, TimeUnit.SECONDS));
    }
  }

  /**
   * A snapshot from the leader replaces the replica's state while proposals wait: the one whose
   * entry the snapshot covers will never be applied here, so its caller is told to send again (and
   * the retry finds its grant); one whose entry comes after the snapshot is applied and answered
   * as usual, not refused.
   */
  @Test
  void aSnapshotThatCoversAWaitingProposalAsksItsCallerToSendAgainAndNoOtherCaller() throws Exception {
    loop.startOn(thread);
    long now = System.currentTimeMillis();
    OrgConfig config = new OrgConfig(ORG, 1000, Optional.empty(), ZoneId.of("UTC"),
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT);
    CompletableFuture<Results.AdminResult> org = submit(new Commands.PutOrg(config));
    HeldLog.Proposal orgEntry = next();
    orgEntry.outcome().committed(10);
    commit(orgEntry);
    assertInstanceOf(Results.OrgView.class, org.get(5, TimeUnit.SECONDS));

    CompletableFuture<Results.AcquireResult> covered = submit(acquire("covered"));
    HeldLog.Proposal coveredEntry = next();
    coveredEntry.outcome().committed(11);
    CompletableFuture<Results.AcquireResult> kept = submit(acquire("kept"));
    HeldLog.Proposal keptEntry = Turns.PROPOSALS_IN_FLIGHT > 1 ? next() : null;
    if (keptEntry != null) {
      keptEntry.outcome().committed(12);
    }
    // The leader's snapshot covers the log up to 11: the org and the first acquire.
    Engine leaders = new Engine();
    new Commands.PutOrg(config).applyTo(leaders, now);
    acquire("covered").applyTo(leaders, now);
    CompletableFuture<Void> replaced = new CompletableFuture<>();
    loop.replaceEngine(leaders, 11, () -> replaced.complete(null));
    replaced.get(5, TimeUnit.SECONDS);

    ExecutionException sendAgain = assertThrows(ExecutionException.class,
        () -> covered.get(5, TimeUnit.SECONDS));
    assertInstanceOf(NotHere.class, sendAgain.getCause());
    assertTrue(sendAgain.getCause().getMessage().contains("send it again"), sendAgain.getCause().getMessage());
    assertTrue(!kept.isDone(), "a proposal after the snapshot was answered before it was applied: " + kept);
    if (keptEntry == null) {
      keptEntry = next();
      keptEntry.outcome().committed(12);
    }
    commit(keptEntry);
    Results.AcquireResult keptAnswer = kept.get(5, TimeUnit.SECONDS);
    assertInstanceOf(Results.Granted.class, keptAnswer);
    assertTrue(!((Results.Granted) keptAnswer).retry(), "applied once, as a new call");

    CompletableFuture<Results.AcquireResult> retry = submit(acquire("covered"));
    commit(next());
    Results.AcquireResult again = retry.get(5, TimeUnit.SECONDS);
    assertInstanceOf(Results.Granted.class, again);
    assertTrue(((Results.Granted) again).retry(), "the retry finds the covered entry's grant");
  }

  /**
   * Commit latency comes from the proposals this node has in flight: each of its entries applied
   * here is timed once, from being handed to the log; another node's entries, a refused proposal
   * (even if the log commits it later) and an entry applied twice are not.
   */
  @Test
  void eachOfThisNodesEntriesAppliedHereIsTimedOnce() throws Exception {
    LinkedBlockingQueue<Long> took = new LinkedBlockingQueue<>();
    loop.observe(new LoopObserver() {
      @Override
      public void committed(long nanos) {
        took.add(nanos);
      }
    });
    loop.startOn(thread);
    CompletableFuture<Results.AdminResult> org = submit(new Commands.PutOrg(new OrgConfig(ORG, 1000,
        Optional.empty(), ZoneId.of("UTC"), OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT)));
    HeldLog.Proposal orgEntry = next();
    long held = System.nanoTime();
    Thread.sleep(30);
    commit(orgEntry);
    long waited = System.nanoTime() - held;
    assertInstanceOf(Results.OrgView.class, org.get(5, TimeUnit.SECONDS));
    long first = took.poll(5, TimeUnit.SECONDS);
    assertTrue(first >= TimeUnit.MILLISECONDS.toNanos(30), first + " ns: at least the 30 ms the log held it");
    assertTrue(first < waited + TimeUnit.SECONDS.toNanos(5), first + " ns");

    CompletableFuture<Results.AcquireResult> refused = submit(acquire("refused"));
    HeldLog.Proposal refusedEntry = next();
    refusedEntry.outcome().refused(new NotHere("no leader"));
    assertThrows(ExecutionException.class, () -> refused.get(5, TimeUnit.SECONDS));
    commit(refusedEntry); // committed after all: applied, but its callers were answered already
    loop.committed(new ReplicatedLog.Committed("another node", 1, System.currentTimeMillis(),
        List.of(acquire("theirs")), List.of(""), error -> { }));
    commit(orgEntry); // once more: not ours any longer
    CompletableFuture<Results.AcquireResult> last = submit(acquire("last"));
    commit(next());
    assertInstanceOf(Results.Granted.class, last.get(5, TimeUnit.SECONDS));
    assertTrue(took.poll(5, TimeUnit.SECONDS) != null, "the last entry was timed");
    assertEquals(null, took.poll(100, TimeUnit.MILLISECONDS), "one time per entry of ours, no more");
  }

  private HeldLog.Proposal next() throws InterruptedException {
    HeldLog.Proposal p = log.proposals.poll(5, TimeUnit.SECONDS);
    if (p == null) {
      throw new AssertionError("nothing proposed within 5 s");
    }
    return p;
  }

  private void commit(HeldLog.Proposal p) {
    loop.committed(new ReplicatedLog.Committed("me", p.number(), System.currentTimeMillis(),
        p.commands(), p.actors(), error -> { }));
  }

  private <R> CompletableFuture<R> submit(Commands.Command<R> command) {
    CompletableFuture<R> answer = new CompletableFuture<>();
    assertTrue(loop.submit(command, Reply.into(answer)));
    return answer;
  }

  private static Commands.Acquire acquire(String callId) {
    return new Commands.Acquire(ORG, callId, "", CallType.OUTBOUND, "", "", 600_000, 0);
  }
}
