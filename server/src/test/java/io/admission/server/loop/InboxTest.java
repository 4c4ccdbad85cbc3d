package io.admission.server.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

class InboxTest {
  @Test
  void offersBeyondCapacityAreRefusedUntilDrained() {
    Inbox<Integer> inbox = new Inbox<>(2, task -> 1);
    assertTrue(inbox.offer(1));
    assertTrue(inbox.offer(2));
    assertFalse(inbox.offer(3));
    List<Integer> got = new ArrayList<>();
    assertEquals(2, inbox.drainTo(got, 10));
    assertEquals(List.of(1, 2), got);
    assertTrue(inbox.offer(4));
  }

  @Test
  void aDrainStopsOnceItsTasksWeighTheBoundAndLeavesTheRestForTheNext() {
    Inbox<Integer> inbox = new Inbox<>(100, task -> task); // each task weighs its value
    for (int task : List.of(1, 31, 40, 1, 1)) {
      inbox.force(task);
    }
    List<Integer> got = new ArrayList<>();
    assertEquals(2, inbox.drainTo(got, 32)); // 1 + 31: the bound
    assertEquals(List.of(1, 31), got);
    got.clear();
    assertEquals(1, inbox.drainTo(got, 32)); // one task past the bound still goes, alone
    assertEquals(List.of(40), got);
    got.clear();
    assertEquals(2, inbox.drainTo(got, 32));
    assertEquals(List.of(1, 1), got);
  }

  @Test
  void forcedTasksSkipTheBoundAndKeepTheirPlace() {
    Inbox<Integer> inbox = new Inbox<>(1, task -> 1);
    assertTrue(inbox.offer(1));
    inbox.force(2);
    assertFalse(inbox.offer(3));
    List<Integer> got = new ArrayList<>();
    inbox.drainTo(got, 1);
    assertEquals(List.of(1), got);
    inbox.drainTo(got, 10);
    assertEquals(List.of(1, 2), got);
    assertTrue(inbox.offer(5)); // both drained: room again
  }

  /**
   * Runs {@code producers} threads that each offer {@code each} times, yielding now and then so
   * the consumer goes idle between bursts, and waits for them to finish.
   */
  static void produce(int producers, int each, IntConsumer offer) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      Thread t = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          offer.accept(i);
          if (i % 64 == 0) {
            Thread.yield();
          }
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
  }

  /**
   * A task consumer's two races, played in order: a task offered while it runs wakes nothing (it
   * is busy), so going idle must notice that task; a task offered while it is idle wakes it once.
   */
  @Test
  void aTaskConsumerSeesWhatCameWhileItWasBusyAndIsWokenOnceWhenIdle() {
    Inbox<Integer> inbox = new Inbox<>(8, task -> 1);
    AtomicInteger wakeUps = new AtomicInteger();
    inbox.consumer(wakeUps::incrementAndGet);
    List<Integer> got = new ArrayList<>();
    inbox.drainTo(got, 8); // a run under way (a task consumer starts busy): nothing yet
    assertTrue(inbox.offer(1));
    assertEquals(0, wakeUps.get(), "no wake-up while it runs");
    assertTrue(inbox.idleUnlessQueued(), "the task that came during the run keeps it running");
    assertEquals(1, inbox.drainTo(got, 8));
    assertFalse(inbox.idleUnlessQueued(), "nothing left: idle");
    assertTrue(inbox.offer(2));
    assertTrue(inbox.offer(3));
    assertEquals(1, wakeUps.get(), "the first task wakes it, the second finds it woken");
    assertFalse(inbox.claim(), "a timer firing now finds the run already queued");
  }

  /**
   * Producers and a consumer that runs as tasks on an executor (the loop on a transport thread),
   * with no timer to rescue it: a lost wake-up leaves tasks that nothing ever drains. Many short
   * rounds, each two producers offering at once and then waiting until all is drained, so the
   * consumer goes idle thousands of times just as tasks arrive.
   */
  @Test
  void noWakeUpIsLostForATaskConsumer() throws Exception {
    Inbox<Integer> inbox = new Inbox<>(1_000_000, task -> 1);
    AtomicInteger received = new AtomicInteger();
    AtomicInteger running = new AtomicInteger();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    int rounds = 3_000;
    int each = 3;
    CyclicBarrier start = new CyclicBarrier(2);
    try {
      Runnable[] consume = new Runnable[1];
      consume[0] = () -> {
        assertEquals(1, running.incrementAndGet(), "two runs at once");
        List<Integer> batch = new ArrayList<>();
        do {
          received.addAndGet(inbox.drainTo(batch, 1024));
          batch.clear();
        } while (inbox.idleUnlessQueued());
        running.decrementAndGet();
      };
      inbox.consumer(() -> executor.execute(consume[0]));
      executor.execute(consume[0]); // a task consumer starts busy
      Thread other = new Thread(() -> {
        try {
          for (int r = 0; r < rounds; r++) {
            start.await();
            for (int i = 0; i < each; i++) {
              inbox.offer(i);
            }
            start.await();
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      other.start();
      for (int r = 0; r < rounds; r++) {
        start.await(10, TimeUnit.SECONDS);
        for (int i = 0; i < each; i++) {
          assertTrue(inbox.offer(i));
        }
        start.await(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (received.get() < (r + 1) * 2 * each) {
          assertTrue(System.nanoTime() < deadline, "round " + r + ": tasks left undrained");
          Thread.onSpinWait();
        }
      }
      other.join();
    } finally {
      executor.shutdownNow();
    }
  }
}
