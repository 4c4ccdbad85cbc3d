package io.admission.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.admission.server.audit.AuditLog;
import io.admission.server.auth.AccessControl;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Event;
import io.admission.server.engine.Rejection;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.LoopObserver;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.DeleteOrgRequest;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.Lease;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.ListOrgsRequest;
import io.admission.v1.OrgStatus;
import io.admission.v1.Outcome;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RemoveAgentRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.RenewResponse;
import io.admission.v1.SessionRequest;
import io.admission.v1.SessionResponse;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.UpdateOrgRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.admission.v1.WatchOrgRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed and hostile requests, sent in process to the real services behind real access
 * control, with the loop running on its own thread: random bytes as the messages of every method
 * of every service, huge and unicode-edge strings, negative and enormous durations, unknown enum
 * numbers, tokens aimed at the wrong org or role, and Release and Acquire racing on the same ids
 * across orgs and tokens.
 *
 * <p>What must hold: no INTERNAL, UNKNOWN or other status that means a bug, and no hang; a
 * refused token is UNAUTHENTICATED or PERMISSION_DENIED with the same words whatever it names;
 * every change the loop applies had a caller allowed to make it, and the org that only refused
 * requests name ({@code vault}) never changes; and the orgs' state agrees with a shadow built only
 * from the answers of requests that succeeded — every running call and every held call was
 * answered as granted or held, each running call is renewed once, in use and queued match the
 * counts, and in use stays within the limit except after the limit was lowered under it.
 *
 * <p>The loop is stepped by the one client thread (by a driver thread while racing), with a
 * clock only the test moves: a request costs no thread hand-off, and everything but the racing
 * rounds' interleaving replays exactly from the seed.
 *
 * <p>Seeded: a failure prints its seed, replay it with {@code -Dfuzz.seed=N}; {@code
 * -Dfuzz.requests=N} changes the count. {@code make test} sends at least 100,000 requests; the
 * slow variant ({@code make test-slow}) at least 1,000,000.
 */
class HostileRequestsFuzzTest {
  private static final String ADMIN = "fuzz-admin-token";
  private static final String ACME = "fuzz-acme-token";
  private static final String BETA = "fuzz-beta-token";
  private static final String ACME_WALL = "fuzz-acme-wall-token";
  private static final String NOC = "fuzz-noc-token";

  /** Who asks: the token sent (null: none) and what the token file says it may do. */
  enum Who {
    ADMIN_TOKEN(ADMIN), ACME_SWITCH(ACME), BETA_SWITCH(BETA), ACME_WALLBOARD(ACME_WALL),
    NOC_WALLBOARD(NOC), NOBODY(null), STRANGER("not-a-token"), MALFORMED("");

    final String token;

    Who(String token) {
      this.token = token;
    }

    /** The org an org:... token is for; null for the others. */
    String switchOrg() {
      return this == ACME_SWITCH ? "acme" : this == BETA_SWITCH ? "beta" : null;
    }

    boolean unauthenticated() {
      return this == NOBODY || this == STRANGER || this == MALFORMED;
    }
  }

  /** Codes that mean a bug in the server, whatever the request. */
  private static final Set<Status.Code> BUGS = EnumSet.of(Status.Code.INTERNAL,
      Status.Code.UNKNOWN, Status.Code.DATA_LOSS, Status.Code.UNIMPLEMENTED,
      Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED);
  private static final long DEADLINE_SECONDS = 20;
  private static final long T0 = GrpcFixture.T0;

  @TempDir Path tmp;

  @Test
  void aHundredThousandHostileRequestsBreakNothing() throws Exception {
    run(Integer.getInteger("fuzz.requests", 100_000));
  }

  @Test
  @Tag("slow")
  void aMillionHostileRequestsBreakNothing() throws Exception {
    run(Integer.getInteger("fuzz.requests.slow", 1_000_000));
  }

  private void run(int requests) throws Exception {
    String given = System.getProperty("fuzz.seed");
    long seed = given != null ? Long.parseLong(given) : new Random().nextLong();
    long started = System.nanoTime();
    long cpuStarted = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    try (Fuzz fuzz = new Fuzz(seed)) {
      fuzz.run(requests);
      if (Boolean.getBoolean("fuzz.stats")) {
        System.out.println("HostileRequestsFuzzTest coverage: "
            + new java.util.TreeMap<>(fuzz.coverage));
      }
      System.out.printf("HostileRequestsFuzzTest: seed %d, %,d requests (%,d succeeded, %,d raw)"
              + " in %d ms, %d ms of this thread's CPU%n", seed, fuzz.sent.get(),
          fuzz.succeeded.get(), fuzz.raw.get(), (System.nanoTime() - started) / 1_000_000,
          (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime()
              - cpuStarted) / 1_000_000);
      assertTrue(fuzz.sent.get() >= requests, "sent " + fuzz.sent.get());
    } catch (Throwable t) {
      throw new AssertionError(
          "seed " + seed + " (replay: -Dfuzz.seed=" + seed + "): " + t.getMessage(), t);
    }
  }

  /** One seeded run: the server, its clients, the shadow, and what the loop was seen doing. */
  private final class Fuzz implements AutoCloseable {
    final long seed;
    final Random random;
    final HostileRequests hostile;
    final GrpcFixture.ManualClock clock = new GrpcFixture.ManualClock(T0);
    final EventLoop loop = new EventLoop(new Engine(), CommandLog.NONE, clock, 65_536);
    final AuditLog audit;
    final Server server;
    final ManagedChannel channel;
    final Map<Who, Channel> channels = new HashMap<>();

