package io.admission.server;

import io.admission.server.audit.AuditLog;
import io.admission.server.config.ConfigFile;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Rejection;
import io.admission.server.grpc.AdmissionServices;
import io.admission.server.http.WebServer;
import io.admission.server.journal.Journal;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Reply;
import io.admission.server.metrics.AdmissionMetrics;
import io.admission.server.metrics.Telemetry;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Starts Admission: the loop, the gRPC server, health and reflection. The only place with a clock. */
@Command(
    name = "admission-server",
    mixinStandardHelpOptions = true,
    description = "gRPC admission server for calls: org pools, reservations, seat limits.")
public final class Main implements Callable<Integer> {
  @Spec
  CommandSpec spec; // usage errors found while starting are reported like parsing ones

  @Option(names = "--listen", defaultValue = "127.0.0.1:50051",
      description = "HOST:PORT to serve gRPC on; port 0 picks a free one (default ${DEFAULT-VALUE}).")
  String listen;

  @Option(names = "--data-dir", defaultValue = "./data",
      description = "Directory for the journal and snapshots (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--in-memory", description = "Keep no journal: a restart starts empty.")
  boolean inMemory;

  @Option(names = "--config", description = "JSON ServerConfig: orgs and reservations to create at start.")
  Path config;

  @Option(names = "--http", paramLabel = "HOST:PORT",
      description = "Also serve the web page (Concurrency page and Compliance Monitor, live) on"
          + " HOST:PORT; port 0 picks a free one. Off unless given.")
  String http;

  @Option(names = "--metrics", paramLabel = "HOST:PORT",
      description = "Serve OpenTelemetry metrics for Prometheus at http://HOST:PORT/metrics (and"
          + " gRPC server metrics); a fixed port, for Prometheus to scrape. Off unless given: the"
          + " metrics API is then a no-op.")
  String metrics;

  @Option(names = "--audit-retention", paramLabel = "DURATION", defaultValue = "7d",
      converter = DurationOption.class,
      description = "How long the audit log keeps events, e.g. 12h, 7d, 30d (default ${DEFAULT-VALUE}).")
  Duration auditRetention;

  @Option(names = "--snapshot-every-entries", defaultValue = "200000", hidden = true,
      description = "Snapshot after this many journal entries (tests lower it to exercise snapshots).")
  long snapshotEveryEntries;

  @Option(names = "--snapshot-every-millis", defaultValue = "60000", hidden = true,
      description = "Snapshot after this long if anything was journaled.")
  long snapshotEveryMillis;

  /** Where the loop runs; see {@link EventLoop#startOn}. */
  enum LoopThread { transport, own }

  @Option(names = "--loop-thread", defaultValue = "transport", hidden = true,
      description = "transport (default): the loop runs on the one transport thread that does every"
          + " connection's I/O; own: on a thread of its own beside gRPC's default transport threads"
          + " (for measuring the hand-off it costs).")
  LoopThread loopThread;

