package io.admission.server;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * TLS from PEM files ({@code --tls-cert}, {@code --tls-key}, {@code --tls-client-ca}): one
 * context for gRPC (HTTP/2 with ALPN) and one for the web page, from the same files, so both ports
 * present the same certificate and ask for client certificates alike. Netty reads the PEM (PKCS#8,
 * PKCS#1 and EC keys), which the JDK alone does not.
 *
 * @param grpc for {@code NettyServerBuilder.sslContext}
 * @param web for the web page's HTTPS server
 * @param clientCertificates whether a client must present a certificate signed by the client CA
 */
record ServerTls(SslContext grpc, SSLContext web, boolean clientCertificates) {

  /** Reads and checks the files; a bad one is named with the option that gave it. */
  static ServerTls load(Path cert, Path key, Path clientCa) throws CannotStart {
    readable("--tls-cert", cert);
    readable("--tls-key", key);
    if (clientCa != null) {
      readable("--tls-client-ca", clientCa);
    }
    try {
      SslContextBuilder grpc = GrpcSslContexts.forServer(cert.toFile(), key.toFile());
      SslContextBuilder web = SslContextBuilder.forServer(cert.toFile(), key.toFile())
          .sslProvider(SslProvider.JDK);
      if (clientCa != null) {
        grpc.trustManager(clientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
        web.trustManager(clientCa.toFile()).clientAuth(ClientAuth.REQUIRE);
      }
      return new ServerTls(grpc.build(), ((JdkSslContext) web.build()).context(), clientCa != null);
    } catch (SSLException | IllegalArgumentException e) {
      throw new CannotStart("--tls-cert " + cert + " --tls-key " + key
          + (clientCa == null ? "" : " --tls-client-ca " + clientCa) + ": "
          + CannotStart.rootCause(e), e);
    }
  }

  private static void readable(String option, Path file) throws CannotStart {
    if (!Files.isReadable(file)) {
      throw new CannotStart(option + " " + file + ": " + (Files.exists(file)
          ? "cannot be read" : "no such file"), null);
    }
  }
}
