package io.admission.bench.load;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Serves {@link NoopAdmissionService} with Admission's server settings (Netty, directExecutor). */
@Command(name = "noop-server", mixinStandardHelpOptions = true,
    description = "Serve a no-op AdmissionService (the gRPC ceiling) until killed.")
public final class NoopServerCommand implements Callable<Integer> {
  @Option(names = "--listen", defaultValue = "127.0.0.1:0", description = "HOST:PORT; port 0 picks one.")
  String listen;

  @Override
  public Integer call() throws Exception {
    int colon = listen.lastIndexOf(':');
    InetSocketAddress address =
        new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
    // As Main builds Admission's server: the handler answers inline, so directExecutor.
    Server server = NettyServerBuilder.forAddress(address)
        .addService(new NoopAdmissionService())
        .directExecutor()
        .build()
        .start();
    System.out.println("noop: listening on " + address.getHostString() + ":" + server.getPort());
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow, "noop-shutdown"));
    server.awaitTermination();
    return 0;
  }
}
