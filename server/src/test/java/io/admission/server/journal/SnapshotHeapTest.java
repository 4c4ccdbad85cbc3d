package io.admission.server.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot and a restart need little more of the heap than the state itself. A journal in a
 * JVM of its own with a small heap ({@link RememberedCallsProcess}) remembers many ended calls,
 * snapshots them, is killed (halted, nothing closed) and starts again in another such JVM, where
 * every call must still be remembered. Holding each remembered call as a record, a protobuf
 * message and bytes at once (the snapshot written and read whole) needed at least 109 MB of heap
 * for the snapshot and 137 MB for the restart with these calls, and ran out here; streamed, they
 * need 68 MB and 47 MB.
 */
class SnapshotHeapTest {
  /** Remembered calls: with the rest of the state, ~35 MB of heap after a full collection. */
  private static final int CALLS = 150_000;
  /** Enough for the state and a copy of its remembered calls' bytes, with room to spare. */
  private static final String HEAP = "-Xmx88m";

  @TempDir Path tmp;

  @Test
  void aSnapshotAndARestartWithManyRememberedCallsFitInASmallHeap() throws Exception {
    Path dir = tmp.resolve("data");
    assertEquals("filled", run("fill", dir), "the life before the kill");
    assertEquals("checked", run("check", dir), "the start after it");
  }

  /** The last line the process printed; a failure shows all it printed. */
  private String run(String mode, Path dir) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        HEAP, "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"),
        RememberedCallsProcess.class.getName(), mode, dir.toString(), Integer.toString(CALLS)));
    Path output = tmp.resolve(mode + ".out");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(mode + " did not finish in 60 s:\n" + Files.readString(output));
    }
    List<String> lines = Files.readAllLines(output);
    String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    if (process.exitValue() != 0 || !last.equals(mode.equals("fill") ? "filled" : "checked")) {
      throw new AssertionError(mode + " with " + HEAP + " exited " + process.exitValue() + ":\n"
          + String.join("\n", lines));
    }
    return last;
  }
}
