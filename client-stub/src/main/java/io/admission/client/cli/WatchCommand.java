package io.admission.client.cli;

import io.admission.client.Backoff;
import io.admission.v1.LoginLevel;
import io.admission.v1.LoginStatus;
import io.admission.v1.NumberStatus;
import io.admission.v1.OrgStatus;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code watch}: the Compliance Monitor in a terminal (WatchOrg). On a terminal the org's lines are
 * redrawn in place after every change, a login or number yellow at 80 % of a limit and red at it
 * (the page's colours); piped, each update is one line of JSON, so that a script can follow it.
 * The stream has no deadline: it runs until the org is deleted (NOT_FOUND), access is refused, or
 * Ctrl-C.
 *
 * <p>A stream ended UNAVAILABLE — its node killed, shut down, or cut off from the cluster's
 * majority (the server then ends its streams so that they are reopened elsewhere) — or CANCELLED
 * by the other side (a gRPC server stopped at once resets its streams so; this command never
 * cancels a stream it still reads) is reopened with the library's {@link Backoff}, on the next
 * node of --server that answers; the first status of a reopened stream is the org's current one,
 * so nothing is missed. While it reconnects, a redrawn screen says so under the last frame, and
 * JSON output says so on stderr only. It gives up, UNAVAILABLE, once no node has sent a status
 * for --timeout. Any other error ends it at once, as reopening cannot fix it. A stream that ends
 * without an error ends the command with status 0: the server never ends WatchOrg that way, so
 * whatever did meant it, and reopening would go round forever, each reopening being answered.
 */
@Command(name = "watch", description = "Follows an org live: pool, held calls, daily cap and one "
    + "line per login and number, yellow near a limit and red at it. Piped (or with --output "
    + "json), prints one JSON object per update. Reconnects, to another node of --server if need "
    + "be, when its stream is cut off; gives up when no node answers for --timeout.")
final class WatchCommand implements Callable<Integer> {
  static final String YELLOW = "\u001b[33m";
  static final String RED = "\u001b[31m";
  static final String RESET = "\u001b[0m";
  /** Cursor home, then clear to the end of the screen: the next frame replaces the last. */
  static final String REDRAW = "\u001b[H\u001b[J";
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
  /** Put on a stream's queue when the server ends it without an error. */
  private static final Object END = new Object();
  /** {@link #giveUpAt} while a stream answers: no bound. */
  private static final long ANSWERING = Long.MAX_VALUE;
  /** How a stream ends when its node goes away or stops serving; any other error is final. */
  private static final Set<Status.Code> REOPEN = EnumSet.of(Status.Code.UNAVAILABLE,
      Status.Code.CANCELLED);

  @ParentCommand
  private AdmissionCli cli;

  @Option(names = "--org", paramLabel = "ORG", required = true)
  private String orgId;

  @Option(names = "--redraw", paramLabel = "WHEN", defaultValue = "auto",
      description = "auto (when printing to a terminal and --output is table), always or never "
          + "(default: ${DEFAULT-VALUE}).")
  private Redraw redraw;

  @Option(names = "--updates", paramLabel = "N", converter = CountConverter.class,
      description = "Stop after N updates, counted across reconnections (default: follow until "
          + "interrupted).")
  private Integer updates;

  enum Redraw { auto, always, never }

  private boolean live;
  private int seen;
  /** The last frame drawn, drawn again with the line saying why the stream reconnects. */
  private List<String> screen = List.of();
  /** System.nanoTime() past which, with no status received, the command gives up. */
  private long giveUpAt;
  /** Why the last stream broke; null once a status arrived since. */
  private Status lastFailure;

  @Override
  public Integer call() throws InterruptedException {
    live = switch (redraw) {
      case always -> true;
      case never -> false;
      case auto -> System.console() != null && cli.output() == AdmissionCli.Output.table;
    };
    Backoff backoff = new Backoff();
    giveUpAt = System.nanoTime() + cli.timeout().toNanos();
    while (true) {
      Stream stream = new Stream();
      cli.monitorStreams().watchOrg(WatchOrgRequest.newBuilder().setOrgId(orgId).build(), stream);
      Status broken;
      try {
        broken = follow(stream, backoff);
      } finally {
        stream.cancel();
      }
      if (broken == null) {
        return 0;
      }
      lastFailure = broken;
      long now = System.nanoTime();
      if (giveUpAt == ANSWERING) {
        giveUpAt = now + cli.timeout().toNanos();
      }
      long delay = backoff.nextDelayMillis();
      if (giveUpAt - now <= TimeUnit.MILLISECONDS.toNanos(delay)) {
        throw gaveUp();
      }
      reconnecting(broken, delay);
      Thread.sleep(delay);
    }
  }

  /**
   * Prints the stream's statuses until --updates is reached or the stream ends. Returns the
   * status that broke it when it is to be reopened; null when the command is done.
   *
   * @throws StatusRuntimeException any other error, or no status before {@link #giveUpAt}
   */
  private Status follow(Stream stream, Backoff backoff) throws InterruptedException {
    while (updates == null || seen < updates) {
      Object event = giveUpAt == ANSWERING ? stream.events.take()
          : stream.events.poll(giveUpAt - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (event == null) {
        throw gaveUp();
      }
      if (event == END) {
        return null;
      }
      if (event instanceof WatchOrgResponse response) {
        giveUpAt = ANSWERING;
        lastFailure = null;
        backoff.reset();
        seen++;
        show(response.getStatus());
        stream.request();
        continue;
      }
      Status status = Status.fromThrowable((Throwable) event);
      if (REOPEN.contains(status.getCode())) {
        return status;
      }
      throw event instanceof StatusRuntimeException e ? e : status.asRuntimeException();
    }
    return null;
  }

  private void show(OrgStatus status) {
    if (live) {
      PrintWriter out = cli.out();
      screen = frame(status);
      out.print(REDRAW);
      screen.forEach(out::println);
      out.flush();
    } else {
      cli.printJson(status);
    }
  }

  /**
   * Says why the stream is reopened: under the last frame for a person, on stderr for a script
   * reading stdout.
   */
  private void reconnecting(Status why, long delayMillis) {
    String line = "WatchOrg ended (" + AdmissionCli.describe(why) + "); reconnecting in "
        + String.format(Locale.ROOT, "%.1f", delayMillis / 1000.0) + " s";
    if (live) {
      PrintWriter out = cli.out();
      out.print(REDRAW);
      screen.forEach(out::println);
      out.println(YELLOW + line + RESET);
      out.flush();
    } else {
      cli.err().println("watch: " + line);
      cli.err().flush();
    }
  }

  private StatusRuntimeException gaveUp() {
    return Status.UNAVAILABLE.withDescription("watch --org " + orgId + ": no node sent the org's "
        + "status for " + cli.timeout().toMillis() / 1000.0 + " s (--timeout); "
        + (lastFailure == null ? "none answered, not even with an error"
            : "the last stream ended " + AdmissionCli.describe(lastFailure)))
        .asRuntimeException();
  }

  /**
   * One WatchOrg call. gRPC's callback thread queues its events for the command's thread; one
   * status at a time is asked for, so that a slow terminal gets the server's latest status rather
   * than a backlog (the server coalesces what a stream is not ready for).
   */
  private static final class Stream
      implements ClientResponseObserver<WatchOrgRequest, WatchOrgResponse> {
    final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private volatile ClientCallStreamObserver<WatchOrgRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchOrgRequest> requestStream) {
      call = requestStream;
      requestStream.disableAutoRequestWithInitial(1);
    }

    void request() {
      call.request(1);
    }

    void cancel() {
      ClientCallStreamObserver<WatchOrgRequest> started = call;
      if (started != null) {
        started.cancel("watch stopped following the org", null);
      }
    }

    @Override
    public void onNext(WatchOrgResponse response) {
      events.add(response);
    }

    @Override
    public void onError(Throwable t) {
      events.add(t);
    }

    @Override
    public void onCompleted() {
      events.add(END);
    }
  }

  /** The screen for one status: a header, then a coloured line per login and per number. */
  static List<String> frame(OrgStatus s) {
    List<String> lines = new ArrayList<>();
    String asOf = s.hasAsOf()
        ? CLOCK.format(Instant.ofEpochSecond(s.getAsOf().getSeconds()).atZone(ZoneId.systemDefault()))
        : "";
    lines.add("org " + s.getOrgId() + "  " + asOf);
    lines.add(paint(ratio(s.getInUse(), s.getLimit()),
        "Pool: " + s.getInUse() + "/" + s.getLimit() + " in use · shared " + s.getSharedInUse()
            + "/" + s.getSharedCapacity() + " · held " + s.getQueued()));
    if (s.getDaily().getCap() > 0) {
      lines.add(paint(ratio(s.getDaily().getUsed(), s.getDaily().getCap()),
          "Daily cap: " + s.getDaily().getUsed() + "/" + s.getDaily().getCap() + " today"));
    }
    for (LoginStatus login : s.getLoginsList()) {
      lines.add(paint(level(login.getLevel()), "login " + login.getLoginId() + "  " + login.getLine()
          + (login.getQueued() > 0 ? " · held " + login.getQueued() : "")));
    }
    for (NumberStatus n : s.getNumbersList()) {
      double worst = Math.max(ratio(n.getActive(), n.getMaxConcurrent()),
          Math.max(ratio(n.getLastHour(), n.getMaxPerHour()), ratio(n.getToday(), n.getMaxPerDay())));
      lines.add(paint(worst, "number " + n.getNumber() + "  Active now: " + n.getActive() + "/"
          + limit(n.getMaxConcurrent()) + " concurrent · Last hour: " + n.getLastHour() + "/"
          + limit(n.getMaxPerHour()) + " · Today: " + n.getToday() + "/" + limit(n.getMaxPerDay())));
    }
    return lines;
  }

  private static String limit(int max) {
    return max == 0 ? "∞" : Integer.toString(max);
  }

  /** Used ÷ limit; a limit of 0 means none, which is never near. */
  private static double ratio(int used, int limit) {
    return limit == 0 ? 0 : (double) used / limit;
  }

  private static double level(LoginLevel level) {
    return switch (level) {
      case LOGIN_LEVEL_AT_LIMIT -> 1;
      case LOGIN_LEVEL_NEAR -> 0.8;
      default -> 0;
    };
  }

  /** The page's thresholds: yellow from 80 % of a limit, red at it. */
  private static String paint(double ratio, String line) {
    if (ratio >= 1) {
      return RED + line + RESET;
    }
    if (ratio >= 0.8) {
      return YELLOW + line + RESET;
    }
    return line;
  }
}
