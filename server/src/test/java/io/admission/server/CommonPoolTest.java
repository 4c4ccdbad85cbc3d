package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On a two-core machine the server's JVM gives the common pool two threads, so that the async
 * steps Ratis takes for every log entry run on it instead of on a new thread each; an operator's
 * own -D setting stands. Each case runs the server's main in a JVM of its own told it has two
 * cores, since the pool's size is fixed once in a JVM.
 */
class CommonPoolTest {
  /** Runs Main.main (--version: starts nothing), then says how the common pool turned out. */
  public static final class Probe {
    public static void main(String[] args) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        boolean pooled = CompletableFuture.supplyAsync(
            () -> Thread.currentThread() instanceof ForkJoinWorkerThread).join();
        System.out.println("PROBE parallelism=" + ForkJoinPool.getCommonPoolParallelism() + " pooled=" + pooled);
      }));
      Main.main(new String[] {"--version"});
    }
  }

  @Test
  void onTwoCoresAsyncStepsRunOnTheCommonPool() throws Exception {
    assertEquals("PROBE parallelism=2 pooled=true", probe());
  }

  @Test
  void anOperatorsOwnSettingStands() throws Exception {
    assertEquals("PROBE parallelism=1 pooled=false", probe("-D" + Main.COMMON_POOL_PARALLELISM + "=1"));
  }

  private static String probe(String... jvm) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ActiveProcessorCount=2", "-Xmx64m", "-cp", System.getProperty("java.class.path")));
    command.addAll(List.of(jvm));
    command.add(Probe.class.getName());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return out.lines().filter(l -> l.startsWith("PROBE")).findFirst().orElse(out);
  }
}