  @Option(names = "--inbox", defaultValue = "65536", hidden = true,
      description = "Requests that may wait for the loop before RESOURCE_EXHAUSTED.")
  int inbox;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    InetSocketAddress address = parseAddress("--listen", listen);
    InetSocketAddress httpAddress = http == null ? null : parseAddress("--http", http);
    InetSocketAddress metricsAddress = metrics == null ? null : parseAddress("--metrics", metrics);
    if (metricsAddress != null && metricsAddress.getPort() == 0) {
      // Prometheus scrapes an address it is told, and the exporter does not say which port the
      // system chose: a server started so would print a URL that does not answer.
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--metrics needs a fixed port for Prometheus to scrape, got " + metrics);
    }
    List<Commands.Command<?>> setup = config == null ? List.of() : ConfigFile.load(config);
    Engine engine;
    CommandLog log;
    if (inMemory) {
      // Secret, so that clients cannot choose call_ids that collide in the ended-call index (the
      // journal makes its own when it recovers an engine).
      engine = new Engine(IdHashKey.from(new SecureRandom()));
      log = CommandLog.NONE;
    } else {
      long started = System.nanoTime();
      Journal journal = Journal.open(dataDir, new Journal.Options(
          Journal.Options.DEFAULT.segmentBytes(), snapshotEveryEntries, snapshotEveryMillis));
      engine = journal.engine();
      log = journal;
      System.out.printf("admission: recovered %s in %d ms (journal at entry %d)%n", dataDir,
          (System.nanoTime() - started) / 1_000_000, journal.nextEntry());
    }
    // The audit log (issue 6): in <data-dir>/audit, or a bounded ring with --in-memory.
    AuditLog.Options auditOptions = AuditLog.Options.DEFAULT.withRetention(auditRetention);
    AuditLog audit = inMemory
        ? AuditLog.inMemory(auditOptions, Clock.systemUTC())
        : AuditLog.open(dataDir.resolve("audit"), auditOptions, Clock.systemUTC());
    Telemetry telemetry =
        metricsAddress == null ? Telemetry.off() : Telemetry.prometheus(metricsAddress);
    AdmissionMetrics admissionMetrics = new AdmissionMetrics(telemetry.openTelemetry());
    admissionMetrics.seed(engine, Clock.systemUTC().millis());
    if (log instanceof Journal journal) {
      admissionMetrics.snapshotFailures(journal::snapshotFailures);
    }
    EventLoop loop = new EventLoop(engine, log, Clock.systemUTC(), inbox);
    loop.observe(audit.recorder());
    loop.observe(admissionMetrics);
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("", ServingStatus.NOT_SERVING);
    loop.onLogFailure(() -> health.setStatus("", ServingStatus.NOT_SERVING));
    Transport transport = loopThread == LoopThread.transport ? new Transport() : null;
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address);
    if (transport != null) {
      transport.configure(builder);
      loop.startOn(transport.ioThread());
    } else {
      loop.start();
    }
    Server server = telemetry.instrument(AdmissionServices.addTo(builder, loop, health, audit))
        .directExecutor() // handlers only translate and enqueue (TOOLCHAIN.md: ~9 µs vs ~50 µs)
        .build()
        .start();
    apply(loop, setup);
    health.setStatus("", ServingStatus.SERVING);
    for (String name : AdmissionServices.NAMES) {
      health.setStatus(name, ServingStatus.SERVING);
    }
    WebServer web = httpAddress == null ? null : WebServer.start(httpAddress, loop);
    if (web != null) {
      System.out.println("admission: web page at http://" + http.substring(0, http.lastIndexOf(':'))
          + ":" + web.address().getPort() + "/");
    }
    if (telemetry.enabled()) {
      System.out.println("admission: metrics at http://" + metrics + "/metrics");
    }
    CommandLog closing = log;
    System.out.println("admission: listening on " + address.getHostString() + ":" + server.getPort());
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      health.enterTerminalState();
      server.shutdown();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (web != null) {
        web.close();
      }
      loop.close();
      if (transport != null) {
        transport.close();
      }
      try {
        audit.close();
      } catch (IOException e) {
        System.err.println("admission: closing the audit log failed: " + e);
      }
      telemetry.close();
      try {
        closing.close();
      } catch (Exception e) {
        System.err.println("admission: closing the journal failed: " + e);
      }
    }, "admission-shutdown"));
    server.awaitTermination();
    return 0;
  }

  /** Applies the config's commands in order through the loop; a refusal stops the start. */
  private static void apply(EventLoop loop, List<Commands.Command<?>> commands)
      throws IOException, InterruptedException {
    for (Commands.Command<?> command : commands) {
      CompletableFuture<Object> done = new CompletableFuture<>();
      loop.submit(command, Reply.into(done));
      try {
        if (done.get() instanceof Rejection r) {
          throw new IOException("--config: " + command + " was refused: " + r.field() + ": " + r.message());
        }
      } catch (ExecutionException e) {
        throw new IOException("--config: " + command + " failed", e.getCause());
      }
    }
  }

  /** {@code HOST:PORT} (HOST may be a bracketed IPv6 address); a usage error names the option. */
  private InetSocketAddress parseAddress(String option, String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + " must be HOST:PORT, got " + hostPort);
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65_535) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + " must be HOST:PORT with a port from 0 to 65535, got " + hostPort);
    }
    return new InetSocketAddress(host, port);
  }
}
