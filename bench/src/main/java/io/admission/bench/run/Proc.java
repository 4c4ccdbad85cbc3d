package io.admission.bench.run;

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

  /**
   * A started server; {@link #address} waits for the HOST:PORT it prints, so that two servers of a
   * paired run start (and pre-touch their heaps) at the same time.
   */
  record Server(Process process, List<String> command, Path log) implements AutoCloseable {
    static Server start(List<String> command, Path log) throws IOException {
      return new Server(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start(),
          command, log);
    }

    String address() throws IOException, InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        Matcher m = LISTENING.matcher(Files.readString(log));
        if (m.find()) {
          return m.group(1);
        }
        if (!process.isAlive()) {
          throw new IOException("server exited (" + process.exitValue() + "): " + command + "\n"
              + Files.readString(log));
        }
        Thread.sleep(50);
      }
      throw new IOException("server did not say where it listens within 60 s: " + command);
    }

    /** Waits until the process's output holds {@code text}. */
    void awaitLine(String text, int seconds) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (!Files.readString(log).contains(text)) {
        if (!process.isAlive()) {
          throw new IOException("exited (" + process.exitValue() + ") before saying \"" + text + "\": " + command
              + "\n" + Files.readString(log));
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("did not say \"" + text + "\" within " + seconds + " s: " + command);
        }
        Thread.sleep(50);
      }
    }

    /** SIGTERM (the server's shutdown hooks run, JFR writes its recording), then SIGKILL if it lingers. */
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
      List<String> lines = Files.readAllLines(log);
      throw new IOException("failed (exit " + p.exitValue() + "): " + command + "\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
    }
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(out)) {
      props.load(in);
    }
    return props;
  }
}