    final AtomicLong sent = new AtomicLong();
    final AtomicLong succeeded = new AtomicLong();
    final AtomicLong raw = new AtomicLong();
    /** Commands the clients were told succeeded, against those the loop applied. */
    final AtomicLong answeredChanges = new AtomicLong();
    final AtomicLong appliedChanges = new AtomicLong();
    final Queue problems = new Queue();
    /** How often each outcome, effect, status code and kind of change came up. */
    final Map<String, AtomicLong> coverage = new ConcurrentHashMap<>();

    void cover(String what) {
      coverage.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }
    volatile boolean setUp;

    /**
     * Per org, each call the answers left running (its lease's expiry, epoch millis) or held
     * ({@link #HELD}).
     */
    final Map<String, Map<String, Long>> shadow = new HashMap<>();
    /** Per org, every call id that was ever answered as granted or held: what Renew asks about. */
    final Map<String, Set<String>> named = new HashMap<>();
    /** Orgs whose limit or reservations changed since the last check: may be over the limit. */
    final Set<String> reconfigured = new HashSet<>();
    /** The vault as the setup left it. */
    GetOrgResponse vaultOrg;
    OrgStatus vaultStatus;
    long clockMoved;

    Fuzz(long seed) throws IOException, io.admission.server.auth.Tokens.Invalid {
      this.seed = seed;
      this.random = new Random(seed);
      this.hostile = new HostileRequests(random);
      Path file = tmp.resolve("tokens");
      Files.writeString(file, String.join("\n",
          AccessGrpcTest.line(ADMIN, "admin", "ops"),
          AccessGrpcTest.line(ACME, "org:acme", "acme-switch"),
          AccessGrpcTest.line(BETA, "org:beta", "beta-switch"),
          AccessGrpcTest.line(ACME_WALL, "monitor:acme", "acme-wall"),
          AccessGrpcTest.line(NOC, "monitor:*", "noc"), ""));
      AccessControl access = AccessControl.load(file);
      audit = AuditLog.inMemory(AuditLog.Options.DEFAULT, clock);
      loop.observe(audit.recorder());
      loop.observe(new Watch());
      String name = InProcessServerBuilder.generateName();
      server = AdmissionServices.addTo(InProcessServerBuilder.forName(name), loop,
              new HealthStatusManager(), audit, access)
          .maxInboundMetadataSize(8192) // as Netty's default: a status too long to send shows
          .directExecutor()
          .build()
          .start();
      channel = InProcessChannelBuilder.forName(name).directExecutor()
          .maxInboundMetadataSize(8192).build();
      for (Who who : Who.values()) {
        Metadata m = new Metadata();
        if (who.token != null) {
          m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
              "Bearer " + who.token);
        }
        channels.put(who, ClientInterceptors.intercept(channel,
            MetadataUtils.newAttachHeadersInterceptor(m)));
      }
    }

    @Override
    public void close() throws IOException {
      channel.shutdownNow();
      server.shutdownNow();
      loop.close();
      audit.close();
    }

    /** The loop's side: who changed what. Runs on the loop thread. */
    final class Watch implements LoopObserver {
      @Override
      public void applied(Commands.Command<?> command, Object result, long now, String actor) {
        if (result instanceof Rejection) {
          return;
        }
        appliedChanges.incrementAndGet();
        if (!setUp) {
          return;
        }
        String org = command.orgId();
        boolean allowed = actor.equals("ops")
            || (actor.equals(org + "-switch") && (command instanceof Commands.Acquire
                || command instanceof Commands.Release || command instanceof Commands.Renew));
        if (!allowed || org.equals(HostileRequests.VAULT)) {
          problems.add("the loop applied " + command + " for actor \"" + actor + "\"");
        }
      }

      @Override
      public void event(Event event, long now, String actor) {
        if (setUp && event.orgId().equals(HostileRequests.VAULT) && !actor.isEmpty()) {
          problems.add("a request by \"" + actor + "\" caused " + event + " in the vault");
        }
      }
    }

