package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Addresses a person mistypes are refused before anything starts, naming the option. */
class MainArgumentsTest {
  @Test
  void aMetricsPortTheSystemWouldChooseIsRefused() {
    String err = refused("--in-memory", "--metrics", "127.0.0.1:0");
    assertTrue(err.contains("--metrics needs a fixed port for Prometheus to scrape, got 127.0.0.1:0"), err);
  }

  @Test
  void aPortThatIsNotANumberOrOutOfRangeIsNamed() {
    String err = refused("--in-memory", "--listen", "127.0.0.1:http");
    assertTrue(err.contains("--listen must be HOST:PORT with a port from 0 to 65535, got 127.0.0.1:http"), err);
    err = refused("--in-memory", "--metrics", "127.0.0.1:70000");
    assertTrue(err.contains("--metrics must be HOST:PORT with a port from 0 to 65535, got 127.0.0.1:70000"), err);
  }

  @Test
  void configApplyWithoutAConfigIsRefused() {
    String err = refused("--in-memory", "--config-apply");
    assertTrue(err.startsWith("--config-apply needs --config FILE"), err);
  }

  @Test
  void groupsNeedACluster() {
    String err = refused("--in-memory", "--listen", "127.0.0.1:0", "--groups", "2");
    assertTrue(err.startsWith("--groups needs --peers:"), err);
    String none = refused("--in-memory", "--listen", "127.0.0.1:0", "--groups", "0");
    assertTrue(none.startsWith("--groups must be from 1 to 64, got 0"), none);
  }

  @Test
  void versionPrintsTheBuildsVersionAndStartsNothing() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new Main()).setOut(new PrintWriter(out));
    assertEquals(0, cli.execute("--version"));
    assertTrue(out.toString().strip().matches("admission-server \\d+\\.\\d+\\.\\d+.*"), out.toString());
  }

  /** Runs Main with {@code args}, expects picocli's usage-error exit code, returns what it printed. */
  private static String refused(String... args) {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new Main()).setErr(new PrintWriter(err));
    assertEquals(CommandLine.ExitCode.USAGE, cli.execute(args), err.toString());
    return err.toString();
  }
}
