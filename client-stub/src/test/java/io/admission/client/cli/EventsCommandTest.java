package io.admission.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.ListEventsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** {@code admission-cli events} against a fake ListEvents that answers in pages. */
class EventsCommandTest {
  /** Three pages: two events, none (more follow), one; tokens "p2" and "p3". */
  private static final class PagedMonitor
      extends AdmissionMonitorServiceGrpc.AdmissionMonitorServiceImplBase {
    final List<ListEventsRequest> requests = new ArrayList<>();
    final Map<String, ListEventsResponse> pages = Map.of(
        "", ListEventsResponse.newBuilder().addEvents(event(1)).addEvents(event(2))
            .setNextPageToken("p2").build(),
        "p2", ListEventsResponse.newBuilder().setNextPageToken("p3").build(),
        "p3", ListEventsResponse.newBuilder().addEvents(event(5)).build());
    Status fail;

    @Override
    public synchronized void listEvents(
        ListEventsRequest request, StreamObserver<ListEventsResponse> observer) {
      requests.add(request);
      if (fail != null) {
        observer.onError(fail.asRuntimeException());
        return;
      }
      observer.onNext(pages.get(request.getPageToken()));
      observer.onCompleted();
    }
  }

  private final PagedMonitor monitor = new PagedMonitor();
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(monitor).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void printsEveryEventOfEveryPageAsOneJsonLine() throws Exception {
    int status = run("events", "--org", "acme", "--since", "2026-03-03T14:00:00Z",
        "--until", "2026-03-03T10:00:00-05:00", "--page-size", "2");

    assertEquals(0, status, err.toString());
    List<String> lines = out.toString().lines().toList();
    assertEquals(3, lines.size(), out.toString());
    List<Long> sequences = new ArrayList<>();
    for (String line : lines) {
      AuditEvent.Builder e = AuditEvent.newBuilder();
      JsonFormat.parser().merge(line, e);
      sequences.add(e.getSequence());
      assertEquals("acme", e.getOrgId());
    }
    assertEquals(List.of(1L, 2L, 5L), sequences, "oldest first, an empty page skipped");

    assertEquals(3, monitor.requests.size(), "follows next_page_token to its end");
    ListEventsRequest first = monitor.requests.get(0);
    assertEquals("acme", first.getOrgId());
    assertEquals(2, first.getPageSize());
    assertEquals(Instant.parse("2026-03-03T14:00:00Z").getEpochSecond(), first.getStartTime().getSeconds());
    assertEquals(Instant.parse("2026-03-03T15:00:00Z").getEpochSecond(), first.getEndTime().getSeconds());
    assertEquals(List.of("", "p2", "p3"),
        monitor.requests.stream().map(ListEventsRequest::getPageToken).toList());
    for (ListEventsRequest r : monitor.requests) {
      assertEquals(first.getStartTime(), r.getStartTime(), "same range on every page");
      assertEquals(first.getEndTime(), r.getEndTime());
    }
  }

  @Test
  void withoutARangeAsksForEverything() {
    assertEquals(0, run("events", "--org", "acme"), err.toString());
    ListEventsRequest first = monitor.requests.get(0);
    assertFalse(first.hasStartTime());
    assertFalse(first.hasEndTime());
    assertEquals(1000, first.getPageSize());
  }

  @Test
  void aGrpcErrorGoesToStderr() {
    monitor.fail = Status.UNIMPLEMENTED.withDescription("this server keeps no audit log");
    assertEquals(AdmissionCli.GRPC_ERROR, run("events", "--org", "acme"));
    assertEquals("UNIMPLEMENTED: this server keeps no audit log", err.toString().strip());
  }

  @Test
  void timesAreInstantsOrDurationsAgo() {
    Instant now = Instant.parse("2026-03-03T14:00:00Z");
    assertEquals(Instant.parse("2026-03-03T12:00:00Z"), TimeConverter.parse("2h", now));
    assertEquals(Instant.parse("2026-03-02T14:00:00Z"), TimeConverter.parse("1d", now));
    assertEquals(Instant.parse("2026-03-03T14:00:00.250Z"),
        TimeConverter.parse("2026-03-03T15:00:00.250+01:00", now));
    assertThrows(TypeConversionException.class, () -> TimeConverter.parse("yesterday", now));
    assertEquals(2, run("events", "--org", "acme", "--since", "yesterday"));
    assertTrue(err.toString().contains("yesterday"), err.toString());
  }

  private int run(String... args) {
    return new AdmissionCli(channel).commandLine()
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .execute(args);
  }

  private static AuditEvent event(long sequence) {
    return AuditEvent.newBuilder()
        .setSequence(sequence)
        .setOrgId("acme")
        .setKind(AuditEventKind.AUDIT_EVENT_KIND_GRANTED)
        .setTime(Timestamp.newBuilder().setSeconds(1_772_546_400L + sequence))
        .build();
  }
}
