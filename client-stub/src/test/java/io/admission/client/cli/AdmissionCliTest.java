package io.admission.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.admission.client.FakeAdmissionService;
import io.admission.client.FakeAdmissionService.WaitStream;
import io.admission.v1.AcquireResponse;
import io.admission.v1.CallType;
import io.admission.v1.Lease;
import io.admission.v1.Outcome;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

/** The command-line client against {@link FakeAdmissionService} over the in-process transport. */
class AdmissionCliTest {
  private final FakeAdmissionService fake = new FakeAdmissionService();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(fake).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void durationsAreReadWithTheirUnits() {
    assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
    assertEquals(Duration.ofSeconds(30), DurationConverter.parse("30s"));
    assertEquals(Duration.ofMinutes(5), DurationConverter.parse("5m"));
    assertEquals(Duration.ofHours(1), DurationConverter.parse("1h"));
    assertEquals(Duration.ofDays(2), DurationConverter.parse("2d"));
    assertEquals(Duration.ofMinutes(90), DurationConverter.parse("1h30m"));
    assertEquals(Duration.ZERO, DurationConverter.parse("0s"));
  }

  @Test
  void malformedDurationsAreRejected() {
    for (String text : List.of("", "30", "s", "5x", "-1s", "1.5s", "1h 30m", " 30s", "30s ")) {
      assertThrows(TypeConversionException.class, () -> DurationConverter.parse(text), text);
    }
  }

  @Test
  void durationsBecomeProtoDurations() {
    com.google.protobuf.Duration proto = DurationConverter.toProto(Duration.ofMillis(1500));
    assertEquals(1, proto.getSeconds());
    assertEquals(500_000_000, proto.getNanos());
  }

  @Test
  void callTypesAreReadByShortOrFullName() {
    CallTypeConverter types = new CallTypeConverter();
    assertEquals(CallType.CALL_TYPE_WEBCALL, types.convert("webcall"));
    assertEquals(CallType.CALL_TYPE_OUTBOUND, types.convert("OUTBOUND"));
    assertEquals(CallType.CALL_TYPE_INBOUND, types.convert("CALL_TYPE_INBOUND"));
    assertThrows(TypeConversionException.class, () -> types.convert("unspecified"));
    assertThrows(TypeConversionException.class, () -> types.convert("fax"));
  }

  @Test
  void acquirePrintsTheAnswerAsOneJsonLine() throws Exception {
    int status = run("acquire", "--org", "acme", "--call", "c1", "--type", "outbound",
        "--lease-ttl", "30s", "--server", "ignored:1");

    assertEquals(0, status, err.toString());
    List<String> lines = lines();
    assertEquals(1, lines.size());
    AcquireResponse answer = acquireAnswer(lines.get(0));
    assertEquals(Outcome.OUTCOME_GRANTED, answer.getOutcome());
    assertEquals("c1", answer.getLease().getCallId());
    assertEquals(30, answer.getLease().getTtl().getSeconds());
  }

  @Test
  void acquireWaitPrintsEachHeldUpdateAndTheDispatch() throws Exception {
    fake.answerAcquire("c1", FakeAdmissionService.heldAnswer(2));
    CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> run(
        "acquire", "--org", "acme", "--call", "c1", "--type", "chat", "--wait"));

    WaitStream stream = fake.nextWaitStream();
    stream.held(FakeAdmissionService.hold(2)); // repeats the answer: not printed again
    stream.held(FakeAdmissionService.hold(1));
    Lease lease = stream.dispatch(Duration.ofMinutes(1));

    assertEquals(0, status.get(5, TimeUnit.SECONDS), err.toString());
    List<String> lines = lines();
    assertEquals(3, lines.size(), out.toString());
    assertEquals(Outcome.OUTCOME_HELD, acquireAnswer(lines.get(0)).getOutcome());
    assertEquals(1, waitEvent(lines.get(1)).getHeld().getPosition());
    assertEquals(lease, waitEvent(lines.get(2)).getDispatched());
  }

  @Test
  void grpcErrorsGoToStderrWithTheirCode() {
    fake.failAcquire("c1", Status.INVALID_ARGUMENT.withDescription("call_type is required"));

    int status = run("acquire", "--org", "acme", "--call", "c1", "--type", "inbound");

    assertEquals(AdmissionCli.GRPC_ERROR, status);
    assertEquals("", out.toString());
    assertEquals("INVALID_ARGUMENT: call_type is required", err.toString().strip());
  }

  @Test
  void releasePrintsItsEffect() {
    int status = run("release", "--org", "acme", "--call", "never-seen");

    assertEquals(0, status, err.toString());
    assertEquals("{\"effect\":\"RELEASE_EFFECT_NOT_ACTIVE\"}", out.toString().strip());
  }

  @Test
  void badCommandLinesExitWithUsageStatus() {
    assertEquals(2, run("acquire", "--org", "acme", "--call", "c1", "--type", "fax"));
    assertEquals(2, run("acquire", "--org", "acme", "--call", "c1", "--type", "chat",
        "--max-wait", "soon"));
    assertEquals(2, run("reserve", "--org", "acme", "--agent", "a", "--type", "chat",
        "--slots", "-1"));
    assertTrue(err.toString().contains("soon"), err.toString());
  }

  private int run(String... args) {
    return new AdmissionCli(channel).commandLine()
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }

  private List<String> lines() {
    return out.toString().lines().toList();
  }

  private static AcquireResponse acquireAnswer(String json) throws Exception {
    AcquireResponse.Builder answer = AcquireResponse.newBuilder();
    JsonFormat.parser().merge(json, answer);
    return answer.build();
  }

  private static WaitForSlotResponse waitEvent(String json) throws Exception {
    WaitForSlotResponse.Builder event = WaitForSlotResponse.newBuilder();
    JsonFormat.parser().merge(json, event);
    return event.build();
  }
}
