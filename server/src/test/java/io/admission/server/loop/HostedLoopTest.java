package io.admission.server.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Event;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop run as tasks on a transport thread ({@link EventLoop#startOn}): a single-thread
 * executor stands in for Netty's event loop. Everything happens on that thread, no request or
 * deadline is left waiting, and requests that arrive together share a turn.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostedLoopTest {
  private final AtomicReference<Thread> hostThread = new AtomicReference<>();
  private final ScheduledExecutorService host = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "test-transport");
    hostThread.set(t);
    return t;
  });
  private final EventLoop loop =
      new EventLoop(new Engine(), CommandLog.NONE, InstantSource.system(), 1_000_000);

  @AfterEach
  void stop() {
    loop.close();
    host.shutdownNow();
  }

  /** A reply that completes a future and notes the thread it came on. */
  private static final class Answer<R> implements Reply<R> {
    final CompletableFuture<R> result = new CompletableFuture<>();
    volatile Thread thread;

    @Override
    public void ok(R value) {
      thread = Thread.currentThread();
      result.complete(value);
    }

    @Override
    public void failed(Throwable error) {
      thread = Thread.currentThread();
      result.completeExceptionally(error);
    }

    R get() throws Exception {
      return result.get(10, TimeUnit.SECONDS);
    }
  }

  /** A WaitForSlot stream as the loop sees it: what it was sent, and on which thread. */
  private static final class Stream implements Watcher {
    final BlockingQueue<Object> got = new LinkedBlockingQueue<>();
    final List<Thread> threads = new CopyOnWriteArrayList<>();

    @Override
    public void first(Results.WatchResult state) {
      threads.add(Thread.currentThread());
      got.add(state);
    }

    @Override
    public void event(Event event) {
      threads.add(Thread.currentThread());
      got.add(event);
    }

    @Override
    public void abort(String reason) {
      threads.add(Thread.currentThread());
      got.add(reason);
    }

    Object next() throws InterruptedException {
      Object o = got.poll(10, TimeUnit.SECONDS);
      assertTrue(o != null, "nothing reached the stream within 10 s");
      return o;
    }
  }

  @Test
  void commandsFromOtherThreadsAreAppliedAndAnsweredOnTheTransportThread() throws Exception {
    loop.startOn(host);
    Answer<Object> put = new Answer<>();
    loop.submit(putOrg(1), put);
    assertInstanceOf(Results.OrgView.class, put.get());
    Answer<Object> acquire = new Answer<>();
    loop.submit(acquire("c1", 0), acquire);
    assertInstanceOf(Results.Granted.class, acquire.get());
    assertSame(hostThread.get(), put.thread);
    assertSame(hostThread.get(), acquire.thread);
  }

  /**
   * Many producers, a loop that goes idle between their bursts: every request is answered. (That
   * no wake-up is lost is {@link InboxTest}'s; here a lost one would only wait for the idle timer.)
   */
  @Test
  void noWakeUpIsLost() throws Exception {
    loop.startOn(host);
    run(putOrg(1));
    int producers = 4;
    int each = 5_000;
    CountDownLatch answered = new CountDownLatch(producers * each);
    Reply<Object> count = new Reply<>() {
      @Override
      public void ok(Object result) {
        answered.countDown();
      }

      @Override
      public void failed(Throwable error) {
        throw new AssertionError(error);
      }
    };
    InboxTest.produce(producers, each,
        i -> assertTrue(loop.read((engine, now) -> engine.getOrg("org"), count)));
    assertTrue(answered.await(10, TimeUnit.SECONDS), answered.getCount() + " requests left");
  }

  /** What the transport thread reads in one go (here, one task) is applied in one turn. */
  @Test
  void requestsOfferedOnTheTransportThreadShareOneTurn() throws Exception {
    List<Integer> turns = new CopyOnWriteArrayList<>();
    loop.observe(new LoopObserver() {
      @Override
      public void turn(int tasks, long nanos) {
        turns.add(tasks);
      }
    });
    loop.startOn(host);
    run(putOrg(100));
    host.submit(() -> { }).get(); // the put's turn has ended (observers hear of it after answers)
    turns.clear();
    List<Answer<Object>> answers = new ArrayList<>();
    host.submit(() -> {
      for (int i = 0; i < 50; i++) {
        Answer<Object> a = new Answer<>();
        answers.add(a);
        loop.submit(acquire("c" + i, 0), a);
      }
    }).get();
    for (Answer<Object> a : answers) {
      assertInstanceOf(Results.Granted.class, a.get());
    }
    host.submit(() -> { }).get();
    assertEquals(50, turns.get(0), "turns: " + turns);
  }

  /** A lease expiring frees its slot with no request arriving: the timer wakes the loop. */
  @Test
  void aDeadlineWakesTheLoopWithoutARequest() throws Exception {
    loop.startOn(host);
    run(putOrg(1));
    assertInstanceOf(Results.Granted.class, run(acquire("short", 200)));
    Stream stream = new Stream();
    Answer<Results.AcquireResult> held = new Answer<>();
    loop.submitWatching(acquire("waiting", 0), held, stream);
    assertInstanceOf(Results.Held.class, held.get());
    Object event = stream.next();
    while (!(event instanceof Event.Dispatched)) {
      event = stream.next();
    }
    assertEquals("waiting", ((Event.Dispatched) event).call().callId());
    assertSame(hostThread.get(), stream.threads.get(stream.threads.size() - 1));
  }

  @Test
  void closeEndsOpenStreamsOnTheTransportThread() throws Exception {
    loop.startOn(host);
    run(putOrg(1));
    assertInstanceOf(Results.Granted.class, run(acquire("c1", 0)));
    Answer<Results.AcquireResult> held = new Answer<>();
    loop.submitWatching(acquire("c2", 0), held, new Stream());
    assertInstanceOf(Results.Held.class, held.get());
    Stream watching = new Stream();
    assertTrue(loop.watch("org", "c2", watching));
    assertInstanceOf(Results.Held.class, watching.next());
    loop.close();
    assertTrue(watching.next().toString().contains("shutting down"));
    assertSame(hostThread.get(), watching.threads.get(1));
  }

  /** Submits {@code command} from this thread and waits for its answer. */
  private <R> R run(Commands.Command<R> command) throws Exception {
    Answer<R> answer = new Answer<>();
    assertTrue(loop.submit(command, answer));
    return answer.get();
  }

  private static Commands.PutOrg putOrg(int limit) {
    return new Commands.PutOrg(new OrgConfig("org", limit, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT));
  }

  private static Commands.Acquire acquire(String id, long leaseTtlMillis) {
    return new Commands.Acquire("org", id, "", CallType.OUTBOUND, "", "", leaseTtlMillis, 0);
  }
}
