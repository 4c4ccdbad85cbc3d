package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Without --auth anyone who reaches the port is admin, so the server serves only loopback unless
 * told --insecure; a bad --auth file stops the start with one line naming file, line and cause.
 */
class SecureDefaultTest {
  @TempDir Path tmp;

  @Test
  void aNonLoopbackListenWithoutAuthIsRefusedInOneLine() {
    String err = cannotStart("--in-memory", "--listen", "0.0.0.0:0");
    assertTrue(err.startsWith("admission-server: --listen 0.0.0.0:0: not a loopback address, and"
        + " without --auth anyone who reaches it is admin"), err);
    assertTrue(cannotStart("--in-memory", "--listen", "127.0.0.1:0", "--http", "0.0.0.0:0")
        .startsWith("admission-server: --http 0.0.0.0:0: not a loopback address"));
    assertTrue(cannotStart("--in-memory", "--listen", "127.0.0.1:0", "--metrics", "0.0.0.0:9464")
        .startsWith("admission-server: --metrics 0.0.0.0:9464: not a loopback address"));
  }

  @Test
  void insecureOrAuthLetsItServeEveryAddress() throws Exception {
    try (Running r = start("--in-memory", "--listen", "0.0.0.0:0", "--insecure")) {
      assertTrue(r.port() > 0);
    }
    Path tokens = Files.writeString(tmp.resolve("tokens"), hash("t") + " admin ops\n");
    try (Running r = start("--in-memory", "--listen", "0.0.0.0:0", "--auth", tokens.toString())) {
      assertTrue(r.access.enabled());
    }
    try (Running r = start("--in-memory", "--listen", "localhost:0")) {
      assertFalse(r.access.enabled(), "loopback by name is loopback");
    }
  }

  @Test
  void aBadAuthFileStopsTheStartNamingTheFileTheLineAndTheCause() throws Exception {
    Path tokens = Files.writeString(tmp.resolve("tokens"), "# ok\n" + hash("t") + " admin\n" + hash("u") + " root\n");
    assertEquals("admission-server: --auth " + tokens + ": line 3: unknown role \"root\""
        + " (roles: admin, org:<org_id>, monitor:<org_id>, monitor:*)",
        cannotStart("--in-memory", "--auth", tokens.toString()));
    assertEquals("admission-server: --auth " + tmp.resolve("missing") + ": no such file",
        cannotStart("--in-memory", "--auth", tmp.resolve("missing").toString()));
  }

  static String hash(String token) {
    try {
      return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static Running start(String... args) throws Exception {
    Main main = new Main();
    new CommandLine(main).setOut(new PrintWriter(new StringWriter(), true)).parseArgs(args);
    return main.start();
  }

  /** Runs Main, expects exit 2 and exactly one line on stderr; returns it. */
  static String cannotStart(String... args) {
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    assertEquals(Main.CANNOT_START, cli.execute(args), err.toString());
    assertEquals(1, err.toString().lines().count(), "one line, no stack trace:\n" + err);
    assertFalse(out.toString().contains("listening"), out.toString());
    return err.toString().strip();
  }
}
