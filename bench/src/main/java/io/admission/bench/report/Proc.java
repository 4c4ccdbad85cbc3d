package io.admission.bench.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Child processes of a run: servers that say where they listen, and commands that write results. */
final class Proc {
  private static final Pattern LISTENING = Pattern.compile("listening on (\\S+:\\d+)");

  private Proc() {}

  /** A started server and the HOST:PORT it printed. */
  record Server(Process process, String address) implements AutoCloseable {
    long pid() {
      return process.pid();
    }

    /** SIGTERM (the server's shutdown hook runs), then SIGKILL if it lingers. */
    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts {@code command}, output to {@code log}, and waits for its "listening on" line. */
  static Server startServer(List<String> command, Path log) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(Files.readString(log));
      if (m.find()) {
        return new Server(p, m.group(1));
      }
      if (!p.isAlive()) {
        throw new IOException("server exited (" + p.exitValue() + "): " + command + "\n" + Files.readString(log));
      }
      Thread.sleep(50);
    }
    p.destroyForcibly();
    throw new IOException("server did not say where it listens within 60 s: " + command);
  }

  /** Runs {@code command} to its end and reads the properties it wrote to {@code out}. */
  static Properties run(List<String> command, Path log, Path out, long timeoutSeconds)
      throws IOException, InterruptedException {
    Files.deleteIfExists(out);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      throw new IOException("timed out after " + timeoutSeconds + " s: " + command);
    }
    if (p.exitValue() != 0 || !Files.exists(out)) {
      throw new IOException("failed (exit " + p.exitValue() + "): " + command + "\n" + tail(log));
    }
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(out)) {
      props.load(in);
    }
    return props;
  }

  static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }
}
