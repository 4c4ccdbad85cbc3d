package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.ListOrgsRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A malformed connection costs at most one log line: garbage written to the gRPC port and to the
 * web port of a real server (Netty and the JDK's HTTP server, started by Main in this JVM) prints
 * no stack trace and at most one line per interval, and the server goes on serving.
 */
class MalformedConnectionTest {
  private static final int PROBES = 50;
  private static final byte[] HTTP2_PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /** Everything the root logger's handlers are given while it is open. */
  private static final class Captured extends Handler implements AutoCloseable {
    final List<LogRecord> records = new ArrayList<>();

    Captured() {
      Logger.getLogger("").addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord r) {
      records.add(r);
    }

    synchronized List<LogRecord> records() {
      return List.copyOf(records);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      Logger.getLogger("").removeHandler(this);
    }
  }

  @Test
  void garbageOnEitherPortLogsAtMostOneLineAndTheServerServesOn() throws Exception {
    long seed = Long.getLong("garbage.seed", System.nanoTime());
    try (Running server = SecureDefaultTest.start(
        "--in-memory", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0")) {
      List<LogRecord> logged;
      try (Captured captured = new Captured()) {
        Random random = new Random(seed);
        for (int i = 0; i < PROBES; i++) {
          probe(server.port(), garbage(random, i));
          probe(server.web.address().getPort(), garbage(random, i));
        }
        // Netty logs a failed connection from its own thread, after the socket closed.
        TimeUnit.MILLISECONDS.sleep(300);
        logged = captured.records();
      }
      String seen = "seed " + seed + ": " + logged.stream()
          .map(r -> r.getLoggerName() + " " + r.getMessage()).toList();
      assertTrue(logged.size() <= 1, "at most one line for " + 2 * PROBES + " bad connections, "
          + seen);
      for (LogRecord r : logged) {
        assertNull(r.getThrown(), "no stack trace: " + seen);
        assertFalse(r.getMessage().contains("\n"), "one line: " + seen);
      }

      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
          .usePlaintext().build();
      try {
        AdmissionAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
            .listOrgs(ListOrgsRequest.getDefaultInstance());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + server.web.address().getPort() + "/")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode(), "the web page still answers, seed " + seed);
    }
  }

  /**
   * Bytes that are not the method's message, over Netty through everything Main puts around a
   * call (metrics instrumentation included): INVALID_ARGUMENT naming the request, no log line.
   */
  @Test
  void aMessageThatDoesNotParseIsInvalidThroughTheWholeServer() throws Exception {
    int metricsPort;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      metricsPort = free.getLocalPort();
    }
    try (Running server = SecureDefaultTest.start("--in-memory", "--listen", "127.0.0.1:0",
        "--metrics", "127.0.0.1:" + metricsPort);
        Captured captured = new Captured()) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
          .usePlaintext().build();
      try {
        io.grpc.MethodDescriptor<byte[], byte[]> acquire = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(io.admission.v1.AdmissionServiceGrpc.getAcquireMethod().getFullMethodName())
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        io.grpc.StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
            io.grpc.StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls.blockingUnaryCall(
                channel, acquire, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                new byte[] {0x12, 100, 'x'}));
        assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e::toString);
        assertEquals("request: is not a valid protobuf message for admission.v1.AdmissionService/Acquire",
            e.getStatus().getDescription());
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      assertEquals(List.of(), captured.records().stream().map(LogRecord::getMessage).toList(),
          "a client's bad message is not the server's to log");
    }
  }

  private static final io.grpc.MethodDescriptor.Marshaller<byte[]> BYTES =
      new io.grpc.MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      };

  /** Random bytes; or a valid HTTP/2 preface, or an HTTP/1 request line, then random bytes. */
  private static byte[] garbage(Random random, int i) {
    byte[] junk = new byte[1 + random.nextInt(512)];
    random.nextBytes(junk);
    byte[] head = switch (i % 3) {
      case 0 -> new byte[0];
      case 1 -> HTTP2_PREFACE;
      default -> "GET /api/orgs HTTP/1.1\r\nHost: \u0000\r\n".getBytes(StandardCharsets.ISO_8859_1);
    };
    byte[] all = new byte[head.length + junk.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(junk, 0, all, head.length, junk.length);
    return all;
  }

  /** Writes the bytes, reads whatever comes back until the server closes (or 2 s pass). */
  private static void probe(int port, byte[] bytes) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write(bytes);
      out.flush();
      s.shutdownOutput();
      InputStream in = s.getInputStream();
      byte[] buffer = new byte[4096];
      while (in.read(buffer) >= 0) {
        // drain
      }
    } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
      // the server may hold or reset a connection it cannot make sense of: both are fine
    }
  }

  // ---- The limiter on its own, with a clock the test moves --------------------------------

  @Test
  void oneLinePerIntervalSayingHowManyWereLeftOut() {
    long[] now = {1_000};
    TransportLog limiter = new TransportLog(() -> now[0]);
    try (Captured captured = new Captured()) {
      LogRecord failed = new LogRecord(Level.INFO, "Transport failed");
      failed.setThrown(new IOException("garbage\nfrom a client"));
      failed.setLoggerName("io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport.connections");
      limiter.publish(failed);
      for (int i = 0; i < 7; i++) {
        now[0] += TransportLog.INTERVAL_NANOS / 10;
        limiter.publish(failed);
      }
      assertEquals(1, captured.records().size(), "7 within the interval are only counted");
      now[0] += TransportLog.INTERVAL_NANOS;
      limiter.publish(failed);
      List<LogRecord> lines = captured.records();
      assertEquals(2, lines.size());
      assertEquals("Transport failed: java.io.IOException: garbage from a client", lines.get(0).getMessage());
      assertNull(lines.get(0).getThrown());
      assertTrue(lines.get(1).getMessage().endsWith(
          "(7 more transport log lines left out before this one, at most one per 10 s)"),
          lines.get(1).getMessage());
    }
  }
}