    AdmissionServiceGrpc.AdmissionServiceFutureStub calls(Who who) {
      return AdmissionServiceGrpc.newFutureStub(channels.get(who))
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    AdmissionAdminServiceGrpc.AdmissionAdminServiceFutureStub admin(Who who) {
      return AdmissionAdminServiceGrpc.newFutureStub(channels.get(who))
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    AdmissionMonitorServiceGrpc.AdmissionMonitorServiceFutureStub monitor(Who who) {
      return AdmissionMonitorServiceGrpc.newFutureStub(channels.get(who))
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    // ---- The run ------------------------------------------------------------------------

    void run(int requests) throws Exception {
      setUpOrgs();
      setUp = true;
      int racingRounds = 0;
      while (sent.get() < requests) {
        int batch = 500 + random.nextInt(1500);
        for (int i = 0; i < batch && sent.get() < requests; i++) {
          one();
          problems.check();
        }
        if (random.nextInt(4) == 0) {
          race();
          racingRounds++;
        }
        check();
        moveClock();
      }
      check();
      checkVault();
      assertTrue(racingRounds > 0 || requests < 20_000, "no racing round ran");
      if (requests >= 20_000) {
        // A fuzz test that never reaches a case proves nothing about it.
        for (String c : List.of("OUTCOME_GRANTED", "OUTCOME_HELD", "RELEASE_EFFECT_RELEASED",
            "RELEASE_EFFECT_CANCELLED", "RELEASE_EFFECT_NOT_ACTIVE", "INVALID_ARGUMENT", "NOT_FOUND",
            "ALREADY_EXISTS", "FAILED_PRECONDITION", "PERMISSION_DENIED", "UNAUTHENTICATED",
            "PutOrgResponse", "UpdateOrgResponse", "SetReservationResponse", "RemoveAgentResponse",
            "SetLoginLimitsResponse", "SetNumberLimitsResponse")) {
          assertTrue(coverage.containsKey(c), "never reached: " + c + "; reached " + coverage);
        }
      }
      assertEquals(answeredChanges.get(), appliedChanges.get() - setUpChanges,
          "changes the clients were told succeeded against changes the loop applied");
    }

    long setUpChanges;

    /** acme and beta (the switches' own orgs) and the vault, each with calls running and held. */
    void setUpOrgs() {
      var admin = admin(Who.ADMIN_TOKEN);
      var calls = calls(Who.ADMIN_TOKEN);
      for (String org : List.of("acme", "beta", HostileRequests.VAULT)) {
        await(admin.putOrg(PutOrgRequest.newBuilder().setOrg(io.admission.v1.Org.newBuilder()
            .setOrgId(org).setConcurrencyLimit(3)).build()));
        shadow.put(org, new HashMap<>());
        named.put(org, new HashSet<>());
        for (int i = 0; i < 4; i++) {
          AcquireResponse a = await(calls.acquire(AcquireRequest.newBuilder().setOrgId(org)
              .setCallId("c" + i).setCallTypeValue(1 + i % 4)
              .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(7 * 24 * 3600)).build()));
          if (!org.equals(HostileRequests.VAULT)) {
            note(org, "c" + i, a);
          }
        }
      }
      shadow.remove(HostileRequests.VAULT);
      named.remove(HostileRequests.VAULT);
      vaultOrg = await(admin.getOrg(GetOrgRequest.newBuilder().setOrgId(HostileRequests.VAULT).build()));
      vaultStatus = vaultStatus();
      setUpChanges = appliedChanges.get();
    }

    OrgStatus vaultStatus() {
      return await(monitor(Who.ADMIN_TOKEN)
          .getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(HostileRequests.VAULT).build()))
          .getStatus().toBuilder().clearAsOf().clearDaily().build();
    }

    /** Time moves only between batches, and never so far that the vault's leases run out. */
    void moveClock() {
      long[] steps = {0, 0, 1_000, 30_000, 10 * 60_000, 3_600_000, 6 * 3_600_000};
      long step = steps[random.nextInt(steps.length)];
      if (clockMoved + step < 6L * 24 * 3_600_000) {
        clockMoved += step;
        clock.set(T0 + clockMoved);
      }
    }

    /** Who sends the next request: mostly someone allowed, often not. */
    Who who(String org, boolean callsService) {
      int r = random.nextInt(100);
      if (r < 70) {
        boolean own = callsService && org != null && HostileRequests.ORGS.contains(org);
        return own && random.nextBoolean()
            ? (org.equals("acme") ? Who.ACME_SWITCH : Who.BETA_SWITCH) : Who.ADMIN_TOKEN;
      }
      return Who.values()[random.nextInt(Who.values().length)];
    }

    /** The org a request names: mostly one of the fuzzed orgs; the vault only for refused callers. */
    String org() {
      int r = random.nextInt(100);
      if (r < 44) {
        return "acme";
      } else if (r < 88) {
        return "beta";
      } else if (r < 93) {
        return HostileRequests.VAULT;
      } else if (r < 96) {
        return HostileRequests.GHOST;
      }
      return hostile.edge();
    }

    /** Would {@code who} be allowed to change {@code org}? (The vault: never, by construction.) */
    static boolean mayChange(Who who, String org, boolean callsService) {
      return who == Who.ADMIN_TOKEN || (callsService && org.equals(who.switchOrg()));
    }

    /** Draws a caller for a request naming {@code org}; the vault is only ever named by refused ones. */
    Who callerFor(String org, boolean callsService) {
      Who who = who(org, callsService);
      while (org.equals(HostileRequests.VAULT) && mayChange(who, org, callsService)) {
        who = Who.values()[random.nextInt(Who.values().length)];
      }
      return who;
    }

    void one() {
      int kind = random.nextInt(100);
      if (kind < 30) {
        acquire();
      } else if (kind < 45) {
        release();
      } else if (kind < 52) {
        renew();
      } else if (kind < 55) {
        waitForSlot();
      } else if (kind < 58) {
        session();
      } else if (kind < 72) {
        admin();
      } else if (kind < 80) {
        monitor();
      } else {
        rawBytes();
      }
    }

    // ---- AdmissionService -------------------------------------------------------------

    void acquire() {
      String org = org();
      Who who = callerFor(org, true);
      AcquireRequest request = hostile.acquire(org).build();
      AcquireResponse a = unary(who, org, true, "Acquire " + request.getCallId(),
          () -> calls(who).acquire(request));
      if (a != null) {
        answeredChanges.incrementAndGet();
        note(org, request.getCallId(), a);
      }
    }

    void note(String org, String callId, AcquireResponse a) {
      cover(a.getOutcome().name());
      if (!shadow.containsKey(org)) {
        problems.add("Acquire succeeded in " + org + ", which no allowed caller created");
        return;
      }
      switch (a.getOutcome()) {
        case OUTCOME_GRANTED -> {
          shadow.get(org).put(callId, millis(a.getLease().getExpiresAt()));
          named.get(org).add(callId);
        }
        case OUTCOME_HELD -> {
          Long before = shadow.get(org).put(callId, HELD);
          if (running(before)) {
            problems.add("call " + callId + " of " + org + " was granted, then answered as held");
          }
          named.get(org).add(callId);
        }
        case OUTCOME_DENIED -> shadow.get(org).remove(callId);
        default -> problems.add("Acquire answered without an outcome: " + a);
      }
    }

    void release() {
      String org = org();
      Who who = callerFor(org, true);
      ReleaseRequest request =
          ReleaseRequest.newBuilder().setOrgId(org).setCallId(hostile.callId()).build();
      var r = unary(who, org, true, "Release",
          () -> calls(who).release(request));
      if (r != null) {
        answeredChanges.incrementAndGet();
        cover(r.getEffect().name());
        if (shadow.containsKey(org)) {
          Long before = shadow.get(org).remove(request.getCallId());
          if (r.getEffect() == ReleaseEffect.RELEASE_EFFECT_UNSPECIFIED) {
            problems.add("Release answered without an effect");
          }
          if (before == null && r.getEffect() != ReleaseEffect.RELEASE_EFFECT_NOT_ACTIVE
              && !named.get(org).contains(request.getCallId())) {
            problems.add("Release of " + request.getCallId() + " in " + org
                + " found a call no answer made: " + r);
          }
        }
      }
    }

    void renew() {
      String org = org();
      Who who = callerFor(org, true);
      RenewRequest.Builder b = RenewRequest.newBuilder().setOrgId(org);
      int n = hostile.chance(97) ? 1 + random.nextInt(6) : random.nextInt(1_100);
      for (int i = 0; i < n; i++) {
        b.addCallIds(hostile.callId());
      }
      if (hostile.chance(30)) {
        b.setLeaseTtl(hostile.duration(3_600_000));
      }
      RenewRequest request = b.build();
      RenewResponse r = unary(who, org, true, "Renew",
          () -> calls(who).renew(request));
      if (r != null) {
        answeredChanges.incrementAndGet();
        noteRenew(org, r, false);
      }
    }

    /** What a Renew says about each call; {@code complete}: it asked about every call named. */
    void noteRenew(String org, RenewResponse r, boolean complete) {
      Map<String, Long> calls = shadow.get(org);
      if (calls == null) {
        problems.add("Renew succeeded in " + org + ", which no allowed caller created");
        return;
      }
      for (Lease l : r.getLeasesList()) {
        if (!named.get(org).contains(l.getCallId())) {
          problems.add("Renew found call " + l.getCallId() + " running in " + org
              + ", which no answer granted or held");
        }
        calls.put(l.getCallId(), millis(l.getExpiresAt()));
      }
      for (String id : r.getHeldCallIdsList()) {
        if (!named.get(org).contains(id)) {
          problems.add("Renew found call " + id + " held in " + org + ", which no answer held");
        }
        Long before = calls.put(id, HELD);
        if (running(before)) {
          problems.add("call " + id + " of " + org + " was granted, then renewed as held");
        }
      }
      for (String id : r.getUnknownCallIdsList()) {
        calls.remove(id);
      }
    }

    void waitForSlot() {
      String org = org();
      Who who = callerFor(org, false);
      WaitForSlotRequest request =
          WaitForSlotRequest.newBuilder().setOrgId(org).setCallId(hostile.callId()).build();
      Exchange<WaitForSlotResponse> e =
          exchange(who, AdmissionServiceGrpc.getWaitForSlotMethod(), List.of(request));
      expect(e.status, who, org, true, "WaitForSlot");
      if (e.first != null && shadow.containsKey(org)) {
        Map<String, Long> calls = shadow.get(org);
        switch (e.first.getEventCase()) {
          case HELD -> {
            if (!named.get(org).contains(request.getCallId())) {
              problems.add("WaitForSlot found " + request.getCallId() + " held in " + org
                  + ", which no answer held");
            }
            Long before = calls.put(request.getCallId(), HELD);
            if (running(before)) {
              problems.add("call " + request.getCallId() + " was granted, then watched as held");
            }
          }
          case DISPATCHED -> {
            if (!named.get(org).contains(request.getCallId())) {
              problems.add("WaitForSlot found " + request.getCallId() + " running in " + org
                  + ", which no answer granted");
            }
            // The wait's end, which an ended call repeats too: running only if it was held.
            if (calls.get(request.getCallId()) == HELD) {
              calls.put(request.getCallId(), millis(e.first.getDispatched().getExpiresAt()));
            }
          }
          default -> calls.remove(request.getCallId());
        }
      }
    }

    void session() {
      String org = org();
      Who who = callerFor(org, true);
      List<SessionRequest> requests = new ArrayList<>();
      int n = 1 + random.nextInt(5);
      for (int i = 0; i < n; i++) {
        SessionRequest.Builder b = SessionRequest.newBuilder().setId(random.nextLong());
        switch (random.nextInt(4)) {
          case 0, 1 -> b.setAcquire(hostile.acquire(org));
          case 2 -> b.setRelease(ReleaseRequest.newBuilder().setOrgId(org).setCallId(hostile.callId()));
          default -> {
            if (who != Who.ADMIN_TOKEN) { // a message naming no org is refused to org tokens
              b.setRelease(ReleaseRequest.newBuilder().setOrgId(org).setCallId(hostile.callId()));
            } // else no request set: answered with an error, the stream goes on
          }
        }
        requests.add(b.build());
      }
      List<SessionResponse> answers = new ArrayList<>();
      Exchange<SessionResponse> e =
          exchange(who, AdmissionServiceGrpc.getSessionMethod(), requests, answers, n);
      expect(e.status, who, org, true, "Session");
      Map<Long, SessionRequest> byId = new HashMap<>();
      requests.forEach(q -> byId.put(q.getId(), q));
      for (SessionResponse s : answers) {
        SessionRequest q = byId.get(s.getId());
        switch (s.getResponseCase()) {
          case ACQUIRE -> {
            answeredChanges.incrementAndGet();
            succeeded.incrementAndGet();
            note(org, q.getAcquire().getCallId(), s.getAcquire());
          }
          case RELEASE -> {
            answeredChanges.incrementAndGet();
            succeeded.incrementAndGet();
            if (shadow.containsKey(org)) {
              shadow.get(org).remove(q.getRelease().getCallId());
            }
          }
          case ERROR -> {
            if (s.getError().getCode().equals("INTERNAL") || s.getError().getCode().equals("UNKNOWN")) {
              problems.add("Session answered " + s.getError());
            }
          }
          case EVENT -> { } // events come only while held calls are watched; the answers say enough
          default -> problems.add("Session answered nothing: " + s);
        }
      }
    }

    // ---- Admin and monitor ------------------------------------------------------------

    void admin() {
      String org = org();
      Who who = callerFor(org, false);
      var stub = admin(who);
      int kind = random.nextInt(100);
      Object ok;
      if (kind < 20) {
        ok = unary(who, org, false, "PutOrg", () -> stub.putOrg(PutOrgRequest.newBuilder()
            .setOrg(hostile.org(org)).build()));
      } else if (kind < 35) {
        ok = unary(who, org, false, "UpdateOrg", () -> stub.updateOrg(UpdateOrgRequest.newBuilder()
            .setOrg(hostile.org(org)).setUpdateMask(hostile.mask()).build()));
      } else if (kind < 37) {
        ok = unary(who, org, false, "DeleteOrg", () -> stub.deleteOrg(DeleteOrgRequest.newBuilder()
            .setOrgId(org).build()));
        if (ok != null && ((io.admission.v1.DeleteOrgResponse) ok).getDeleted()) {
          // A lease that has not run out yet is a running call: the org was not deletable.
          if (shadow.containsKey(org) && shadow.get(org).values().stream().anyMatch(t -> t > clock.millis())) {
            problems.add("DeleteOrg removed " + org + " while it has running calls " + shadow.get(org));
          }
        }
      } else if (kind < 55) {
        ok = unary(who, org, false, "SetReservation", () -> stub.setReservation(SetReservationRequest.newBuilder()
            .setOrgId(org).setAgentId(hostile.agent()).setCallTypeValue(hostile.callType())
            .setSlots(hostile.count(3)).build()));
      } else if (kind < 62) {
        ok = unary(who, org, false, "RemoveAgent", () -> stub.removeAgent(RemoveAgentRequest.newBuilder()
            .setOrgId(org).setAgentId(hostile.agent()).build()));
      } else if (kind < 75) {
        ok = unary(who, org, false, "SetLoginLimits", () -> stub.setLoginLimits(SetLoginLimitsRequest.newBuilder()
            .setOrgId(org).setLoginId(hostile.login()).setLimits(hostile.loginLimits()).build()));
      } else if (kind < 85) {
        ok = unary(who, org, false, "SetNumberLimits", () -> stub.setNumberLimits(SetNumberLimitsRequest.newBuilder()
            .setOrgId(org).setNumber(hostile.number()).setLimits(hostile.numberLimits()).build()));
      } else if (kind < 93) {
        unary(who, org, false, "GetOrg", () -> stub.getOrg(GetOrgRequest.newBuilder().setOrgId(org).build()));
        return;
      } else {
        ListOrgsRequest request = ListOrgsRequest.newBuilder().setPageSize(hostile.count(3))
            .setPageToken(hostile.chance(50) ? "" : hostile.edge()).build();
        unary(who, "", false, "ListOrgs", () -> stub.listOrgs(request));
        return;
      }
      if (ok != null) {
        answeredChanges.incrementAndGet();
        reconfigured.add(org);
        cover(ok.getClass().getSimpleName());
        if (ok instanceof io.admission.v1.DeleteOrgResponse d && d.getDeleted()) {
          shadow.remove(org);
          named.remove(org);
        } else if (ok instanceof io.admission.v1.PutOrgResponse p && p.getCreated()) {
          shadow.put(org, new HashMap<>());
          named.put(org, new HashSet<>());
        }
      }
    }

    void monitor() {
      String org = org();
      Who who = callerFor(org, false);
      var stub = monitor(who);
      int kind = random.nextInt(3);
      if (kind == 0) {
        unary(who, org, false, "GetOrgStatus", () -> stub.getOrgStatus(
            GetOrgStatusRequest.newBuilder().setOrgId(org).build()));
      } else if (kind == 1) {
        ListEventsRequest.Builder b = ListEventsRequest.newBuilder().setOrgId(org)
            .setPageSize(hostile.count(5)).setPageToken(hostile.chance(70) ? "" : hostile.edge());
        if (hostile.chance(30)) {
          b.setStartTime(hostile.timestamp());
        }
        if (hostile.chance(30)) {
          b.setEndTime(hostile.timestamp());
        }
        unary(who, org, false, "ListEvents", () -> stub.listEvents(b.build()));
      } else {
        Exchange<?> e = exchange(who, AdmissionMonitorServiceGrpc.getWatchOrgMethod(),
            List.of(WatchOrgRequest.newBuilder().setOrgId(org).build()));
        expect(e.status, who, org, false, "WatchOrg");
      }
    }

    // ---- Random bytes as messages -------------------------------------------------------

    /** Every method of every service the server offers, health and reflection included. */
    List<MethodDescriptor<?, ?>> methods() {
      List<MethodDescriptor<?, ?>> all = new ArrayList<>();
      for (ServerServiceDefinition s : server.getServices()) {
        for (ServerMethodDefinition<?, ?> m : s.getMethods()) {
          all.add(m.getMethodDescriptor());
        }
      }
      return all;
    }

    List<MethodDescriptor<?, ?>> methods;

    void rawBytes() {
      if (methods == null) {
        methods = methods();
      }
      MethodDescriptor<?, ?> m = methods.get(random.nextInt(methods.size()));
      MethodDescriptor<byte[], byte[]> bytes = MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(m.getType()).setFullMethodName(m.getFullMethodName())
          .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
      int n = m.getType().clientSendsOneMessage() ? 1 : 1 + random.nextInt(3);
      List<byte[]> messages = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        messages.add(hostile.bytes());
      }
      Who who = hostile.chance(80) ? Who.ADMIN_TOKEN : Who.values()[random.nextInt(Who.values().length)];
      List<byte[]> answers = new ArrayList<>();
      Exchange<byte[]> e = exchange(who, bytes, messages, answers, n);
      raw.incrementAndGet();
      // UNIMPLEMENTED: a method of the .proto this server does not offer (GetClusterStatus alone).
      if (e.status == null || tooLong(e.status) || (BUGS.contains(e.status.getCode())
          && e.status.getCode() != Status.Code.UNIMPLEMENTED)) {
        problems.add(m.getFullMethodName() + " answered random bytes with " + e.status);
      }
      if (e.status != null && e.status.isOk() && isChange(m.getFullMethodName())) {
        // The bytes happened to be a valid request: it changed something for an allowed caller.
        answeredChanges.incrementAndGet();
        reconfigured.addAll(shadow.keySet());
        resyncAll = true;
      }
      if (m.getFullMethodName().equals(AdmissionServiceGrpc.getSessionMethod().getFullMethodName())) {
        for (byte[] a : answers) {
          try {
            SessionResponse s = SessionResponse.parseFrom(a);
            if (s.getResponseCase() == SessionResponse.ResponseCase.ACQUIRE
                || s.getResponseCase() == SessionResponse.ResponseCase.RELEASE
                || s.getResponseCase() == SessionResponse.ResponseCase.RENEW) {
              answeredChanges.incrementAndGet();
              resyncAll = true;
            }
          } catch (InvalidProtocolBufferException ex) {
            problems.add("Session answered bytes that are no SessionResponse");
          }
        }
      }
    }

