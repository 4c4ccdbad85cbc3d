package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real jar, as an operator starts it: a start that fails prints exactly one line on stderr and
 * nothing else — no stack trace from gRPC, Netty or the metrics exporter — and exits with 2.
 */
class StartupErrorsIT {
  @TempDir Path tmp;

  @Test
  void portsInUseAreOneLineEach() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String at = "127.0.0.1:" + busy.getLocalPort();
      assertEquals("admission-server: --listen " + at + ": address already in use",
          failedStart("--in-memory", "--listen", at));
      assertEquals("admission-server: --http " + at + ": address already in use",
          failedStart("--in-memory", "--listen", "127.0.0.1:0", "--http", at));
      assertEquals("admission-server: --metrics " + at + ": address already in use",
          failedStart("--in-memory", "--listen", "127.0.0.1:0", "--metrics", at));
    }
  }

  @Test
  void aBadConfigIsOneLineAndTouchesNoDataDir() throws Exception {
    Path config = Files.writeString(tmp.resolve("x.json"),
        "{\"orgs\": [{\"org\": {\"orgId\": \"acme\", \"concurrencyLimit\": 2}},"
            + " {\"org\": {\"orgId\": \"acme\", \"concurrencyLimit\": 3}}]}");
    Path dataDir = tmp.resolve("data");
    assertEquals("admission-server: --config " + config + ": orgs[1].org.org_id: \"acme\" repeats orgs[0]",
        failedStart("--listen", "127.0.0.1:0", "--data-dir", dataDir.toString(), "--config", config.toString()));
    assertTrue(!Files.exists(dataDir));
  }

  /** Runs the jar, expects exit code 2 and nothing on stdout, returns its one line of stderr. */
  private String failedStart(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", ServerProcess.JAR.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command)
        .redirectOutput(tmp.resolve("stdout").toFile())
        .redirectError(tmp.resolve("stderr").toFile())
        .start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the server started or hung: " + String.join(" ", args));
    }
    String out = Files.readString(tmp.resolve("stdout"), StandardCharsets.UTF_8);
    String err = Files.readString(tmp.resolve("stderr"), StandardCharsets.UTF_8);
    assertEquals(Main.CANNOT_START, process.exitValue(), err);
    assertEquals("", out);
    assertEquals(1, err.lines().count(), err);
    return err.strip();
  }
}
