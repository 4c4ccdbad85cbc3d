package io.admission.bench.run;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Child processes of a run: servers that say where they listen, and commands that write results. */
final class Proc {
  private static final Pattern LISTENING = Pattern.compile("listening on (\\S+:\\d+)");

  private Proc() {}

  /** A started server; {@link #address} waits for the HOST:PORT it prints, so two servers can pre-touch at once. */
  record Server(Process process, List<String> command, Path log) implements AutoCloseable {
    static Server start(List<String> command, Path log) throws IOException {
      return new Server(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start(),
          command, log);
    }

    String address() throws IOException, InterruptedException {
      return await(LISTENING, 60).group(1);
    }

    /** Waits until the process's output matches {@code pattern}; its exit before that is an error, with the output. */
    Matcher await(Pattern pattern, int seconds) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (true) {
        Matcher m = pattern.matcher(Files.readString(log));
        if (m.find()) {
          return m;
        } else if (!process.isAlive()) {
          throw new IOException("exited (" + process.exitValue() + ") before saying \"" + pattern + "\": " + command
              + "\n" + Files.readString(log));
        } else if (System.nanoTime() > deadline) {
          throw new IOException("did not say \"" + pattern + "\" within " + seconds + " s: " + command);
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
    Process p = Server.start(command, log).process();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      throw new IOException("timed out after " + timeoutSeconds + " s: " + command);
    } else if (p.exitValue() != 0 || !Files.exists(out)) {
      List<String> lines = Files.readAllLines(log);
      throw new IOException("failed (exit " + p.exitValue() + "): " + command + "\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
    }
    return read(out);
  }

  static Properties read(Path file) throws IOException {
    Properties p = new Properties();
    try (var in = Files.newInputStream(file)) {
      p.load(in);
    }
    return p;
  }

  /** Polls {@code done} until it holds; after {@code seconds} an error naming {@code what}. */
  static void await(BooleanSupplier done, double seconds, String what) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("waited " + seconds + " s in vain for " + what);
      }
      Thread.sleep(20);
    }
  }

  /** A loopback port nothing listens on now; should another process take it first, its server fails loudly. */
  static int freePort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }
}