    /** Random bytes that made a valid change: the next check learns the calls from Renew alone. */
    boolean resyncAll;

    boolean isChange(String method) {
      return Set.of("Acquire", "Release", "Renew", "PutOrg", "UpdateOrg", "DeleteOrg",
              "SetReservation", "RemoveAgent", "SetLoginLimits", "SetNumberLimits")
          .contains(method.substring(method.indexOf('/') + 1));
    }

    // ---- Racing ---------------------------------------------------------------------------

    /**
     * Four threads at once, Acquire and Release on the same few ids in every org with every
     * token: answers are checked as they come; the shadow learns the outcome at the next check.
     */
    void race() throws Exception {
      answeredLive.clear();
      driven(this::racing);
      for (String key : answeredLive) {
        String org = key.substring(0, key.indexOf('/'));
        if (named.containsKey(org)) {
          named.get(org).add(key.substring(key.indexOf('/') + 1));
        }
      }
      resyncRacing = true;
    }

    /** Racing calls answered as granted or held, as org/id. */
    final Set<String> answeredLive = ConcurrentHashMap.newKeySet();

    Void racing() throws Exception {
      int threads = 4;
      int each = 200 + random.nextInt(300);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long threadSeed = random.nextLong();
        done.add(pool.submit(() -> {
          Random r = new Random(threadSeed);
          for (int i = 0; i < each; i++) {
            String org = List.of("acme", "beta", HostileRequests.VAULT).get(r.nextInt(3));
            Who who = Who.values()[r.nextInt(Who.values().length)];
            if (org.equals(HostileRequests.VAULT) && mayChange(who, org, true)) {
              who = Who.ACME_SWITCH;
            }
            String id = "r" + r.nextInt(6);
            Who caller = who;
            var stub = calls(who);
            if (r.nextBoolean()) {
              AcquireRequest q = AcquireRequest.newBuilder().setOrgId(org).setCallId(id)
                  .setCallTypeValue(1 + r.nextInt(4)).build();
              AcquireResponse a = unary(caller, org, true, "racing Acquire", () -> stub.acquire(q));
              if (a != null) {
                answeredChanges.incrementAndGet();
                if (a.getOutcome() != Outcome.OUTCOME_DENIED) {
                  answeredLive.add(org + "/" + id);
                }
              }
            } else {
              ReleaseRequest q = ReleaseRequest.newBuilder().setOrgId(org).setCallId(id).build();
              if (unary(caller, org, true, "racing Release", () -> stub.release(q)) != null) {
                answeredChanges.incrementAndGet();
              }
            }
          }
          return null;
        }));
      }
      pool.shutdown();
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
      return null;
    }

    /** A racing round ran: its ids' states are learnt from Renew, not from the racing answers. */
    boolean resyncRacing;

    // ---- Checks -------------------------------------------------------------------------

    /**
     * Each org's calls, from Renew over every id ever answered as running or held, against its
     * status and the shadow.
     */
    void check() {
      var admin = monitor(Who.ADMIN_TOKEN);
      var calls = calls(Who.ADMIN_TOKEN);
      for (String org : List.copyOf(shadow.keySet())) {
        OrgStatus status;
        try {
          status = await(admin.getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(org).build())).getStatus();
        } catch (StatusRuntimeException e) {
          problems.add("GetOrgStatus of " + org + ", which the shadow has: " + e.getStatus());
          continue;
        }
        sent.incrementAndGet();
        Set<String> ids = new LinkedHashSet<>(named.get(org));
        for (int i = 0; i < 24; i++) {
          ids.add("c" + i); // the pool: a call some refused request made would show here
        }
        for (int i = 0; i < 6; i++) {
          ids.add("r" + i);
        }
        if (resyncAll || resyncRacing) {
          shadow.get(org).clear();
        }
        Map<String, Long> before = new HashMap<>(shadow.get(org));
        Set<String> running = new HashSet<>();
        Set<String> held = new HashSet<>();
        List<String> list = List.copyOf(ids);
        for (int from = 0; from < list.size(); from += 1000) {
          RenewRequest request = RenewRequest.newBuilder().setOrgId(org)
              .addAllCallIds(list.subList(from, Math.min(list.size(), from + 1000))).build();
          RenewResponse r;
          try {
            r = await(calls.renew(request));
          } catch (StatusRuntimeException e) {
            problems.add("Renew of every named call of " + org + ": " + e.getStatus());
            continue;
          }
          sent.incrementAndGet();
          answeredChanges.incrementAndGet();
          for (Lease l : r.getLeasesList()) {
            if (!running.add(l.getCallId())) {
              problems.add("call " + l.getCallId() + " of " + org + " renewed twice in one answer");
            }
          }
          held.addAll(r.getHeldCallIdsList());
          noteRenew(org, r, true);
        }
        for (Map.Entry<String, Long> e : before.entrySet()) {
          if (running(e.getValue()) && held.contains(e.getKey())) {
            problems.add("call " + e.getKey() + " of " + org + " was granted and is now held");
          }
        }
        if (running.size() != status.getInUse()) {
          problems.add(org + ": in use " + status.getInUse() + " but " + running.size()
              + " calls renew: " + running);
        }
        if (held.size() != status.getQueued()) {
          problems.add(org + ": queued " + status.getQueued() + " but " + held.size() + " calls are held");
        }
        checkAccounting(org, status);
        boolean over = status.getInUse() > status.getLimit()
            || status.getSharedInUse() > status.getSharedCapacity();
        if (over) {
          cover("over the limit after it was lowered");
        }
        if (over && !reconfigured.contains(org)) {
          problems.add(org + " is over its limit and nothing lowered it: " + status);
        }
        if (!over) {
          reconfigured.remove(org);
        }
      }
      resyncAll = false;
      resyncRacing = false;
      problems.check();
    }

    /**
     * The pool adds up: reservations within the limit and the shared pool what they leave; each
     * agent's calls by count (min(active, reserved) reserved, the rest shared); held calls counted
     * once by reason.
     */
    void checkAccounting(String org, OrgStatus s) {
      long reserved = 0;
      long usingShared = 0;
      long active = 0;
      for (io.admission.v1.AgentStatus a : s.getAgentsList()) {
        long agentReserved = 0;
        long agentUsingReserved = 0;
        long agentUsingShared = 0;
        for (io.admission.v1.AgentTypeStatus t : a.getTypesList()) {
          if (t.getUsingReserved() != Math.min(t.getActive(), t.getReserved())
              || t.getUsingShared() != Math.max(0, t.getActive() - t.getReserved())) {
            problems.add(org + ": agent " + a.getAgentId() + " is not counted by count: " + t);
          }
          agentReserved += t.getReserved();
          agentUsingReserved += t.getUsingReserved();
          agentUsingShared += t.getUsingShared();
          active += t.getActive();
        }
        if (agentReserved != a.getReservedTotal() || agentUsingReserved != a.getUsingReserved()
            || agentUsingShared != a.getUsingShared()) {
          problems.add(org + ": agent " + a.getAgentId() + " totals are not the sum of its types: " + a);
        }
        reserved += agentReserved;
        usingShared += agentUsingShared;
      }
      if (reserved > s.getLimit() || s.getSharedCapacity() != s.getLimit() - reserved) {
        problems.add(org + ": reservations " + reserved + " against limit " + s.getLimit()
            + " and shared capacity " + s.getSharedCapacity());
      }
      // Calls without an agent use shared slots too, so agents' shared use is a lower bound.
      if (usingShared > s.getSharedInUse() || active > s.getInUse()
          || s.getSharedInUse() - usingShared != s.getInUse() - active) {
        problems.add(org + ": shared in use " + s.getSharedInUse() + " and in use " + s.getInUse()
            + " do not add up with the agents' " + usingShared + " shared of " + active + " running");
      }
      long heldByReason = s.getHeldByReasonList().stream().mapToLong(h -> h.getCount()).sum();
      if (heldByReason != s.getQueued()) {
        problems.add(org + ": queued " + s.getQueued() + " but held by reason " + s.getHeldByReasonList());
      }
    }

    /** The org only refused requests named: as the setup left it, and nobody changed it. */
    void checkVault() {
      var admin = admin(Who.ADMIN_TOKEN);
      assertEquals(vaultOrg, await(admin.getOrg(GetOrgRequest.newBuilder().setOrgId(HostileRequests.VAULT).build())),
          "the vault's settings");
      assertEquals(vaultStatus, vaultStatus(), "the vault's calls");
    }

    /** A call the shadow saw granted with a lease that has not run out yet: it is running. */
    boolean running(Long expiresAt) {
      return expiresAt != null && expiresAt != HELD && expiresAt > clock.millis();
    }

    // ---- Stepping the loop ----------------------------------------------------------------

    /**
     * Set while racing: a driver thread steps the loop and the racing threads wait. Otherwise the
     * one client thread steps the loop itself until its answer is there, so that a request costs
     * no thread hand-off (in process, both ends on directExecutor, the answer arrives on the
     * thread that stepped) and a seed replays the same way.
     */
    volatile boolean driven;

    /** Waits for {@code done}, stepping the loop unless the driver does; false after the deadline. */
    boolean settle(Future<?> done) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS + 5);
      while (!done.isDone()) {
        if (System.nanoTime() - deadline > 0) {
          return false;
        }
        if (driven) {
          LockSupport.parkNanos(20_000);
        } else {
          loop.step();
          if (!done.isDone()) {
            Thread.onSpinWait();
          }
        }
      }
      return true;
    }

    /** The answer, or its status as an exception (DEADLINE_EXCEEDED when none came). */
    <T> T await(Future<T> future) {
      if (!settle(future)) {
        future.cancel(true);
        throw Status.DEADLINE_EXCEEDED.withDescription("no answer").asRuntimeException();
      }
      try {
        return future.get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof StatusRuntimeException s) {
          throw s;
        }
        throw new AssertionError("an RPC failed without a status", e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    /** Steps the loop on a thread of its own while {@code work} runs on others. */
    void driven(java.util.concurrent.Callable<Void> work) throws Exception {
      driven = true;
      Thread driver = new Thread(() -> {
        while (driven) {
          loop.step();
          LockSupport.parkNanos(20_000);
        }
      }, "fuzz-driver");
      driver.start();
      try {
        work.call();
      } finally {
        driven = false;
        driver.join();
      }
    }

    // ---- Sending, and what every answer must be ------------------------------------------

    /** A unary call; its response, or null when it failed as it may. */
    <T> T unary(Who who, String org, boolean callsService, String what,
        Supplier<? extends Future<T>> call) {
      sent.incrementAndGet();
      try {
        T response = await(call.get());
        expect(Status.OK, who, org, callsService, what);
        succeeded.incrementAndGet();
        return response;
      } catch (StatusRuntimeException e) {
        expect(e.getStatus(), who, org, callsService, what);
        return null;
      }
    }

    /**
     * No bug; a caller without a valid token UNAUTHENTICATED; a switch's token for another org,
     * or for an admin change, PERMISSION_DENIED in the fixed words; an allowed caller neither.
     */
    void expect(Status status, Who who, String org, boolean callsService, String what) {
      if (status == null) {
        problems.add(what + " by " + who + " did not end within " + DEADLINE_SECONDS + " s");
        return;
      }
      cover(status.getCode().name());
      if (BUGS.contains(status.getCode()) || tooLong(status)) {
        problems.add(what + " by " + who + " for " + abbreviate(org) + ": " + status);
        return;
      }
      Status.Code code = status.getCode();
      if (who.unauthenticated()) {
        if (code != Status.Code.UNAUTHENTICATED) {
          problems.add(what + " without a valid token answered " + status);
        }
        return;
      }
      boolean refused = code == Status.Code.UNAUTHENTICATED || code == Status.Code.PERMISSION_DENIED;
      if (code == Status.Code.PERMISSION_DENIED
          && !AccessControl.PERMISSION_DENIED.equals(status.getDescription())) {
        problems.add(what + ": PERMISSION_DENIED in other words: " + status);
      }
      if (who == Who.ADMIN_TOKEN && refused) {
        problems.add(what + " refused the admin token: " + status);
      }
      if (who.switchOrg() != null && callsService && org.equals(who.switchOrg()) && refused) {
        problems.add(what + " refused " + who + " in its own org: " + status);
      }
      if (who.switchOrg() != null && !org.equals(who.switchOrg()) && !refused
          && !what.equals("ListOrgs")) {
        problems.add(what + " by " + who + " for " + abbreviate(org) + " was not refused: " + status);
      }
      if (who.switchOrg() != null && !callsService && !what.startsWith("Get") && !refused
          && !what.equals("ListOrgs") && !what.equals("ListEvents") && !what.equals("WatchOrg")) {
        problems.add(what + " by " + who + " was not refused: " + status);
      }
      if ((who == Who.ACME_WALLBOARD || who == Who.NOC_WALLBOARD) && callsService && !refused) {
        problems.add(what + " by " + who + " was not refused: " + status);
      }
    }

    /** One streaming or raw exchange: the first answer (then it is cancelled) or the end. */
    <Q, A> Exchange<A> exchange(Who who, MethodDescriptor<Q, A> method, List<Q> requests) {
      return exchange(who, method, requests, new ArrayList<>(), 1);
    }

    /**
     * Sends {@code requests}, half-closes, and reads until the call ends or {@code enough}
     * answers came (then cancels it: a stream that is still open is fine).
     */
    <Q, A> Exchange<A> exchange(Who who, MethodDescriptor<Q, A> method, List<Q> requests,
        List<A> answers, int enough) {
      sent.incrementAndGet();
      Exchange<A> e = new Exchange<>();
      CompletableFuture<Status> end = new CompletableFuture<>();
      ClientCall<Q, A> call = channels.get(who).newCall(method,
          CallOptions.DEFAULT.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS));
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(A message) {
          synchronized (answers) {
            answers.add(message);
            if (answers.size() >= enough) {
              end.complete(Status.OK);
            }
          }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          end.complete(status);
        }
      }, new Metadata());
      call.request(Integer.MAX_VALUE);
      for (Q q : requests) {
        call.sendMessage(q);
      }
      call.halfClose();
      e.status = settle(end) ? end.join() : null;
      call.cancel("the fuzzer has what it needs", null);
      synchronized (answers) {
        e.first = answers.isEmpty() ? null : answers.get(0);
      }
      if (e.status != null && e.status.isOk()) {
        succeeded.incrementAndGet();
      }
      return e;
    }
  }

  /**
   * The client's channel, like Netty's, takes trailers of at most 8 KiB: a status that does not
   * fit reaches the client as this, not as what the server said.
   */
  static boolean tooLong(Status status) {
    return status.getCode() == Status.Code.RESOURCE_EXHAUSTED && status.getDescription() != null
        && status.getDescription().startsWith("Response header metadata larger than");
  }

  /** A held call in the shadow. */
  private static final Long HELD = -1L;

  static long millis(com.google.protobuf.Timestamp t) {
    return com.google.protobuf.util.Timestamps.toMillis(t);
  }

  private static final class Exchange<A> {
    Status status;
    A first;
  }

  /** Problems found on any thread, reported together with the seed. */
  private static final class Queue {
    private final ConcurrentLinkedQueue<String> found = new ConcurrentLinkedQueue<>();

    void add(String problem) {
      found.add(problem);
    }

    void check() {
      if (!found.isEmpty()) {
        List<String> first = found.stream().limit(10).toList();
        throw new AssertionError(found.size() + " problems, the first: " + String.join("\n", first));
      }
    }
  }

  static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…(" + s.length() + " chars)" : s;
  }

  /** Messages as they are on the wire. */
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

}
