package io.admission.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code admission-server.jar} in its own JVM on a free loopback port, as a user runs it.
 * Its output is kept so a failing test can show it. {@link #kill9} and {@link #restart} let a test
 * crash it and start it again with the same arguments (so on the same {@code --data-dir}).
 */
final class ServerProcess implements AutoCloseable {
  static final Path JAR = Path.of("target", "admission-server.jar");

  private final Process process;
  private final StringBuffer output;
  private final List<String> jvm;
  private final List<String> args;
  final int port;

  private ServerProcess(Process process, int port, StringBuffer output, List<String> jvm, List<String> args) {
    this.process = process;
    this.port = port;
    this.output = output;
    this.jvm = jvm;
    this.args = args;
  }

  static ServerProcess start(String... args) throws IOException, InterruptedException {
    return startWith(List.of(), args);
  }

  /**
   * The same with {@code jvm} options (a small heap); on a free port unless {@code args} give
   * {@code --listen} (a cluster's node keeps its address across restarts).
   */
  static ServerProcess startWith(List<String> jvm, String... args) throws IOException, InterruptedException {
    if (!Files.exists(JAR)) {
      throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: run `mvn package` first");
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvm);
    command.addAll(List.of("-jar", JAR.toString()));
    if (!List.of(args).contains("--listen")) {
      command.addAll(List.of("--listen", "127.0.0.1:0"));
    }
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<Integer> port = new CompletableFuture<>();
    StringBuffer output = new StringBuffer();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          output.append(line).append('\n');
          // The server's own line, not a library's log line that says "listening on" too.
          if (line.startsWith("admission: listening on ")) {
            port.complete(Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim()));
          }
        }
      } catch (IOException e) {
        port.completeExceptionally(e);
      }
      port.completeExceptionally(new IllegalStateException("server exited:\n" + output));
    }, "server-output");
    reader.setDaemon(true);
    reader.start();
    try {
      return new ServerProcess(process, port.get(30, TimeUnit.SECONDS), output, List.copyOf(jvm), List.of(args));
    } catch (Exception e) {
      process.destroyForcibly();
      throw new IllegalStateException("server did not start:\n" + output, e);
    }
  }

  String target() {
    return "127.0.0.1:" + port;
  }

  /** The server JVM's process id. */
  long pid() {
    return process.pid();
  }

  /** Everything the server printed so far. */
  String output() {
    return output.toString();
  }

  /**
   * SIGKILL (what {@link Process#destroyForcibly} sends on Linux): no shutdown hook runs, nothing
   * is flushed or closed. Returns once the process is gone, so its data-dir lock is free.
   */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("server pid " + process.pid() + " survived SIGKILL for 30 s");
    }
  }

  /** Stops this server if it still runs (SIGKILL) and starts a new one with the same arguments. */
  ServerProcess restart() throws IOException, InterruptedException {
    if (process.isAlive()) {
      kill9();
    }
    return startWith(jvm, args.toArray(new String[0]));
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
