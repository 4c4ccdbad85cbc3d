package io.admission.server;

import io.admission.server.CallLedger.Owner;
import io.admission.v1.GetOrgResponse;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak ({@code make soak}, scripts/soak.sh; never part of {@code make test}): the durable
 * server (the jar on a {@code --data-dir}, a 256 MB heap) under the clients of {@link
 * DurabilityKillIT} for {@code -Dsoak.minutes} (30 by default). First it measures the most those
 * clients get through unpaced, briefly; then it paces them at 70 % of that and runs, killing the
 * server with SIGKILL every {@code -Dsoak.killEveryMinutes} (5) and restarting it on the same
 * directory, with the same checks after every restart as DurabilityKillIT: no acknowledged grant,
 * held call or counted start missing, nothing granted twice.
 *
 * <p>Every minute it records the operations done, their p99 as the clients saw it, and the
 * server's live heap (the total of {@code jcmd GC.class_histogram}, counted inside its full GC),
 * and at the end writes a report ({@code -Dsoak.report}, docs/SOAK.md from the script): the table, the kills,
 * and three verdicts — is the heap flat, is p99 stable, was nothing lost.
 */
@Tag("soak")
class SoakIT {
  private static final int CLIENTS = 8;
  private static final List<String> SERVER_JVM = List.of("-Xmx256m", "-XX:+UseG1GC");
  /** Where a server that runs out of heap leaves its heap dump (java_pid<pid>.hprof). */
  private static final Path HEAP_DUMPS = Path.of("target", "soak-heap-dumps");
  /** Not in the report's words: they say how it ran, not how it is watched. */
  private static final List<String> SERVER_DIAGNOSTICS = List.of(
      "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=" + HEAP_DUMPS,
      "-Xlog:gc:file=" + HEAP_DUMPS.resolve("gc-%p.log"));
  /** Per minute, the classes that hold the most of the heap after its full GC: what grows, by name. */
  private static final Path HISTOGRAMS = HEAP_DUMPS.resolve("histograms.txt");
  private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");
  /** The server's own line once it has read its snapshot and replayed its journal. */
  private static final Pattern RECOVERED =
      Pattern.compile("admission: recovered .* in (\\d+) ms \\(journal at entry (\\d+)\\)");

  @TempDir
  Path dataDir;

  /** One minute of the paced run. */
  record Minute(int index, long operations, double p99Millis, double heapMb, boolean heapAfterSnapshot, Seen seen,
      List<String> kills) {}

  /**
   * What else a minute saw, so that a slow minute says why: the server's CPU (% of one core), the
   * whole machine's idle, iowait and steal (% of all cores: steal is time the hypervisor gave this
   * virtual machine's CPUs to others), the GC time of the clients' own JVM (their latencies include
   * it), and whether the server wrote a snapshot.
   */
  record Seen(double serverCpuPct, double idlePct, double iowaitPct, double stealPct, long clientGcMillis,
      boolean snapshot) {
    static final Seen UNKNOWN = new Seen(Double.NaN, Double.NaN, Double.NaN, Double.NaN, -1, false);
  }

  /** Samples {@link Seen} from /proc, the clients' GC beans and the data directory, minute by minute. */
  static final class Watch {
    private final Path dataDir;
    private long[] cpu;
    private long sampledAt;
    private long serverPid;
    private long serverTicks;
    private long gcMillis;
    private String newestSnapshot;

    Watch(Path dataDir, ServerProcess server) {
      this.dataDir = dataDir;
      next(server);
    }

