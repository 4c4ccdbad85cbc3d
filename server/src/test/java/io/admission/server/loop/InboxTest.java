package io.admission.server.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InboxTest {
  @Test
  void offersBeyondCapacityAreRefusedUntilDrained() {
    Inbox<Integer> inbox = new Inbox<>(2);
    assertTrue(inbox.offer(1));
    assertTrue(inbox.offer(2));
    assertFalse(inbox.offer(3));
    List<Integer> got = new ArrayList<>();
    assertEquals(2, inbox.drainTo(got, 10));
    assertEquals(List.of(1, 2), got);
    assertTrue(inbox.offer(4));
  }

  @Test
  void forcedTasksSkipTheBoundAndKeepTheirPlace() {
    Inbox<Integer> inbox = new Inbox<>(1);
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

  @Test
  void awaitReturnsAfterItsTimeoutWhenNothingComes() throws InterruptedException {
    Inbox<Integer> inbox = new Inbox<>(8);
    inbox.consumer(Thread.currentThread());
    long started = System.nanoTime();
    inbox.await(30);
    assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(30));
  }

  /** Many producers, one sleeping consumer: every task arrives, and none waits for a timeout. */
  @Test
  void noWakeUpIsLost() throws Exception {
    Inbox<Integer> inbox = new Inbox<>(1_000_000);
    int producers = 4;
    int each = 20_000;
    AtomicInteger received = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(1);
    Thread consumer = new Thread(() -> {
      List<Integer> batch = new ArrayList<>();
      try {
        while (received.get() < producers * each) {
          inbox.await(10_000); // a lost wake-up would stall here for 10 s
          batch.clear();
          received.addAndGet(inbox.drainTo(batch, 1024));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      done.countDown();
    });
    inbox.consumer(consumer);
    consumer.start();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      Thread t = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          assertTrue(inbox.offer(i));
          if (i % 64 == 0) {
            Thread.yield(); // let the consumer fall asleep now and then
          }
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertTrue(done.await(5, TimeUnit.SECONDS), "consumer stalled at " + received.get());
    assertEquals(producers * each, received.get());
  }
}
