package io.admission.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time (user + system) of a process, in nanoseconds. */
final class CpuTime {
  /** USER_HZ: the unit of /proc/PID/stat times; 100 on Linux everywhere that matters. */
  private static final long TICK_NANOS = 10_000_000L;

  private CpuTime() {}

  /** From /proc/PID/stat (utime + stime); 0 when {@code pid} is 0 or unreadable. */
  static long ofProcess(long pid) {
    if (pid <= 0) {
      return 0;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // Fields after the command name, which is in parentheses and may contain spaces.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS; // fields 14 and 15
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