    /** Since the last call. */
    Seen next(ServerProcess server) {
      long at = System.nanoTime();
      try {
        long[] now = Arrays.stream(Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+"))
            .skip(1).limit(8).mapToLong(Long::parseLong).toArray();
        String stat = Files.readString(Path.of("/proc", Long.toString(server.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime + stime
        long gc = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
            .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionTime).sum();
        String snapshot;
        try (var files = Files.list(dataDir)) {
          snapshot = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".snap"))
              .max(String::compareTo).orElse("");
        }
        Seen seen = Seen.UNKNOWN;
        if (cpu != null) {
          long[] d = new long[8];
          long total = 0;
          for (int i = 0; i < 8; i++) {
            d[i] = now[i] - cpu[i];
            total += d[i];
          }
          // A restarted server's ticks count from its start; clock ticks are 100 a second here.
          long serverDelta = server.pid() == serverPid ? ticks - serverTicks : ticks;
          seen = new Seen(serverDelta / ((at - sampledAt) / 1e9), 100.0 * d[3] / total, 100.0 * d[4] / total,
              100.0 * d[7] / total, gc - gcMillis, !snapshot.equals(newestSnapshot));
        }
        cpu = now;
        sampledAt = at;
        serverPid = server.pid();
        serverTicks = ticks;
        gcMillis = gc;
        newestSnapshot = snapshot;
        return seen;
      } catch (IOException | RuntimeException e) {
        return Seen.UNKNOWN; // not Linux, or the server just died: the minute's other figures stand
      }
    }
  }

  /** "; recovery N ms to entry E" from what the server printed, or nothing if it did not say. */
  private static String recovery(ServerProcess server) {
    Matcher m = RECOVERED.matcher(server.output());
    return m.find() ? "; recovery " + m.group(1) + " ms to entry " + m.group(2) : "";
  }

  /** The server's flags: the ones the report names, then the heap dump on an out-of-memory. */
  private static List<String> serverJvm() throws IOException {
    Files.createDirectories(HEAP_DUMPS); // a directory: each dump names its pid
    List<String> flags = new ArrayList<>(SERVER_JVM);
    flags.addAll(SERVER_DIAGNOSTICS);
    return flags;
  }

