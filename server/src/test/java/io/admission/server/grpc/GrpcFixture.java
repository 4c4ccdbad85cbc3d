package io.admission.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import io.admission.server.audit.AuditLog;
import io.admission.server.auth.AccessControl;
import io.admission.server.engine.Engine;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.GetOrgRequest;
import io.admission.v1.GetOrgResponse;
import io.admission.v1.GetOrgStatusRequest;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.PutOrgResponse;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The whole gRPC tier over the in-process transport, with the loop stepped by hand: the loop's
 * thread is never started, and its clock is {@link #clock}, which only the test moves. Issue a
 * call through a future or async stub, then {@link #await} it: that steps the loop until the
 * answer arrives.
 *
 * <p>Both ends use directExecutor, but in-process delivery may still hop threads, so waiting
 * polls: one loop step, then a 1 ms park. The 5 s cap only turns a hang into a failure; no
 * assertion depends on elapsed time.
 */
final class GrpcFixture implements AutoCloseable {
  static final long SECOND = 1_000L;
  static final long MINUTE = 60_000L;
  static final long HOUR = 3_600_000L;
  /** 3 Mar 2026 14:07:05 UTC: an arbitrary, unround start. */
  static final long T0 = Instant.parse("2026-03-03T14:07:05Z").toEpochMilli();

  private static final long CAP_NANOS = 5_000_000_000L;

  /** The loop's clock: reads what the test set, never the wall clock. */
  static final class ManualClock implements InstantSource {
    private volatile long millis;

    ManualClock(long millis) {
      this.millis = millis;
    }

    void set(long millis) {
      this.millis = millis;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }
  }

  final ManualClock clock = new ManualClock(T0);
  final EventLoop loop = new EventLoop(new Engine(), CommandLog.NONE, clock, 1024);
  /** Sessions with a 10 s grace period on {@link #clock}; nothing expires them but the test. */
  final BoundSessions sessions = new BoundSessions(loop, clock, java.time.Duration.ofSeconds(10));
  final HealthStatusManager health = new HealthStatusManager();
  /** The audit log behind ListEvents; null unless the fixture was made with access control. */
  final AuditLog audit;
  final Server server;
  final ManagedChannel channel;
  final AdmissionServiceGrpc.AdmissionServiceFutureStub admission;
  final AdmissionServiceGrpc.AdmissionServiceStub admissionAsync;
  final AdmissionAdminServiceGrpc.AdmissionAdminServiceFutureStub admin;
  final AdmissionMonitorServiceGrpc.AdmissionMonitorServiceFutureStub monitor;

  GrpcFixture() {
    this(null);
  }

  /** Every call checked by {@code access} (null: none), with an audit log in memory. */
  GrpcFixture(AccessControl access) {
    audit = access == null ? null : AuditLog.inMemory(AuditLog.Options.DEFAULT, InstantSource.system());
    if (audit != null) {
      loop.observe(audit.recorder());
    }
    String name = InProcessServerBuilder.generateName();
    try {
      server = AdmissionServices.addTo(InProcessServerBuilder.forName(name), loop, health, audit, access,
              sessions)
          .directExecutor()
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    admission = AdmissionServiceGrpc.newFutureStub(channel);
    admissionAsync = AdmissionServiceGrpc.newStub(channel);
    admin = AdmissionAdminServiceGrpc.newFutureStub(channel);
    monitor = AdmissionMonitorServiceGrpc.newFutureStub(channel);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    loop.close();
    if (audit != null) {
      try {
        audit.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  // ---- Time and stepping ------------------------------------------------------------------

  /** Moves the loop's clock to {@code T0 + offset} and runs one turn, so due timers fire. */
  void at(long offsetFromT0) {
    clock.set(T0 + offsetFromT0);
    loop.step();
  }

  /** Steps the loop until {@code done} holds; fails after 5 s of trying. */
  void stepUntil(BooleanSupplier done, String what) {
    long deadline = System.nanoTime() + CAP_NANOS;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("not done after 5 s of stepping the loop: " + what);
      }
      loop.step();
      LockSupport.parkNanos(1_000_000);
    }
  }

  /** Steps the loop until the call answers; returns its response or throws its status. */
  <T> T await(Future<T> future) {
    stepUntil(future::isDone, "an RPC answer");
    try {
      return future.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw s;
      }
      throw new AssertionError("RPC failed without a status", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Steps until the call fails; returns its status error. Fails if it succeeds. */
  StatusRuntimeException awaitError(Future<?> future) {
    try {
      Object ok = await(future);
      throw new AssertionError("expected an error status, got " + ok);
    } catch (StatusRuntimeException e) {
      return e;
    }
  }

  /** Asserts INVALID_ARGUMENT with one google.rpc.BadRequest violation naming {@code field}. */
  static BadRequest.FieldViolation assertInvalid(StatusRuntimeException e, String field) {
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e::toString);
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return fail("no google.rpc.Status details in " + e);
    }
    assertEquals(1, status.getDetailsCount(), status::toString);
    BadRequest bad;
    try {
      assertTrue(status.getDetails(0).is(BadRequest.class), status::toString);
      bad = status.getDetails(0).unpack(BadRequest.class);
    } catch (InvalidProtocolBufferException ex) {
      throw new AssertionError(ex);
    }
    assertEquals(1, bad.getFieldViolationsCount(), bad::toString);
    BadRequest.FieldViolation v = bad.getFieldViolations(0);
    assertEquals(field, v.getField(), bad::toString);
    assertTrue(!v.getDescription().isEmpty(), "a violation says what is wrong");
    assertTrue(e.getStatus().getDescription().startsWith(field + ": "), e::toString);
    return v;
  }

  static void assertCode(Status.Code code, StatusRuntimeException e) {
    assertEquals(code, e.getStatus().getCode(), e::toString);
  }

  // ---- Short ways to do common things -----------------------------------------------------

  PutOrgResponse putOrg(Org org) {
    return await(admin.putOrg(PutOrgRequest.newBuilder().setOrg(org).build()));
  }

  /** An org with {@code limit} slots and every other setting at its default. */
  PutOrgResponse putOrg(String orgId, int limit) {
    return putOrg(Org.newBuilder().setOrgId(orgId).setConcurrencyLimit(limit).build());
  }

  GetOrgResponse getOrg(String orgId) {
    return await(admin.getOrg(GetOrgRequest.newBuilder().setOrgId(orgId).build()));
  }

  OrgStatus status(String orgId) {
    return await(monitor.getOrgStatus(GetOrgStatusRequest.newBuilder().setOrgId(orgId).build()))
        .getStatus();
  }

  /** A web call for no agent, no login and no number: only the org pool decides. */
  static AcquireRequest.Builder call(String orgId, String callId) {
    return AcquireRequest.newBuilder()
        .setOrgId(orgId).setCallId(callId).setCallType(CallType.CALL_TYPE_WEBCALL);
  }

  AcquireResponse acquire(AcquireRequest.Builder request) {
    return await(admission.acquire(request.build()));
  }

  AcquireResponse acquire(String orgId, String callId) {
    return acquire(call(orgId, callId));
  }

  ReleaseEffect release(String orgId, String callId) {
    return await(admission.release(
        ReleaseRequest.newBuilder().setOrgId(orgId).setCallId(callId).build())).getEffect();
  }

  /** Opens a WaitForSlot stream and steps until its first event or its end. */
  Watch watch(String orgId, String callId) {
    Watch w = new Watch();
    admissionAsync.waitForSlot(
        WaitForSlotRequest.newBuilder().setOrgId(orgId).setCallId(callId).build(), w);
    stepUntil(() -> w.events().size() >= 1 || w.done.isDone(), "the first WaitForSlot event");
    return w;
  }

  /** Steps until the stream has ended (completed or failed). */
  Watch awaitEnd(Watch w) {
    stepUntil(w.done::isDone, "the end of a WaitForSlot stream");
    return w;
  }

  /** Steps until the stream has at least {@code n} events. */
  Watch awaitEvents(Watch w, int n) {
    stepUntil(() -> w.events().size() >= n, n + " WaitForSlot events");
    return w;
  }

  /** Cancels the stream from the client and steps until the server has dropped its watch. */
  void cancel(Watch w) {
    int before = loop.watchedCalls();
    w.cancel();
    stepUntil(() -> loop.watchedCalls() < before, "the server dropping a cancelled watch");
  }

  /**
   * A client stream that records everything it receives, in order, with {@link #done} completing
   * with null on a normal end or with the status error.
   */
  abstract static class Recording<Req, Resp> implements ClientResponseObserver<Req, Resp> {
    private final List<Resp> received = new ArrayList<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    volatile ClientCallStreamObserver<Req> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<Req> requestStream) {
      call = requestStream;
    }

    @Override
    public synchronized void onNext(Resp value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      done.complete(null);
    }

    synchronized List<Resp> received() {
      return List.copyOf(received);
    }
  }

  /** One client's view of a WaitForSlot stream: the events in order, and how it ended. */
  static final class Watch extends Recording<WaitForSlotRequest, WaitForSlotResponse> {
    List<WaitForSlotResponse> events() {
      return received();
    }

    boolean completedNormally() {
      return done.isDone() && !done.isCompletedExceptionally();
    }

    /** The status the stream ended with; fails if it has not failed. */
    StatusRuntimeException error() {
      try {
        done.getNow(null);
      } catch (java.util.concurrent.CompletionException e) {
        return assertInstanceOf(StatusRuntimeException.class, e.getCause());
      }
      return fail("the stream did not end with an error: " + events());
    }

    void cancel() {
      call.cancel("test cancels the stream", null);
    }
  }

  // ---- Protobuf values --------------------------------------------------------------------

  static Timestamp ts(long epochMillis) {
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(epochMillis, 1000))
        .setNanos(Math.floorMod(epochMillis, 1000) * 1_000_000)
        .build();
  }

  static Duration dur(long millis) {
    return Duration.newBuilder()
        .setSeconds(Math.floorDiv(millis, 1000))
        .setNanos(Math.floorMod(millis, 1000) * 1_000_000)
        .build();
  }
}
