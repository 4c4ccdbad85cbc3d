package io.admission.server.audit;

import io.admission.server.engine.EngineSnapshot;
import io.admission.server.audit.AuditReader;
import io.admission.server.api.InvalidRequest;
import io.admission.server.loop.LoopObserver;
import io.admission.v1.AuditEvent;
import io.admission.v1.ListEventsResponse;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The decision audit log: every grant, hold, dispatch, denial, release, lease expiry,
 * cancellation, wait expiry and configuration change, with org, call, agent, login, number,
 * reason and time, readable by org and time range ({@code ListEvents}).
 *
 * <p>Threads. The loop only hands over what it saw, once per turn ({@link #recorder()}), onto a
 * lock-free queue; it never waits for the log and never wakes its writer. One writer thread
 * ("admission-audit") collects the queue every {@link #COLLECT_EVERY_MILLIS} ms, turns what it
 * finds into {@code AuditEvent}s, appends them to the store, syncs the store at most every
 * {@link Options#syncIntervalMillis} and applies retention every minute. Readers ({@link #list})
 * run on the caller's thread against the thread-safe store. Why collect on a clock rather than
 * hand each turn to an executor: that woke the writer for every turn, a lock and a futex call on
 * the transport thread and a context switch on the writer's; with few callers, where a turn holds
 * a request or two, collecting took 9 % off the server's CPU per request (measured 2026-11-23).
 *
 * <p>Durability. On disk, an event is written within {@link #COLLECT_EVERY_MILLIS} ms of happening
 * and made durable within {@code syncIntervalMillis} (1 s) after that: a crash loses at most the
 * last second of events, plus any backlog the writer had not reached (normally none). If more than
 * {@link Options#maxPendingEvents} wait for the writer (a stalled disk), further turns' events are
 * dropped and logged rather than slowing the loop; a failed write is logged and its events
 * dropped. Either way the sequence shows the gap.
 */
public final class AuditLog implements AuditReader, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AuditLog.class.getName());
  /** Events one page may read, matching or not, before it returns with a token. */
  static final int MAX_SCANNED_PER_PAGE = 100_000;
  private static final long PRUNE_EVERY_MILLIS = 60_000;

  /**
   * How the log is kept.
   *
   * @param retentionMillis events older than this are deleted (files: whole files at a time)
   * @param syncIntervalMillis at most this long between a write and its fsync
   * @param segmentBytes a file is closed and a new one started past this size (files)
   * @param memoryEvents the newest events kept without a data directory
   * @param maxPendingEvents events that may wait for the writer before new ones are dropped
   */
  public record Options(
      long retentionMillis,
      long syncIntervalMillis,
      long segmentBytes,
      int memoryEvents,
      int maxPendingEvents) {
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    public static final Options DEFAULT =
        new Options(DEFAULT_RETENTION.toMillis(), 1_000, 64L << 20, 100_000, 1_000_000);

    public Options withRetention(Duration retention) {
      return new Options(retention.toMillis(), syncIntervalMillis, segmentBytes, memoryEvents,
          maxPendingEvents);
    }
  }

  private final AuditStore store;
  private final Options options;
  private final InstantSource clock;
  private final AuditEvents events = new AuditEvents();
  /** How often the writer collects what the loop handed over: how late ListEvents may see an event. */
  static final long COLLECT_EVERY_MILLIS = 10;

  private final ScheduledThreadPoolExecutor writer;
  /** Turns handed over by the loop, oldest first, not yet collected by the writer. */
  private final ConcurrentLinkedQueue<List<Observed>> handedOver = new ConcurrentLinkedQueue<>();
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong dropTurns = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();

  private AuditLog(AuditStore store, Options options, InstantSource clock) {
    this.store = store;
    this.options = options;
    this.clock = clock;
    this.writer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "admission-audit");
      t.setDaemon(true);
      return t;
    });
    writer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    writer.scheduleWithFixedDelay(this::sync, options.syncIntervalMillis(),
        options.syncIntervalMillis(), TimeUnit.MILLISECONDS);
    writer.scheduleWithFixedDelay(this::prune, 0, PRUNE_EVERY_MILLIS, TimeUnit.MILLISECONDS);
    writer.scheduleWithFixedDelay(this::collect, COLLECT_EVERY_MILLIS, COLLECT_EVERY_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  /** {@code --in-memory}: the newest {@link Options#memoryEvents} events; a restart starts empty. */
  public static AuditLog inMemory(Options options, InstantSource clock) {
    return new AuditLog(new MemoryAuditStore(options.memoryEvents()), options, clock);
  }

  /** Files under {@code dir} (e.g. {@code <data-dir>/audit}); survives restarts. */
  public static AuditLog open(Path dir, Options options, InstantSource clock) throws IOException {
    return new AuditLog(FileAuditStore.open(dir, options.segmentBytes()), options, clock);
  }

  /** The observer to add to the loop (once): it hands each turn's events to this log. */
  public LoopObserver recorder() {
    return new AuditRecorder(this);
  }

  // ---- From the loop thread ---------------------------------------------------------------

  /** One turn's observations; never blocks. */
  void submit(List<Observed> turn) {
    int n = turn.size();
    if (pending.get() + n > options.maxPendingEvents()) {
      long total = dropped.addAndGet(n);
      if (Long.bitCount(dropTurns.incrementAndGet()) == 1) { // 1st, 2nd, 4th, 8th ... time
        LOG.log(Level.ERROR, "audit: the writer is behind by " + pending.get() + " events; "
            + total + " events dropped so far");
      }
      return;
    }
    pending.addAndGet(n);
    handedOver.add(turn);
  }

  // ---- On the writer thread ---------------------------------------------------------------

  /** Writes every turn handed over so far, in order. */
  private void collect() {
    List<Observed> turn;
    while ((turn = handedOver.poll()) != null) {
      write(turn);
    }
  }

  private void write(List<Observed> turn) {
    try {
      List<AuditEvent.Builder> out = new ArrayList<>(turn.size());
      for (Observed o : turn) {
        events.convert(o, out);
      }
      store.append(out);
    } catch (IOException | RuntimeException e) {
      long total = lost.addAndGet(turn.size());
      LOG.log(Level.ERROR, "audit: writing " + turn.size() + " events failed (" + total
          + " lost so far); the next ones go to a new file", e);
    } finally {
      pending.addAndGet(-turn.size());
    }
  }

  private void sync() {
    try {
      store.sync();
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.ERROR, "audit: fsync failed; recent events may not survive a crash", e);
    }
  }

  private void prune() {
    try {
      store.prune(clock.millis() - options.retentionMillis());
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "audit: applying retention failed; will retry", e);
    }
  }

  /** Applies retention now, on the writer thread; for tests. */
  void pruneNow() throws InterruptedException {
    await(this::prune);
  }

  /** Waits until everything submitted so far is written (readable); for tests. */
  public void awaitWritten() throws InterruptedException {
    await(this::collect);
  }

  private void await(Runnable task) throws InterruptedException {
    try {
      writer.submit(task).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the audit writer did not answer", e);
    }
  }

  /** Events dropped because the writer was behind, or lost to a failed write; for tests and logs. */
  public long droppedOrLost() {
    return dropped.get() + lost.get();
  }

  // ---- Readers ----------------------------------------------------------------------------

  @Override
  public ListEventsResponse list(Query query) throws InvalidRequest, IOException {
    Scan scan = new Scan(query.orgId(), query.startMillis(), query.endMillis(), query.pageSize(),
        MAX_SCANNED_PER_PAGE);
    AuditStore.Page page = store.read(scan, PageToken.decode(query.pageToken(), scan));
    ListEventsResponse.Builder response = ListEventsResponse.newBuilder().addAllEvents(page.events());
    if (page.next() != null) {
      response.setNextPageToken(PageToken.encode(page.next(), scan));
    }
    return response.build();
  }

  /** Writes and syncs what is queued, then closes the store. Call after the loop has stopped. */
  @Override
  public void close() throws IOException {
    writer.execute(() -> {
      collect();
      sync();
    });
    writer.shutdown();
    try {
      if (!writer.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.log(Level.WARNING, "audit: the writer did not finish in 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
  }
}
