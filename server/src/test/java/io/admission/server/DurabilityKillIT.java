package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Duration;
import io.admission.server.CallLedger.Call;
import io.admission.server.CallLedger.Owner;
import io.admission.server.CallLedger.State;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionAdminServiceGrpc.AdmissionAdminServiceBlockingStub;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceBlockingStub;
import io.admission.v1.AgentStatus;
import io.admission.v1.AgentTypeStatus;
import io.admission.v1.CallType;
import io.admission.v1.DailyCap;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.Lease;
import io.admission.v1.LoginLimits;
import io.admission.v1.LoginStatus;
import io.admission.v1.NumberLimits;
import io.admission.v1.NumberStatus;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.RenewResponse;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetReservationRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability end to end: the real jar on a {@code --data-dir}, several client threads placing,
 * releasing, cancelling and renewing calls, and SIGKILL at random moments, each time followed by
 * a restart on the same directory. The clients keep a {@link CallLedger} of what
 * the server told them; after every restart the calls whose requests were lost in the kill are
 * resolved by retrying their Acquire (a retry never counts twice), and then:
 *
 * <ul>
 *   <li>the org's configuration, reservations and login/number limits are as set;
 *   <li>every call the ledger holds granted is still leased (Renew lists none as unknown) and every
 *       ended call stays ended; a known call retried is always answered as a retry;
 *   <li>no lease is duplicated: {@code in_use} equals the ledger's granted calls, per login, per
 *       (agent, call type) and per number too;
 *   <li>held calls keep their order: queue positions are 1..queued, a call answered before another
 *       was sent is ahead of it, and the order seen at the previous check is kept;
 *   <li>counters match: {@code daily.used} equals the distinct outbound calls ever granted, each
 *       login's {@code last_window} and each number's {@code today} the distinct calls ever granted
 *       to it; the rated login never passes its window, the capped number never its daily cap.
 * </ul>
 *
 * The seed (printed, and in every failure) replays the clients' choices with {@code
 * -Ddurability.seed=N}; thread timing and kill moments still vary.
 */
class DurabilityKillIT {
  private static final Pattern RECOVERED = Pattern.compile("recovered .* in (\\d+) ms");

  @TempDir
  Path dataDir;

  /** Runs in {@code make test}: 10 kills, about a second of load before each. */
  @Test
  void tenKillsUnderLoadLoseAndDuplicateNothing() throws Exception {
    run(new Plan(10, 6, 700, 1300, false));
  }

  /** 50 kills with more clients, at random moments from right after start to seconds of load. */
  @Test
  @Tag("slow")
  void fiftyKillsAtRandomMomentsLoseAndDuplicateNothing() throws Exception {
    run(new Plan(50, 12, 0, 4000, true));
  }

  /** How many kills, how many client threads, how long the load runs before each kill. */
  record Plan(int kills, int clients, long minLoadMillis, long maxLoadMillis, boolean sometimesAtOnce) {
    long loadMillis(Random random) {
      if (sometimesAtOnce && random.nextInt(5) == 0) {
        return random.nextInt(30); // within the first turns after the clients start
      }
      return minLoadMillis + (long) (random.nextDouble() * (maxLoadMillis - minLoadMillis));
    }
  }

  private void run(Plan plan) throws Exception {
    long seed = Long.getLong("durability.seed", System.nanoTime());
    System.out.println("DurabilityKillIT " + plan + " seed " + seed);
    CallLedger ledger = new CallLedger(seed, plan.clients());
    try {
      run(plan, ledger);
    } catch (StatusRuntimeException | IllegalStateException e) {
      throw new AssertionError(ledger.where() + " " + e.getMessage(), e);
    }
  }