  @Test
  void pacedLoadWithKillsKeepsHeapAndLatencyAndLosesNothing() throws Exception {
    int minutes = Integer.getInteger("soak.minutes", 30);
    double killEvery = Double.parseDouble(System.getProperty("soak.killEveryMinutes", "5"));
    int warmUpSeconds = Integer.getInteger("soak.warmUpSeconds", 20);
    int measureSeconds = Integer.getInteger("soak.measureSeconds", 20);
    Path report = Path.of(System.getProperty("soak.report", "target/soak-report.md"));
    long seed = Long.getLong("soak.seed", System.nanoTime());
    System.out.println("SoakIT " + minutes + " min, a kill every " + killEvery + " min, seed " + seed);

    CallLedger ledger = new CallLedger(seed, CLIENTS);
    List<Minute> rows = new ArrayList<>();
    Instant began = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    double maxRate = 0;
    String lost = null;
    int checks = 0;
    ServerProcess server = ServerProcess.startWith(serverJvm(), "--data-dir", dataDir.toString());
    try {
      GetOrgResponse org;
      ManagedChannel setup = DurabilityKillIT.channel(server);
      try {
        org = DurabilityKillIT.setUpOrg(setup, 100_000_000);
      } finally {
        setup.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      maxRate = measureMaxRate(server, ledger, warmUpSeconds, measureSeconds);
      System.out.printf("unpaced: %.0f operations/s; pacing at %.0f%n", maxRate, 0.7 * maxRate);

      Pacer pacer = new Pacer(0.7 * maxRate);
      Latencies latencies = new Latencies();
      Life life = Life.start(server, ledger, pacer, latencies);
      Watch watch = new Watch(dataDir, server);
      long start = System.nanoTime();
      long minuteNanos = TimeUnit.MINUTES.toNanos(1);
      long killNanos = (long) (killEvery * minuteNanos);
      long nextKill = start + killNanos;
      List<String> kills = new ArrayList<>();
      List<String> heldOrder = List.of();
      try {
        for (int minute = 1; minute <= minutes; ) {
          long boundary = start + minute * minuteNanos;
          if (nextKill < boundary && nextKill < start + minutes * minuteNanos) {
            sleepUntil(nextKill);
            nextKill += killNanos;
            String at = String.format(Locale.ROOT, "%.1f", (System.nanoTime() - start) / 6e10);
            life.kill(ledger, server);
            long restarting = System.nanoTime();
            server = server.restart();
            long restartMillis = (System.nanoTime() - restarting) / 1_000_000;
            ledger.life++;
            DurabilityKillIT.Check check =
                DurabilityKillIT.checkAfterRestart(server, ledger, org, heldOrder);
            heldOrder = check.heldOrder;
            checks++;
            kills.add("kill -9 at min " + at + ", restarted in " + restartMillis + " ms (JVM start"
                + " and recovery" + recovery(server) + "), checked: " + check.summary);
            System.out.println("kill at " + kills.get(kills.size() - 1));
            life = Life.start(server, ledger, pacer, latencies);
            continue;
          }
          sleepUntil(boundary);
          long[] taken = latencies.drain();
          Seen seen = watch.next(server);
          boolean waited = awaitNoSnapshotInFlight(dataDir);
          double heap = heapAfterGcMb(server, minute);
          rows.add(new Minute(minute, taken.length, p99Millis(taken), heap, waited, seen, List.copyOf(kills)));
          System.out.println(rows.get(rows.size() - 1));
          kills.clear();
          minute++;
        }
      } finally {
        life.stop();
      }
      ledger.failIfProblems();
      // A last kill-free look, with the clients stopped.
      server = server.restart();
      ledger.life++;
      DurabilityKillIT.checkAfterRestart(server, ledger, org, heldOrder);
      checks++;
    } catch (AssertionError | RuntimeException e) {
      lost = ledger.where() + " " + e.getMessage();
      throw e;
    } finally {
      server.close();
      writeReport(report, began, minutes, killEvery, maxRate, rows, lost, checks, ledger);
    }
    // Nothing was lost (else the checks threw above); a leak or a tail that grows fails the run too.
    if (heapVerdict(rows).startsWith("NO") || p99Verdict(rows).startsWith("NO")) {
      throw new AssertionError("the soak's verdicts say no: " + heapVerdict(rows) + "; "
          + p99Verdict(rows) + " (report: " + report + ")");
    }
  }

  /** Operations per second of the clients unpaced, over {@code measure} s after {@code warmUp} s. */
  private static double measureMaxRate(ServerProcess server, CallLedger ledger, int warmUp, int measure)
      throws InterruptedException {
    Latencies latencies = new Latencies();
    Life life = Life.start(server, ledger, null, latencies);
    try {
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmUp));
      latencies.drain();
      long from = System.nanoTime();
      Thread.sleep(TimeUnit.SECONDS.toMillis(measure));
      long done = latencies.drain().length;
      return done / ((System.nanoTime() - from) / 1e9);
    } finally {
      life.stop();
      ledger.failIfProblems();
    }
  }

  /** The clients of one life of the server, on one channel. */
  private record Life(ManagedChannel channel, List<LedgerClient> clients, List<Thread> threads) {
    static Life start(ServerProcess server, CallLedger ledger, Pacer pacer, Latencies latencies) {
      ManagedChannel channel = DurabilityKillIT.channel(server);
      List<LedgerClient> clients = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (Owner owner : ledger.owners) {
        LedgerClient client = new LedgerClient(ledger, owner, channel).paced(pacer, latencies::record);
        Thread t = new Thread(client, "soak-client-" + owner.index);
        clients.add(client);
        threads.add(t);
        t.start();
      }
      return new Life(channel, clients, threads);
    }

    /** SIGKILL of {@code server} with the clients' requests in flight; returns once they stopped. */
    void kill(CallLedger ledger, ServerProcess server) throws InterruptedException {
      ledger.killing(true);
      try {
        server.kill9();
      } finally {
        stop();
        ledger.killing(false);
      }
      ledger.failIfProblems();
    }

