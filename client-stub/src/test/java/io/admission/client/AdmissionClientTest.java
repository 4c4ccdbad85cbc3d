package io.admission.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.client.FakeAdmissionService.WaitStream;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.CallType;
import io.admission.v1.Denial;
import io.admission.v1.DenialReason;
import io.admission.v1.Hold;
import io.admission.v1.Lease;
import io.admission.v1.Outcome;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.WaitExpired;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** AdmissionClient against {@link FakeAdmissionService} over the in-process transport. */
class AdmissionClientTest {
  private static final Duration SHORT_TTL = Duration.ofMillis(300);

  private final FakeAdmissionService fake = new FakeAdmissionService();
  private Server server;
  private ManagedChannel channel;
  private AdmissionClient client;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(fake).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    client = new AdmissionClient(channel);
  }

  @AfterEach
  void stop() {
    client.close();
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void grantedAcquireCompletesWithTheLease() throws Exception {
    Lease lease = await(client.acquire(request("org", "c1", Duration.ofMinutes(1))));

    assertEquals("org", lease.getOrgId());
    assertEquals("c1", lease.getCallId());
  }

  @Test
  void heldAcquireWaitsForTheDispatchAndReportsEachHold() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(2));
    List<Hold> holds = new CopyOnWriteArrayList<>();

    CompletableFuture<Lease> lease = client.acquire(request("org", "c1", SHORT_TTL), holds::add);
    WaitStream stream = fake.nextWaitStream();
    stream.held(FakeAdmissionService.hold(2)); // the current state again: not reported twice
    stream.held(FakeAdmissionService.hold(1));
    Lease dispatched = stream.dispatch(SHORT_TTL);

    assertEquals(dispatched, await(lease));
    assertEquals("c1", stream.request().getCallId());
    assertEquals(List.of(FakeAdmissionService.hold(2), FakeAdmissionService.hold(1)), holds);
  }

  @Test
  void brokenStreamIsReopenedAndStillGetsTheDispatch() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(1));
    CompletableFuture<Lease> lease = client.acquire(request("org", "c1", SHORT_TTL));

    WaitStream first = fake.nextWaitStream();
    first.held(FakeAdmissionService.hold(1));
    first.breakWith(Status.UNAVAILABLE.withDescription("server restarting"));
    WaitStream second = fake.nextWaitStream();
    assertFalse(lease.isDone());
    second.held(FakeAdmissionService.hold(1));
    Lease dispatched = second.dispatch(SHORT_TTL);

    assertEquals(dispatched, await(lease));
  }

  @Test
  void streamEndedWithoutAFinalEventIsReopened() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(1));
    CompletableFuture<Lease> lease = client.acquire(request("org", "c1", SHORT_TTL));

    fake.nextWaitStream().end(WaitForSlotResponse.newBuilder()
        .setHeld(FakeAdmissionService.hold(1)).build());
    Lease dispatched = fake.nextWaitStream().dispatch(SHORT_TTL);

    assertEquals(dispatched, await(lease));
  }

  @Test
  void deniedAcquireFailsWithTheDenial() {
    Denial denial = Denial.newBuilder()
        .setReason(DenialReason.DENIAL_REASON_DAILY_CAP)
        .setMessage("daily cap of 50 reached; resets at midnight")
        .build();
    fake.answerAcquire("c1", AcquireResponse.newBuilder()
        .setOutcome(Outcome.OUTCOME_DENIED).setDenial(denial).build());

    Throwable failure = failureOf(client.acquire(request("org", "c1", SHORT_TTL)));

    assertEquals(denial, assertInstanceOf(AdmissionDeniedException.class, failure).denial());
  }

  @Test
  void deniedAtDispatchFailsWithTheDenial() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(1));
    CompletableFuture<Lease> lease = client.acquire(request("org", "c1", SHORT_TTL));
    Denial denial = Denial.newBuilder().setReason(DenialReason.DENIAL_REASON_DAILY_CAP).build();

    fake.nextWaitStream().end(WaitForSlotResponse.newBuilder().setDenied(denial).build());

    assertEquals(denial,
        assertInstanceOf(AdmissionDeniedException.class, failureOf(lease)).denial());
  }

  @Test
  void expiredWaitFailsWithTheExpiry() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(1));
    CompletableFuture<Lease> lease = client.acquire(request("org", "c1", SHORT_TTL));
    WaitExpired expiry = WaitExpired.newBuilder().setMessage("waited 30s").build();

    fake.nextWaitStream().end(WaitForSlotResponse.newBuilder().setExpired(expiry).build());

    assertEquals(expiry,
        assertInstanceOf(AdmissionWaitExpiredException.class, failureOf(lease)).expiry());
  }

  @Test
  void acquireErrorFailsWithTheStatus() {
    fake.failAcquire("c1", Status.NOT_FOUND.withDescription("unknown org"));

    Throwable failure = failureOf(client.acquire(request("org", "c1", SHORT_TTL)));

    StatusRuntimeException error = assertInstanceOf(StatusRuntimeException.class, failure);
    assertEquals(Status.Code.NOT_FOUND, error.getStatus().getCode());
  }

  @Test
  void releasingAHeldCallCancelsTheAcquire() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(1));
    CompletableFuture<Lease> lease = client.acquire(request("org", "c1", SHORT_TTL));
    fake.nextWaitStream();

    await(client.release("org", "c1"));

    assertInstanceOf(AdmissionCancelledException.class, failureOf(lease));
    assertEquals("c1", fake.nextRelease().getCallId());
  }

  @Test
  void leasesAreRenewedAtAThirdOfTheTtlOneRenewPerOrg() throws Exception {
    long start = System.nanoTime();
    await(client.acquire(request("org-a", "a1", SHORT_TTL)));
    await(client.acquire(request("org-a", "a2", SHORT_TTL)));
    await(client.acquire(request("org-b", "b1", SHORT_TTL)));

    RenewRequest first = fake.nextRenew();
    long elapsed = System.nanoTime() - start;
    RenewRequest second = fake.nextRenew();

    assertTrue(elapsed >= SHORT_TTL.toNanos() / 3, "renewed after " + elapsed + " ns");
    List<RenewRequest> both = List.of(first, second);
    RenewRequest orgA = both.stream().filter(r -> r.getOrgId().equals("org-a")).findFirst().get();
    RenewRequest orgB = both.stream().filter(r -> r.getOrgId().equals("org-b")).findFirst().get();
    assertEquals(List.of("a1", "a2"), orgA.getCallIdsList());
    assertEquals(List.of("b1"), orgB.getCallIdsList());
  }

  @Test
  void leasesKeepBeingRenewed() throws Exception {
    await(client.acquire(request("org", "c1", SHORT_TTL)));

    for (int i = 0; i < 4; i++) {
      assertEquals(List.of("c1"), fake.nextRenew().getCallIdsList());
    }
  }

  @Test
  void unknownLeaseStopsBeingRenewedAndIsReportedLost() throws Exception {
    CompletableFuture<Lease> lost = new CompletableFuture<>();
    AcquireListener listener = new AcquireListener() {
      @Override
      public void onLeaseLost(Lease lease) {
        lost.complete(lease);
      }
    };
    await(client.acquire(request("org", "kept", SHORT_TTL)));
    await(client.acquire(request("org", "gone", SHORT_TTL), listener));
    fake.forget("org", "gone");

    assertEquals("gone", await(lost).getCallId());
    // The Renew that found it unknown was recorded before its answer: every later one is new.
    fake.clearRenews();
    assertEquals(List.of("kept"), fake.nextRenew().getCallIdsList());
    assertEquals(List.of("kept"), fake.nextRenew().getCallIdsList());
  }

  @Test
  void releaseStopsRenewalAndCallsRelease() throws Exception {
    await(client.acquire(request("org", "kept", SHORT_TTL)));
    await(client.acquire(request("org", "ended", SHORT_TTL)));
    assertEquals(List.of("kept", "ended"), fake.nextRenew().getCallIdsList());

    assertEquals(ReleaseEffect.RELEASE_EFFECT_RELEASED,
        await(client.release("org", "ended")).getEffect());

    assertEquals(ReleaseRequest.newBuilder().setOrgId("org").setCallId("ended").build(),
        fake.nextRelease());
    // A Renew sent just before the release may still name it; none after that may.
    fake.clearRenews();
    assertEquals(List.of("kept"), skipIfNaming("ended", fake.nextRenew()).getCallIdsList());
    assertEquals(List.of("kept"), fake.nextRenew().getCallIdsList());
  }

  @Test
  void closeStopsRenewalButLeavesTheChannelAndAGivenSchedulerAlone() throws Exception {
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    scheduler.setRemoveOnCancelPolicy(true);
    try {
      AdmissionClient own = new AdmissionClient(channel, scheduler);
      await(own.acquire(request("org", "c1", SHORT_TTL)));
      fake.nextRenew();

      own.close();

      assertFalse(channel.isShutdown());
      assertFalse(scheduler.isShutdown());
      // The channel still works, e.g. for another client.
      await(client.acquire(request("org", "c2", Duration.ofMinutes(1))));
      assertTrue(scheduler.getQueue().isEmpty(), "no renewal timer left");
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void closeCancelsWaitingAcquires() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(1));
    CompletableFuture<Lease> lease = client.acquire(request("org", "c1", SHORT_TTL));
    fake.nextWaitStream();

    client.close();

    assertTrue(lease.isCancelled());
    assertFalse(channel.isShutdown());
  }

  @Test
  void secondAcquireOfAWaitingCallIsRefused() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(1));
    client.acquire(request("org", "c1", SHORT_TTL));
    fake.nextWaitStream();

    Throwable failure = failureOf(client.acquire(request("org", "c1", SHORT_TTL)));

    assertInstanceOf(IllegalStateException.class, failure);
  }

  /** {@code renew}, or the next one if it names {@code callId} (it was sent before the change). */
  private RenewRequest skipIfNaming(String callId, RenewRequest renew) throws InterruptedException {
    return renew.getCallIdsList().contains(callId) ? fake.nextRenew() : renew;
  }

  private static AcquireRequest request(String orgId, String callId, Duration ttl) {
    return AcquireRequest.newBuilder()
        .setOrgId(orgId)
        .setCallId(callId)
        .setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(com.google.protobuf.util.Durations.fromMillis(ttl.toMillis()))
        .build();
  }

  private static <T> T await(CompletableFuture<T> future)
      throws InterruptedException, ExecutionException, TimeoutException {
    return future.get(5, TimeUnit.SECONDS);
  }

  private static Throwable failureOf(CompletableFuture<?> future) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(future));
    return e.getCause();
  }
}
