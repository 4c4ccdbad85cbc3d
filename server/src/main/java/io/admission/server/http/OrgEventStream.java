package io.admission.server.http;

import com.google.rpc.Code;
import io.admission.server.api.Responses;
import io.admission.server.api.Statuses;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.engine.StatusView;
import io.admission.server.loop.OrgWatcher;
import io.admission.v1.WatchOrgResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * One server-sent-events connection of the web page, watching one org through {@code
 * EventLoop.watchOrg}.
 *
 * <p>Two threads meet here. The loop thread calls {@link #status} and {@link #abort}: they only
 * swap the new value into a one-element mailbox and unpark the writer, so the loop never waits for
 * a browser. The writer is the HTTP thread that serves the connection ({@link #pump}): it takes
 * whatever is in the mailbox, converts it to JSON and writes it as one {@code data:} line: a
 * {@code WatchOrgResponse}, as the gRPC WatchOrg stream sends it, or at the end an event named
 * {@code problem} with the {@code google.rpc.Status} that WatchOrg would have ended with. A
 * slow browser therefore skips intermediate statuses and always ends up with the latest.
 */
final class OrgEventStream implements OrgWatcher {
  /** An end that did not come from the engine: the loop shuts down, or the web server stops. */
  private record End(String message) {}

  private final AtomicReference<Object> mailbox = new AtomicReference<>();
  private final Thread writer;
  private volatile boolean stopped;

  /** @param writer the thread that will call {@link #pump} */
  OrgEventStream(Thread writer) {
    this.writer = writer;
  }

  // ---- Loop thread ------------------------------------------------------------------------

  @Override
  public void status(Results.StatusResult status) {
    mailbox.set(status);
    LockSupport.unpark(writer);
  }

  @Override
  public void abort(String reason) {
    mailbox.set(new End(reason));
    LockSupport.unpark(writer);
  }

  // ---- Any thread -------------------------------------------------------------------------

  /** Ends {@link #pump} soon, with an event saying why (the web server is stopping). */
  void stop(String reason) {
    mailbox.set(new End(reason));
    stopped = true;
    LockSupport.unpark(writer);
  }

  // ---- Writer thread ----------------------------------------------------------------------

  /**
   * Writes statuses until the stream ends: the org is unknown, the loop or the server stops, or a
   * write fails because the browser went away (the IOException propagates). A comment line every
   * {@code heartbeatNanos} of silence lets a vanished browser be noticed on an idle org.
   */
  void pump(OutputStream out, long heartbeatNanos) throws IOException {
    long lastWrite = System.nanoTime();
    while (true) {
      Object next = mailbox.getAndSet(null);
      if (next == null) {
        if (stopped) {
          return;
        }
        long idle = System.nanoTime() - lastWrite;
        if (idle >= heartbeatNanos) {
          write(out, ": keep-alive\n\n");
          lastWrite = System.nanoTime();
        } else {
          LockSupport.parkNanos(this, heartbeatNanos - idle);
        }
        continue;
      }
      if (next instanceof StatusView.Org org) {
        write(out, "data: " + Json.print(WatchOrgResponse.newBuilder()
            .setStatus(Responses.status(org)).build()) + "\n\n");
        lastWrite = System.nanoTime();
      } else if (next instanceof Rejection r) {
        write(out, problem(Json.print(Statuses.rejected(r))));
        return;
      } else {
        End end = (End) next;
        write(out, problem(Json.print(Statuses.of(Code.UNAVAILABLE, end.message(), null))));
        return;
      }
    }
  }

  /** A named event, so the page tells it from a status; "error" is taken by EventSource itself. */
  private static String problem(String json) {
    return "event: problem\ndata: " + json + "\n\n";
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
