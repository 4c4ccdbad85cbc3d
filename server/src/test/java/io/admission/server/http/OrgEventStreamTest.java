package io.admission.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.server.engine.Engine;
import io.admission.server.engine.Results;
import io.admission.server.api.Requests;
import io.admission.v1.Org;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The SSE writer alone: what the loop hands it and what the browser receives. */
class OrgEventStreamTest {
  private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  private static final long NO_HEARTBEAT = TimeUnit.HOURS.toNanos(1);
  private final Engine engine = new Engine();

  private Results.StatusResult statusWithLimit(int limit) throws Exception {
    Requests.putOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(limit).build(), "org")
        .applyTo(engine, T0);
    return engine.status("acme", T0);
  }

  /** A stream whose writer is a new thread running pump into {@code out}; not started yet. */
  private static final class Pumped {
    final OrgEventStream stream;
    final Thread writer;
    final CompletableFuture<Void> ended = new CompletableFuture<>();

    Pumped(OutputStream out, long heartbeatNanos) {
      AtomicReference<OrgEventStream> self = new AtomicReference<>();
      writer = new Thread(() -> {
        try {
          self.get().pump(out, heartbeatNanos);
          ended.complete(null);
        } catch (Throwable t) {
          ended.completeExceptionally(t);
        }
      }, "test-sse-writer");
      stream = new OrgEventStream(writer);
      self.set(stream);
    }
  }

  @Test
  void aSlowReaderGetsOnlyTheLatestStatus() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Pumped p = new Pumped(out, NO_HEARTBEAT);
    p.stream.status(statusWithLimit(3));
    p.stream.status(statusWithLimit(4));
    p.stream.status(statusWithLimit(5)); // all three arrive before the writer runs once
    p.writer.start();
    p.stream.stop("test over");
    p.ended.get(5, TimeUnit.SECONDS);
    String sent = out.toString(StandardCharsets.UTF_8);
    // stop() replaced the pending status, or the writer took it first: never an older one.
    assertTrue(!sent.contains("\"limit\":3") && !sent.contains("\"limit\":4"), sent);
    assertTrue(sent.endsWith("event: problem\ndata: {\"code\":14,\"message\":\"test over\"}\n\n"), sent);
  }

  @Test
  void eachStatusIsOneDataLineAndTheLoopNeverWaits() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Pumped p = new Pumped(out, NO_HEARTBEAT);
    p.writer.start();
    p.stream.status(statusWithLimit(7));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!out.toString(StandardCharsets.UTF_8).contains("\n\n") && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    p.stream.abort("server shutting down; reopen WatchOrg to continue watching");
    p.ended.get(5, TimeUnit.SECONDS);
    String[] events = out.toString(StandardCharsets.UTF_8).split("\n\n");
    assertEquals(2, events.length, String.join(" | ", events));
    assertTrue(events[0].startsWith("data: {\"status\":{\"orgId\":\"acme\",\"limit\":7,"), events[0]);
    assertTrue(!events[0].contains("\n"), "one line");
    assertTrue(events[1].startsWith("event: problem\ndata: {\"code\":14,"), events[1]);
  }

  @Test
  void anUnknownOrgEndsTheStreamWithTheRejection() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Pumped p = new Pumped(out, NO_HEARTBEAT);
    p.stream.status(engine.status("nope", T0));
    p.writer.start();
    p.ended.get(5, TimeUnit.SECONDS);
    assertEquals("event: problem\ndata: {\"code\":5,\"message\":\"org nope does not exist\"}\n\n",
        out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void anIdleStreamSendsHeartbeatsSoAVanishedBrowserIsNoticed() throws Exception {
    OutputStream gone = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("Broken pipe");
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        throw new IOException("Broken pipe");
      }
    };
    Pumped p = new Pumped(gone, TimeUnit.MILLISECONDS.toNanos(20));
    p.writer.start();
    Exception e = assertThrows(Exception.class, () -> p.ended.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof IOException, e.toString());
  }
}
