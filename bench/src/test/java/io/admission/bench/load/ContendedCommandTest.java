package io.admission.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ContendedCommandTest {
  /** How long the fake server takes from a Release to pushing the dispatch. */
  private static final long PUSH_DELAY_MILLIS = 5;

  private final ScheduledExecutorService io = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "fake-io"));
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    io.shutdownNow();
    timer.shutdownNow();
  }

  @Test
  void measuresFromReleaseToDispatchWithEveryRequestSentFromTheIoThread() throws Exception {
    QueueingTarget target = new QueueingTarget(2);
    ContendedCommand run = new ContendedCommand();
    run.slots = 2;
    run.ratio = 5;
    run.holdMillis = 2;
    run.thinkMillis = 2;
    run.pollMillis = 50;
    run.start(target, timer, 1);
    Thread.sleep(1_500);
    run.stopping = true;
    Thread.sleep(100);

    assertEquals(null, target.wrongThread.get(), "a request was sent from another thread than the target's I/O thread");
    assertEquals(0, run.errors.get(), () -> "errors, first: " + run.firstError.get());
    Histogram h = run.dispatch.getIntervalHistogram();
    assertTrue(h.getTotalCount() > 50, "dispatches measured: " + h.getTotalCount());
    // Each measured interval holds the server's push delay and little else.
    assertTrue(h.getMinValue() >= TimeUnit.MILLISECONDS.toNanos(PUSH_DELAY_MILLIS), "min " + h.getMinValue());
    assertTrue(h.getValueAtPercentile(50) < TimeUnit.MILLISECONDS.toNanos(PUSH_DELAY_MILLIS + 20),
        "p50 " + h.getValueAtPercentile(50));
  }

  /** An Admission-like server in memory: a pool of slots and a FIFO queue, answers on one I/O thread. */
  private final class QueueingTarget implements LoadTarget {
    private int free;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    final AtomicReference<String> wrongThread = new AtomicReference<>();

    QueueingTarget(int slots) {
      this.free = slots;
    }

    private void onIoThread(String request) {
      if (!Thread.currentThread().getName().equals("fake-io")) {
        wrongThread.compareAndSet(null, request + " on " + Thread.currentThread().getName());
      }
    }

    @Override
    public void acquire(String callId, Consumer<Outcome> done, Consumer<Throwable> failed) {
      onIoThread("acquire");
      if (free > 0 && waiting.isEmpty()) {
        free--;
        done.accept(Outcome.GRANTED);
      } else {
        done.accept(Outcome.HELD);
      }
    }

    @Override
    public void waitForSlot(String callId, Runnable dispatched, Consumer<Throwable> failed) {
      onIoThread("waitForSlot");
      waiting.add(dispatched);
    }

    @Override
    public void release(String callId, Runnable done, Consumer<Throwable> failed) {
      onIoThread("release");
      done.run();
      Runnable next = waiting.poll();
      if (next == null) {
        free++;
      } else {
        io.schedule(next, PUSH_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public Executor ioThread() {
      return io;
    }

    @Override
    public void close() {}
  }
}
