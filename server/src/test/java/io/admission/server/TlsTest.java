package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.admission.client.BearerToken;
import io.admission.client.cli.AdmissionCli;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AuditEvent;
import io.admission.v1.ListEventsRequest;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mutual TLS on gRPC and the web page, with certificates made here by openssl (a private
 * CA, a server certificate for 127.0.0.1, a client certificate): a client that trusts the CA gets
 * through, a plaintext one does not, and with --tls-client-ca a client without a certificate is
 * refused while one with a certificate is named by its subject in the audit log.
 */
class TlsTest {
  @TempDir static Path certs;
  @TempDir Path tmp;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<Running> servers = new ArrayList<>();

  @BeforeAll
  static void makeCertificates() throws Exception {
    assumeTrue(openssl("version") == 0, "openssl is not on the PATH");
    Files.writeString(certs.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Files.writeString(certs.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    assertEquals(0, openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Admission test CA"));
    for (String who : List.of("server", "client")) {
      String subject = who.equals("server") ? "/CN=127.0.0.1" : "/O=acme/CN=switch-7";
      assertEquals(0, openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", who + ".key", "-out", who + ".csr", "-subj", subject));
      assertEquals(0, openssl("x509", "-req", "-in", who + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
          "-CAcreateserial", "-out", who + ".pem", "-days", "1", "-extfile", who + ".ext"));
    }
    assertEquals(0, openssl("pkcs12", "-export", "-in", "client.pem", "-inkey", "client.key",
        "-out", "client.p12", "-passout", "pass:test"));
  }

  private static int openssl(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).directory(certs.toFile())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  @AfterEach
  void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(Running::close);
  }

  private Running start(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--in-memory", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
        "--tls-cert", certs.resolve("server.pem").toString(), "--tls-key", certs.resolve("server.key").toString()));
    all.addAll(List.of(args));
    Running r = SecureDefaultTest.start(all.toArray(new String[0]));
    servers.add(r);
    return r;
  }

  private ManagedChannel channel(Running r, ChannelCredentials credentials) {
    ManagedChannel c = Grpc.newChannelBuilder("127.0.0.1:" + r.port(), credentials).build();
    channels.add(c);
    return c;
  }

  private static TlsChannelCredentials.Builder trustingTheCa() throws IOException {
    return TlsChannelCredentials.newBuilder().trustManager(certs.resolve("ca.pem").toFile());
  }

  private static PutOrgRequest org(String id) {
    return PutOrgRequest.newBuilder().setOrg(Org.newBuilder().setOrgId(id).setConcurrencyLimit(3)).build();
  }

  @Test
  void tlsWithATokenServesClientsThatTrustTheCaAndNoPlaintextOnes() throws Exception {
    Path tokens = Files.writeString(tmp.resolve("tokens"), SecureDefaultTest.hash("s3cret") + " admin ops\n");
    Running r = start("--auth", tokens.toString());

    var admin = AdmissionAdminServiceGrpc.newBlockingStub(channel(r, trustingTheCa().build()))
        .withCallCredentials(new BearerToken("s3cret")).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertTrue(admin.putOrg(org("acme")).getCreated());

    var plaintext = AdmissionAdminServiceGrpc.newBlockingStub(channel(r, InsecureChannelCredentials.create()))
        .withCallCredentials(new BearerToken("s3cret")).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE,
        assertThrows(StatusRuntimeException.class, () -> plaintext.putOrg(org("beta"))).getStatus().getCode());

    // The CLI: --tls-ca for the private CA, the token from --token.
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    AdmissionCli cli = new AdmissionCli();
    try {
      int code = cli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(
          "--server", "127.0.0.1:" + r.port(), "--tls-ca", certs.resolve("ca.pem").toString(),
          "--token", "s3cret", "get-org", "--org", "acme");
      assertEquals(0, code, err.toString());
      assertTrue(out.toString().contains("\"orgId\":\"acme\""), out.toString());
      cli.shutdown();
      cli = new AdmissionCli(); // a new channel, without the token
      code = cli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(
          "--server", "127.0.0.1:" + r.port(), "--tls-ca", certs.resolve("ca.pem").toString(),
          "get-org", "--org", "acme");
      assertEquals(1, code, "without a token: " + out);
      assertTrue(err.toString().contains("UNAUTHENTICATED"), err.toString());
    } finally {
      cli.shutdown();
    }

    // The web page over HTTPS, with the same token.
    HttpClient https = HttpClient.newBuilder().sslContext(sslContext(false)).build();
    HttpResponse<String> orgs = https.send(HttpRequest.newBuilder(
            URI.create("https://127.0.0.1:" + r.web.address().getPort() + "/api/orgs"))
        .header("Authorization", "Bearer s3cret").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, orgs.statusCode(), orgs.body());
    assertTrue(orgs.body().contains("\"acme\""), orgs.body());
    HttpResponse<String> anonymous = https.send(HttpRequest.newBuilder(
        URI.create("https://127.0.0.1:" + r.web.address().getPort() + "/api/orgs")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, anonymous.statusCode());
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificateAndNamesTheSubjectOfOneWithIt() throws Exception {
    Running r = start("--tls-client-ca", certs.resolve("ca.pem").toString());

    var withoutCertificate = AdmissionAdminServiceGrpc.newBlockingStub(channel(r, trustingTheCa().build()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, assertThrows(StatusRuntimeException.class,
        () -> withoutCertificate.putOrg(org("acme"))).getStatus().getCode());

    ManagedChannel mtls = channel(r, trustingTheCa()
        .keyManager(certs.resolve("client.pem").toFile(), certs.resolve("client.key").toFile()).build());
    assertTrue(AdmissionAdminServiceGrpc.newBlockingStub(mtls).withDeadlineAfter(10, TimeUnit.SECONDS)
        .putOrg(org("acme")).getCreated());
    r.audit.awaitWritten();
    List<AuditEvent> events = AdmissionMonitorServiceGrpc.newBlockingStub(mtls).withDeadlineAfter(10, TimeUnit.SECONDS)
        .listEvents(ListEventsRequest.newBuilder().setOrgId("acme").build()).getEventsList();
    assertEquals("CN=switch-7,O=acme", events.get(0).getActor(), events::toString);

    // The CLI: --tls-cert and --tls-key present the client certificate; without them it is refused.
    String server = "127.0.0.1:" + r.port();
    String ca = certs.resolve("ca.pem").toString();
    String cert = certs.resolve("client.pem").toString();
    String key = certs.resolve("client.key").toString();
    Cli withCertificate = cli("--server", server, "--tls-ca", ca, "--tls-cert", cert, "--tls-key", key,
        "get-org", "--org", "acme");
    assertEquals(0, withCertificate.code(), withCertificate.err());
    assertTrue(withCertificate.out().contains("\"orgId\":\"acme\""), withCertificate.out());
    Cli noCertificate = cli("--server", server, "--tls-ca", ca, "get-org", "--org", "acme");
    assertEquals(1, noCertificate.code(), noCertificate.out());
    assertTrue(noCertificate.err().contains("UNAVAILABLE"), noCertificate.err());
    Cli keyMissing = cli("--server", server, "--tls-ca", ca, "--tls-cert", cert, "get-org", "--org", "acme");
    assertEquals(2, keyMissing.code(), keyMissing.err());
    assertTrue(keyMissing.err().contains("--tls-cert and --tls-key go together"), keyMissing.err());
    Cli caMissing = cli("--server", server, "--tls-cert", cert, "--tls-key", key, "get-org", "--org", "acme");
    assertEquals(2, caMissing.code(), caMissing.err());
    assertTrue(caMissing.err().contains("--tls-cert needs --tls-ca"), caMissing.err());

    // The web page asks for the certificate too.
    String url = "https://127.0.0.1:" + r.web.address().getPort() + "/api/orgs";
    HttpClient noCert = HttpClient.newBuilder().sslContext(sslContext(false)).build();
    assertThrows(IOException.class, () -> noCert.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString()));
    HttpClient withCert = HttpClient.newBuilder().sslContext(sslContext(true)).build();
    HttpResponse<String> orgs = withCert.send(HttpRequest.newBuilder(URI.create(url)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, orgs.statusCode(), orgs.body());
  }

  private record Cli(int code, String out, String err) {}

  /** Runs the CLI once, on a channel of its own. */
  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    AdmissionCli cli = new AdmissionCli();
    try {
      int code = cli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
      return new Cli(code, out.toString(), err.toString());
    } finally {
      cli.shutdown();
    }
  }

  /** Trusts the test CA; presents the client certificate if asked to. */
  private static SSLContext sslContext(boolean clientCertificate) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(certs.resolve("ca.pem")))) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManagerFactory kmf = null;
    if (clientCertificate) {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(certs.resolve("client.p12"))) {
        keys.load(in, "test".toCharArray());
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, "test".toCharArray());
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return context;
  }
}
