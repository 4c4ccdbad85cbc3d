package io.admission.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.api.Failures;
import io.admission.server.audit.AuditReader;
import io.admission.server.engine.Engine;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.FullDiskLog;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Failures never tell a client the server's insides: a command log that cannot be written, an
 * audit log that cannot be read and a bug each answer with a fixed sentence (a bug's with the id
 * of the log line that has the detail), never with the exception's text — no class names, no
 * file paths, no stack trace.
 */
class FailureWordsGrpcTest {
  private static final String PATH = "/var/lib/admission/journal/segment-000042.log";
  /** What would show an exception: its class, a file path, a stack frame. */
  private static final Pattern INSIDES =
      Pattern.compile("Exception|Error\\b|java\\.|/var/|\\bat [\\w.$]+\\(|secret");
  private static final Pattern INTERNAL_SENTENCE =
      Pattern.compile("internal error; the server logged it as [0-9a-f]{8}");

  private final ScheduledExecutorService loopThread = Executors.newSingleThreadScheduledExecutor();
  private Server server;
  private ManagedChannel channel;
  private EventLoop loop;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
      server.shutdownNow();
    }
    if (loop != null) {
      loop.close();
    }
    loopThread.shutdownNow();
  }

  private void start(CommandLog log, AuditReader audit) throws IOException {
    loop = new EventLoop(new Engine(), log, Clock.systemUTC(), 64);
    loop.startOn(loopThread);
    String name = InProcessServerBuilder.generateName();
    server = AdmissionServices.addTo(InProcessServerBuilder.forName(name), loop,
        new HealthStatusManager(), audit).directExecutor().build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  private static void assertNoInsides(StatusRuntimeException e) {
    String description = String.valueOf(e.getStatus().getDescription());
    assertFalse(INSIDES.matcher(description).find(), description);
    assertTrue(e.getStatus().getCause() == null, "no cause travels to the client");
  }

  @Test
  void aCommandLogThatCannotBeWrittenIsUnavailableWithoutThePathOrTheException() throws Exception {
    start(new FullDiskLog(PATH), null);
    var admin = AdmissionAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    PutOrgRequest put = PutOrgRequest.newBuilder()
        .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(3)).build();
    for (int i = 0; i < 2; i++) { // the failure itself, then the loop that halted on it
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
          StatusRuntimeException.class, () -> admin.putOrg(put));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e::toString);
      assertEquals(Failures.LOG_NOT_WRITTEN, e.getStatus().getDescription());
      assertNoInsides(e);
    }
  }

  @Test
  void anAuditLogThatCannotBeReadOrThatThrowsSaysSoWithoutItsText() throws Exception {
    boolean[] bug = {false};
    start(CommandLog.NONE, query -> {
      if (bug[0]) {
        throw new IllegalStateException("secret state at " + PATH);
      }
      throw new IOException(PATH + ": Input/output error");
    });
    var monitor = AdmissionMonitorServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    ListEventsRequest list = ListEventsRequest.newBuilder().setOrgId("acme").build();

    StatusRuntimeException unreadable = org.junit.jupiter.api.Assertions.assertThrows(
        StatusRuntimeException.class, () -> monitor.listEvents(list));
    assertEquals(Status.Code.UNAVAILABLE, unreadable.getStatus().getCode(), unreadable::toString);
    assertNoInsides(unreadable);

    bug[0] = true;
    StatusRuntimeException internal = org.junit.jupiter.api.Assertions.assertThrows(
        StatusRuntimeException.class, () -> monitor.listEvents(list));
    assertEquals(Status.Code.INTERNAL, internal.getStatus().getCode(), internal::toString);
    assertTrue(INTERNAL_SENTENCE.matcher(internal.getStatus().getDescription()).matches(),
        internal::toString);
    assertNoInsides(internal);
  }

  @Test
  void aBugInTheLoopIsInternalWithTheIdOfItsLogLineOnly() throws Exception {
    start(CommandLog.NONE, null);
    CompletableFuture<Throwable> error = new CompletableFuture<>();
    Answers.read(loop, (engine, now) -> {
      throw new NullPointerException("secret: " + PATH);
    }, new StreamObserver<Object>() {
      @Override
      public void onNext(Object value) {}

      @Override
      public void onError(Throwable t) {
        error.complete(t);
      }

      @Override
      public void onCompleted() {}
    }, r -> r);
    StatusRuntimeException e = (StatusRuntimeException) error.get(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e::toString);
    assertTrue(INTERNAL_SENTENCE.matcher(e.getStatus().getDescription()).matches(), e::toString);
    assertNoInsides(e);
  }
}
