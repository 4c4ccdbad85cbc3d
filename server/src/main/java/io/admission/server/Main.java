package io.admission.server;

import io.admission.server.config.ConfigFile;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Rejection;
import io.admission.server.grpc.AdmissionServices;
import io.admission.server.journal.Journal;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.server.loop.Reply;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Starts Admission: the loop, the gRPC server, health and reflection. The only place with a clock. */
@Command(
    name = "admission-server",
    mixinStandardHelpOptions = true,
    description = "gRPC admission server for calls: org pools, reservations, seat limits.")
public final class Main implements Callable<Integer> {
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

  @Option(names = "--inbox", defaultValue = "65536", hidden = true,
      description = "Requests that may wait for the loop before RESOURCE_EXHAUSTED.")
  int inbox;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    InetSocketAddress address = parseListen(listen);
    List<Commands.Command<?>> setup = config == null ? List.of() : ConfigFile.load(config);
    Engine engine = new Engine();
    CommandLog log = CommandLog.NONE;
    if (!inMemory) {
      long started = System.nanoTime();
      Journal journal = Journal.open(dataDir, Journal.Options.DEFAULT);
      engine = journal.engine();
      log = journal;
      System.out.printf("admission: recovered %s in %d ms (journal at entry %d)%n", dataDir,
          (System.nanoTime() - started) / 1_000_000, journal.nextEntry());
    }
    EventLoop loop = new EventLoop(engine, log, Clock.systemUTC(), inbox);
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("", ServingStatus.NOT_SERVING);
    loop.onLogFailure(() -> health.setStatus("", ServingStatus.NOT_SERVING));
    loop.start();
    Server server = AdmissionServices.addTo(NettyServerBuilder.forAddress(address), loop, health)
        .directExecutor() // handlers only translate and enqueue (TOOLCHAIN.md: ~9 µs vs ~50 µs)
        .build()
        .start();
    apply(loop, setup);
    health.setStatus("", ServingStatus.SERVING);
    for (String name : AdmissionServices.NAMES) {
      health.setStatus(name, ServingStatus.SERVING);
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
      loop.close();
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
      loop.submit(command, new Reply<Object>() {
        @Override
        public void ok(Object result) {
          done.complete(result);
        }

        @Override
        public void failed(Throwable error) {
          done.completeExceptionally(error);
        }
      });
      try {
        if (done.get() instanceof Rejection r) {
          throw new IOException("--config: " + command + " was refused: " + r.field() + ": " + r.message());
        }
      } catch (ExecutionException e) {
        throw new IOException("--config: " + command + " failed", e.getCause());
      }
    }
  }

  static InetSocketAddress parseListen(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new CommandLine.ParameterException(new CommandLine(new Main()),
          "--listen must be HOST:PORT, got " + hostPort);
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
  }
}