    void stop() throws InterruptedException {
      clients.forEach(LedgerClient::stop);
      for (Thread t : threads) {
        t.join(30_000);
        if (t.isAlive()) {
          throw new IllegalStateException(t.getName() + " did not stop within 30 s");
        }
      }
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * Spaces the clients' operations {@code 1/rate} apart, all clients together; a client that falls
   * behind does not catch up in a burst.
   */
  static final class Pacer {
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(System.nanoTime());

    Pacer(double rate) {
      this.intervalNanos = (long) (1e9 / rate);
    }

    /** Waits for this client's next turn; false when interrupted. */
    boolean await() {
      long now = System.nanoTime();
      long slot = next.getAndUpdate(prev -> Math.max(prev, now) + intervalNanos);
      long wait = Math.max(slot, now) - now;
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  /** Every operation's time since the last drain, from all clients. */
  static final class Latencies {
    private long[] times = new long[1 << 16];
    private int n;

    synchronized void record(long nanos) {
      if (n == times.length) {
        times = Arrays.copyOf(times, n * 2);
      }
      times[n++] = nanos;
    }

    synchronized long[] drain() {
      long[] out = Arrays.copyOf(times, n);
      n = 0;
      return out;
    }
  }

  private static double p99Millis(long[] nanos) {
    if (nanos.length == 0) {
      return Double.NaN;
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] / 1e6;
  }

  /**
   * The server's live heap in MB: the total of a class histogram, which the JVM counts inside the
   * full GC it runs for it; NaN when jcmd could not tell. (GC.run, then GC.heap_info, counted
   * what the loaded server allocated in the half second between the two jcmd processes as well:
   * 125 MB "after GC" where the GC log said 37 MB were live.) The histogram's top goes to
   * {@link #HISTOGRAMS}, so that what grows has a name.
   */
  static double heapAfterGcMb(ServerProcess server, int minute) throws IOException, InterruptedException {
    String histogram = jcmd(server.pid(), "GC.class_histogram");
    if (histogram == null) {
      return Double.NaN;
    }
    Files.writeString(HISTOGRAMS, "minute " + minute + "\n"
        + String.join("\n", histogram.lines().limit(28).toList()) + "\n\n",
        java.nio.charset.StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    Matcher m = HISTOGRAM_TOTAL.matcher(histogram);
    return m.find() ? Long.parseLong(m.group(1)) / (1024.0 * 1024.0) : Double.NaN;
  }

  /**
   * Waits while the server writes a snapshot (its temporary file exists): until the write ends
   * the server also holds the snapshot's copy of the state (the remembered calls' bytes, ~60 MB
   * here), which a leak check must not compare with minutes that hold none. Whether it waited.
   */
  static boolean awaitNoSnapshotInFlight(Path dataDir) throws IOException, InterruptedException {
    boolean waited = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try (var files = Files.list(dataDir)) {
        if (files.noneMatch(f -> f.getFileName().toString().endsWith(".snap.tmp"))) {
          return waited;
        }
      }
      waited = true;
      Thread.sleep(50);
    }
    return waited;
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long wait = nanoTime - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  // ---- The report -----------------------------------------------------------------------------

  static void writeReport(Path path, Instant began, int minutes, double killEvery, double maxRate,
      List<Minute> rows, String lost, int checks, CallLedger ledger) throws IOException {
    StringBuilder s = new StringBuilder("# Soak\n\n");
    if (minutes < 30) {
      s.append("**Short validation run (").append(minutes).append(" min), not the full soak:** it shows")
          .append(" that `make soak` works; the figures say little about a long run.\n\n");
    }
    s.append(String.format(Locale.ROOT, "Started %s; %d min paced at 70 %% of %.0f operations/s"
        + " (the clients unpaced, measured first), a `kill -9` and restart every %s min; %d clients,"
        + " the server durable (`--data-dir`) with `%s`. Written by `make soak` (scripts/soak.sh,"
        + " SoakIT); the machine was %s.%n%n", began, minutes, maxRate, fmt(killEvery), CLIENTS,
        String.join(" ", SERVER_JVM), "shared with other work, so absolute figures are rough"));
    s.append("An operation is one step of a client (Acquire, Release, Renew or a retried Acquire to"
        + " poll a held call), timed as the client saw it; the heap is what the server holds live,"
        + " counted inside a full GC at the end of the minute (jcmd GC.class_histogram) — once any snapshot being written then is done, since until then the server also holds the snapshot's copy of its state. A minute with a kill has fewer operations: the clients"
        + " stop for the restart and the checks.\n\n");
    s.append("The other columns say what else the minute saw: the server's CPU (% of one core), the"
        + " machine's idle, iowait and steal (% of both cores; steal is CPU time the hypervisor gave to"
        + " other virtual machines), the GC time of the clients' own JVM, and whether the server wrote"
        + " a snapshot.\n\n");
    s.append("| minute | operations/s | p99 ms | live heap MB | server CPU % | machine idle / iowait / steal %"
        + " | clients' GC ms | snapshot | kills |\n|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
    for (Minute m : rows) {
      Seen seen = m.seen();
      s.append(String.format(Locale.ROOT, "| %d | %.0f | %.1f | %.1f | %.0f | %.0f / %.1f / %.1f | %d | %s | %s |%n",
          m.index(), m.operations() / 60.0, m.p99Millis(), m.heapMb(), seen.serverCpuPct(),
          seen.idlePct(), seen.iowaitPct(), seen.stealPct(), seen.clientGcMillis(),
          (seen.snapshot() ? "written" : "") + (m.heapAfterSnapshot() ? " (in flight at the minute's end:"
              + " heap counted once written)" : ""), m.kills().isEmpty() ? "" : String.join("<br>", m.kills())));
    }
    s.append('\n');
    s.append("- heap flat? ").append(heapVerdict(rows)).append('\n');
    s.append("- p99 stable? ").append(p99Verdict(rows)).append('\n');
    long placed = ledger.owners.stream().mapToLong(o -> o.all.size()).sum();
    s.append("- nothing lost? ").append(lost == null
        ? "yes: " + checks + " checks after restarts found every acknowledged grant, held call and"
            + " counted start, nothing granted twice (" + placed + " calls placed)"
        : "NO: " + lost).append('\n');
    Files.createDirectories(path.toAbsolutePath().getParent());
    Files.writeString(path, s);
    System.out.println("report: " + path.toAbsolutePath());
  }

  /**
   * Flat when the last third of the minutes never needs more than the first third's most plus a
   * quarter (and 8 MB for noise): a leak grows without bound, a steady state does not.
   */
  static String heapVerdict(List<Minute> rows) {
    double[] heap = rows.stream().mapToDouble(Minute::heapMb).filter(h -> !Double.isNaN(h)).toArray();
    if (heap.length < 3) {
      return "cannot tell: fewer than 3 samples";
    }
    int third = Math.max(1, heap.length / 3);
    double first = Arrays.stream(heap, 0, third).max().orElseThrow();
    double last = Arrays.stream(heap, heap.length - third, heap.length).max().orElseThrow();
    boolean flat = last <= first * 1.25 + 8;
    return String.format(Locale.ROOT, "%s: the first third of the minutes at most %.1f MB, the last"
        + " third at most %.1f MB (flat: no more than +25 %% + 8 MB)", flat ? "yes" : "NO", first, last);
  }

  /** Stable when no minute without a kill has a p99 over 3× their median. */
  static String p99Verdict(List<Minute> rows) {
    double[] p99 = rows.stream().filter(m -> m.kills().isEmpty()).mapToDouble(Minute::p99Millis)
        .filter(p -> !Double.isNaN(p)).sorted().toArray();
    if (p99.length < 2) {
      return "cannot tell: fewer than 2 minutes without a kill";
    }
    double median = p99[p99.length / 2];
    double max = p99[p99.length - 1];
    boolean stable = max <= 3 * median;
    return String.format(Locale.ROOT, "%s: minutes without a kill have a median p99 of %.1f ms and"
        + " at most %.1f ms (stable: at most 3× the median)", stable ? "yes" : "NO", median, max);
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