  private void run(Plan plan, CallLedger ledger) throws Exception {
    Random random = new Random(ledger.seed);
    long started = System.nanoTime();
    // Frequent snapshots, so kills also land while one is written and recovery starts from a
    // snapshot plus the journal after it, not only from the journal.
    ServerProcess server = ServerProcess.start("--data-dir", dataDir.toString(),
        "--snapshot-every-entries", "150", "--snapshot-every-millis", "500");
    try {
      GetOrgResponse org;
      ManagedChannel channel = channel(server);
      try {
        org = setUpOrg(channel);
        new Check(ledger, channel, org, null).run();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      List<String> heldOrder = List.of();
      for (int kill = 1; kill <= plan.kills(); kill++) {
        long load = plan.loadMillis(random);
        int operations = loadThenKill(server, ledger, load);
        ledger.failIfProblems();
        ledger.life = kill;
        long restart = System.nanoTime();
        server = server.restart();
        long restartMillis = (System.nanoTime() - restart) / 1_000_000;
        long checking = System.nanoTime();
        Check check = checkAfterRestart(server, ledger, org, heldOrder);
        heldOrder = check.heldOrder;
        System.out.printf("kill %2d after %4d ms, %5d requests; restart %4d ms (%s); checked in %d ms: %s%n",
            kill, load, operations, restartMillis, recovery(server),
            (System.nanoTime() - checking) / 1_000_000, check.summary);
      }
      server.close(); // a clean stop (SIGTERM, shutdown hook) must keep everything too
      server = server.restart();
      ledger.life++;
      Check last = checkAfterRestart(server, ledger, org, heldOrder);
      System.out.printf("after a clean restart: %s; %d calls placed, %d snapshot(s) on disk, %d s in all%n",
          last.summary, ledger.owners.stream().mapToInt(o -> o.all.size()).sum(), snapshots(),
          (System.nanoTime() - started) / 1_000_000_000L);
    } finally {
      server.close();
    }
  }

  static Check checkAfterRestart(
      ServerProcess server, CallLedger ledger, GetOrgResponse org, List<String> heldOrder)
      throws InterruptedException {
    Check check = new Check(ledger, verifiedChannel(server, ledger), org, heldOrder);
    try {
      check.run();
    } finally {
      check.channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    return check;
  }

  /** Clients run for {@code load} ms, then SIGKILL lands with their requests in flight. */
  private static int loadThenKill(ServerProcess server, CallLedger ledger, long load)
      throws InterruptedException {
    ManagedChannel channel = channel(server);
    List<LedgerClient> clients = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (Owner owner : ledger.owners) {
      LedgerClient client = new LedgerClient(ledger, owner, channel);
      Thread t = new Thread(client, "ledger-client-" + owner.index);
      clients.add(client);
      threads.add(t);
      t.start();
    }
    try {
      Thread.sleep(load);
      ledger.killing(true);
      server.kill9();
    } finally {
      clients.forEach(LedgerClient::stop);
      for (Thread t : threads) {
        t.join(30_000);
        if (t.isAlive()) {
          ledger.problem(t.getName() + " did not stop 30 s after the kill");
        }
      }
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      ledger.killing(false);
    }
    return clients.stream().mapToInt(c -> c.operations).sum();
  }

  /** The org every client uses: limit 8, two reservations, seat limits on, one rated seat, one capped number. */
  static GetOrgResponse setUpOrg(ManagedChannel channel) {
    return setUpOrg(channel, 100_000);
  }

  /** The same with a daily cap of {@code dailyCap} (a long soak places more calls in a day). */
  static GetOrgResponse setUpOrg(ManagedChannel channel, int dailyCap) {
    AdmissionAdminServiceBlockingStub admin =
        AdmissionAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    Duration hour = Duration.newBuilder().setSeconds(3600).build();
    admin.putOrg(PutOrgRequest.newBuilder().setOrg(Org.newBuilder()
        .setOrgId(CallLedger.ORG)
        .setConcurrencyLimit(CallLedger.LIMIT)
        .setDailyCap(DailyCap.newBuilder().setCap(dailyCap))
        .setTimeZone("UTC")
        .setDefaultLeaseTtl(CallLedger.LEASE_TTL)
        // Seats keep the product's 2 concurrent; their hourly limit is on but out of reach here.
        .setLoginDefaults(LoginLimits.newBuilder()
            .setMaxConcurrent(CallLedger.SEAT_MAX_CONCURRENT).setMaxPerWindow(100_000).setWindow(hour)))
        .build());
    admin.setReservation(SetReservationRequest.newBuilder().setOrgId(CallLedger.ORG)
        .setAgentId(CallLedger.RESERVED_AGENT).setCallType(CallType.CALL_TYPE_INBOUND)
        .setSlots(CallLedger.RESERVED_INBOUND).build());
    admin.setReservation(SetReservationRequest.newBuilder().setOrgId(CallLedger.ORG)
        .setAgentId(CallLedger.WEB_AGENT).setCallType(CallType.CALL_TYPE_WEBCALL)
        .setSlots(CallLedger.RESERVED_WEBCALL).build());
    admin.setLoginLimits(SetLoginLimitsRequest.newBuilder().setOrgId(CallLedger.ORG)
        .setLoginId(CallLedger.RATED_LOGIN)
        .setLimits(LoginLimits.newBuilder().setMaxConcurrent(CallLedger.RATED_MAX_CONCURRENT)
            .setMaxPerWindow(CallLedger.RATED_MAX_PER_WINDOW).setWindow(hour))
        .build());
    admin.setNumberLimits(SetNumberLimitsRequest.newBuilder().setOrgId(CallLedger.ORG)
        .setNumber(CallLedger.CAPPED_NUMBER)
        .setLimits(NumberLimits.newBuilder().setMaxPerDay(CallLedger.CAPPED_MAX_PER_DAY))
        .build());
    return admin.getOrg(GetOrgRequest.newBuilder().setOrgId(CallLedger.ORG).build());
  }

  /** Everything checked after a restart, with the clients stopped. */
  static final class Check {
    final CallLedger ledger;
    final ManagedChannel channel;
    final GetOrgResponse org;
    /** Held ids in queue order at the previous check; null for the first. */
    final List<String> previousHeldOrder;
    List<String> heldOrder = List.of();
    String summary = "";

    Check(CallLedger ledger, ManagedChannel channel, GetOrgResponse org, List<String> previousHeldOrder) {
      this.ledger = ledger;
      this.channel = channel;
      this.org = org;
      this.previousHeldOrder = previousHeldOrder;
    }

    private AdmissionServiceBlockingStub calls() {
      return AdmissionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    void run() {
      GetOrgResponse now = AdmissionAdminServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getOrg(GetOrgRequest.newBuilder().setOrgId(CallLedger.ORG).build());
      assertEquals(org, now, () -> ledger.where() + " the org's configuration changed across the restart");

      List<Call> lostAcquires = all().stream().filter(c -> c.state == State.ACQUIRE_UNKNOWN).toList();
      List<Call> lostReleases = all().stream().filter(c -> c.state == State.RELEASE_UNKNOWN).toList();
      inParallel(lostAcquires, c -> resolve(c, false));
      inParallel(lostReleases, c -> resolve(c, true));
      ledger.failIfProblems();

      // Held calls may have been dispatched meanwhile; else this gives their position now.
      inParallel(all().stream().filter(c -> c.state == State.HELD).toList(), c -> resolve(c, true));
      List<Call> held = new ArrayList<>(all().stream().filter(c -> c.state == State.HELD).toList());
      ledger.failIfProblems();
      checkQueueOrder(held);
      checkLeases();
      ledger.failIfProblems();
      OrgStatus status = AdmissionMonitorServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(CallLedger.ORG).build())
          .getStatus();
      checkCounts(status, held.size());
      ledger.owners.forEach(Owner::rebuild);
      summary = String.format("resolved %d lost Acquire(s) and %d lost Release(s); in_use %d,"
          + " queued %d, daily.used %d", lostAcquires.size(), lostReleases.size(), status.getInUse(),
          status.getQueued(), status.getDaily().getUsed());
    }

    /**
     * Runs {@code check} on every call from several threads, so that the server's group commit
     * serves them together (a retried Acquire is journaled like any command). Each call is touched
     * by one thread; {@code invokeAll} makes their changes visible here.
     */
    private void inParallel(List<Call> calls, Consumer<Call> check) {
      List<Callable<Void>> tasks = new ArrayList<>();
      for (Call c : calls) {
        tasks.add(() -> {
          check.accept(c);
          return null;
        });
      }
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        for (Future<Void> f : pool.invokeAll(tasks)) {
          f.get();
        }
      } catch (ExecutionException e) {
        throw e.getCause() instanceof AssertionError a ? a : new AssertionError(ledger.where() + " " + e.getCause(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(ledger.where() + " interrupted", e);
      } finally {
        pool.shutdownNow();
      }
    }

    private void resolve(Call c, boolean known) {
      if (ledger.resolve(calls(), c, known) == null) {
        throw new AssertionError(ledger.where() + " could not resolve " + c + " with a retried Acquire");
      }
    }

    /** Positions 1..n; a call answered before another was sent is ahead of it; old order kept. */
    private void checkQueueOrder(List<Call> held) {
      held.sort(Comparator.comparingInt(c -> c.position));
      for (int i = 0; i < held.size(); i++) {
        if (held.get(i).position != i + 1) {
          throw new AssertionError(ledger.where() + " held calls' positions are not 1.." + held.size()
              + ": " + positions(held));
        }
      }
      long[] laterAckMin = new long[held.size() + 1];
      laterAckMin[held.size()] = Long.MAX_VALUE;
      for (int i = held.size() - 1; i >= 0; i--) {
        laterAckMin[i] = Math.min(laterAckMin[i + 1], held.get(i).ackTick);
      }
      for (int i = 0; i < held.size(); i++) {
        Call c = held.get(i);
        long earliestLaterAck = laterAckMin[i + 1];
        if (earliestLaterAck < c.sentTick) {
          Call later = held.subList(i + 1, held.size()).stream()
              .filter(x -> x.ackTick == earliestLaterAck).findFirst().orElseThrow();
          throw new AssertionError(ledger.where() + " queue order broken: " + later + " at position "
              + later.position + " was answered before " + c + " was even sent, yet " + c
              + " is ahead at position " + c.position + "; queue: " + positions(held));
        }
      }
      heldOrder = held.stream().map(c -> c.id).toList();
      if (previousHeldOrder != null) {
        Set<String> still = new HashSet<>(heldOrder);
        List<String> kept = previousHeldOrder.stream().filter(still::contains).toList();
        List<String> nowOrder = heldOrder.stream().filter(new HashSet<>(previousHeldOrder)::contains).toList();
        assertEquals(kept, nowOrder, () -> ledger.where()
            + " held calls changed their relative order across the restart");
      }
    }

    /** Granted calls are still leased; ended ones are not brought back. */
    private void checkLeases() {
      List<Call> granted = new ArrayList<>();
      List<Call> ended = new ArrayList<>();
      for (Call c : all()) {
        if (c.state == State.GRANTED) {
          granted.add(c);
        } else if (c.state == State.ENDED) {
          ended.add(c);
        }
      }
      for (List<Call> batch : batches(granted)) {
        RenewResponse r = renew(batch);
        Set<String> leased = new HashSet<>();
        for (Lease lease : r.getLeasesList()) {
          leased.add(lease.getCallId());
        }
        for (Call c : batch) {
          if (!leased.contains(c.id)) {
            ledger.problem("lost lease: " + c + " was granted and never released, but Renew says "
                + (r.getHeldCallIdsList().contains(c.id) ? "held" : "unknown"));
          }
        }
      }
      for (List<Call> batch : batches(ended)) {
        RenewResponse r = renew(batch);
        for (Lease lease : r.getLeasesList()) {
          ledger.problem("an ended call came back to life: " + lease.getCallId() + " has a lease again");
        }
        for (String id : r.getHeldCallIdsList()) {
          ledger.problem("an ended call came back to life: " + id + " is held again");
        }
      }
    }

    private RenewResponse renew(List<Call> batch) {
      RenewRequest.Builder b = RenewRequest.newBuilder().setOrgId(CallLedger.ORG);
      batch.forEach(c -> b.addCallIds(c.id));
      return calls().renew(b.build());
    }

    /** Pool, logins, agents, numbers and the daily count against the ledger. */
    private void checkCounts(OrgStatus status, int held) {
      List<Call> granted = all().stream().filter(c -> c.state == State.GRANTED).toList();
      List<Call> ever = all().stream().filter(c -> c.everGranted).toList();
      String where = ledger.where() + " ";
      assertEquals(granted.size(), status.getInUse(), () -> where + "in_use is not the number of"
          + " calls the clients hold granted: a lease was lost or duplicated");
      assertEquals(held, status.getQueued(), () -> where + "queued is not the number of held calls");
      if (status.getInUse() > CallLedger.LIMIT) {
        throw new AssertionError(where + "in_use " + status.getInUse() + " is over the limit " + CallLedger.LIMIT);
      }
      // The counts below are per UTC day: a run across midnight cannot compare them any more.
      boolean sameDay = ledger.sameDay(status.getDaily().getResetsAt().getSeconds());
      if (sameDay) {
        assertEquals(ever.stream().filter(c -> c.request.getCallType() == CallType.CALL_TYPE_OUTBOUND).count(),
            status.getDaily().getUsed(), () -> where + "daily.used is not the number of distinct"
                + " outbound calls ever granted: a daily count was lost or counted twice");
      }

      Map<String, Integer> active = count(granted, c -> c.request.getLoginId());
      Map<String, Integer> window = count(ever, c -> c.request.getLoginId());
      Map<String, LoginStatus> logins = new TreeMap<>();
      status.getLoginsList().forEach(l -> logins.put(l.getLoginId(), l));
      Set<String> loginIds = new HashSet<>(logins.keySet());
      loginIds.addAll(window.keySet());
      for (String login : loginIds) {
        LoginStatus l = logins.getOrDefault(login, LoginStatus.getDefaultInstance());
        assertEquals(active.getOrDefault(login, 0), l.getActive(), () -> where + "login " + login + " active");
        assertEquals(window.getOrDefault(login, 0), l.getLastWindow(), () -> where + "login " + login
            + " last_window is not the number of its calls ever granted (all within the hour)");
        int max = login.equals(CallLedger.RATED_LOGIN) ? CallLedger.RATED_MAX_CONCURRENT : CallLedger.SEAT_MAX_CONCURRENT;
        if (l.getActive() > max) {
          throw new AssertionError(where + "login " + login + " runs " + l.getActive() + " > " + max);
        }
      }
      int rated = window.getOrDefault(CallLedger.RATED_LOGIN, 0);
      if (rated > CallLedger.RATED_MAX_PER_WINDOW) {
        throw new AssertionError(where + CallLedger.RATED_LOGIN + " was granted " + rated
            + " calls within its window of " + CallLedger.RATED_MAX_PER_WINDOW + ": the window was forgotten");
      }

      Map<String, Integer> agentActive =
          count(granted, c -> c.request.getAgentId().isEmpty() ? "" : c.request.getAgentId() + "/" + c.request.getCallType());
      agentActive.remove("");
      Map<String, Integer> reported = new TreeMap<>();
      for (AgentStatus a : status.getAgentsList()) {
        for (AgentTypeStatus t : a.getTypesList()) {
          if (t.getActive() > 0) {
            reported.put(a.getAgentId() + "/" + t.getCallType(), t.getActive());
          }
        }
      }
      assertEquals(new TreeMap<>(agentActive), reported, () -> where + "active calls per (agent, call type)");

      Map<String, Integer> numberActive = count(granted, c -> c.request.getFromNumber());
      Map<String, Integer> numberToday = count(ever, c -> c.request.getFromNumber());
      numberActive.remove("");
      numberToday.remove("");
      Map<String, Integer> reportedActive = new TreeMap<>();
      Map<String, Integer> reportedToday = new TreeMap<>();
      for (NumberStatus n : status.getNumbersList()) {
        if (n.getActive() > 0) {
          reportedActive.put(n.getNumber(), n.getActive());
        }
        if (n.getToday() > 0) {
          reportedToday.put(n.getNumber(), n.getToday());
        }
      }
      assertEquals(new TreeMap<>(numberActive), reportedActive, () -> where + "active calls per number");
      if (sameDay) {
        assertEquals(new TreeMap<>(numberToday), reportedToday, () -> where + "calls today per number");
      }
      int capped = numberToday.getOrDefault(CallLedger.CAPPED_NUMBER, 0);
      if (sameDay && capped > CallLedger.CAPPED_MAX_PER_DAY) {
        throw new AssertionError(where + CallLedger.CAPPED_NUMBER + " was granted " + capped
            + " calls today over its cap of " + CallLedger.CAPPED_MAX_PER_DAY + ": the count was forgotten");
      }
    }

    private List<Call> all() {
      List<Call> out = new ArrayList<>();
      ledger.owners.forEach(o -> out.addAll(o.all));
      return out;
    }
  }

  private static Map<String, Integer> count(List<Call> calls, Function<Call, String> key) {
    Map<String, Integer> out = new HashMap<>();
    for (Call c : calls) {
      out.merge(key.apply(c), 1, Integer::sum);
    }
    return out;
  }

  private static List<List<Call>> batches(List<Call> calls) {
    List<List<Call>> out = new ArrayList<>();
    for (int i = 0; i < calls.size(); i += 1000) {
      out.add(calls.subList(i, Math.min(calls.size(), i + 1000)));
    }
    return out;
  }

  private static String positions(List<Call> held) {
    StringBuilder s = new StringBuilder();
    for (Call c : held) {
      s.append(c.position).append(':').append(c.id).append(" sent@").append(c.sentTick)
          .append(" answered@").append(c.ackTick == Long.MAX_VALUE ? "-" : String.valueOf(c.ackTick)).append(' ');
    }
    return s.toString();
  }

  static ManagedChannel channel(ServerProcess server) {
    return Grpc.newChannelBuilder(server.target(), InsecureChannelCredentials.create()).build();
  }

  /** A channel to a restarted server, which must say SERVING (state loaded) before any check. */
  private static ManagedChannel verifiedChannel(ServerProcess server, CallLedger ledger) {
    ManagedChannel channel = channel(server);
    ServingStatus health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
    assertEquals(ServingStatus.SERVING, health, () -> ledger.where() + " health after restart\n" + server.output());
    return channel;
  }

  private static String recovery(ServerProcess server) {
    Matcher m = RECOVERED.matcher(server.output());
    return m.find() ? "recovery " + m.group(1) + " ms" : "no recovery line";
  }

  private long snapshots() throws IOException {
    long n = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir, "snapshot-*.snap")) {
      for (Path ignored : files) {
        n++;
      }
    }
    return n;
  }
}
