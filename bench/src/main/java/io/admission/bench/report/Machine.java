package io.admission.bench.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Properties;

/** What the numbers were measured on, and how busy the machine was. */
record Machine(
    String date,
    String cpu,
    int cores,
    String memory,
    String os,
    String jdk,
    String grpc,
    String lettuce,
    String redis,
    Load loadBefore) {

  /** /proc/loadavg: runnable processes averaged over 1, 5 and 15 minutes. */
  record Load(String oneFiveFifteen) {
    @Override
    public String toString() {
      return oneFiveFifteen;
    }
  }

  static Machine describe(String redisVersion) {
    return new Machine(
        ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
        procField("/proc/cpuinfo", "model name"),
        Runtime.getRuntime().availableProcessors(),
        totalMemory(),
        System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
        grpcVersion(),
        libraryVersion("io.lettuce", "lettuce-core"),
        redisVersion,
        loadAverage());
  }

  static Load loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return new Load(f[0] + " " + f[1] + " " + f[2]);
    } catch (IOException | RuntimeException e) {
      return new Load("?");
    }
  }

  private static String totalMemory() {
    String kb = procField("/proc/meminfo", "MemTotal").replaceAll("[^0-9]", "");
    return kb.isEmpty() ? "?" : String.format(java.util.Locale.ROOT, "%.1f GiB", Long.parseLong(kb) / 1024.0 / 1024.0);
  }

  private static String procField(String file, String key) {
    try {
      for (String line : Files.readAllLines(Path.of(file))) {
        if (line.startsWith(key)) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      // not Linux: leave it unknown
    }
    return "?";
  }

  /** grpc-java's jars carry no pom.properties; its core records its own version. */
  private static String grpcVersion() {
    try {
      return String.valueOf(Class.forName("io.grpc.internal.GrpcUtil").getField("IMPLEMENTATION_VERSION").get(null));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return "?";
    }
  }

  /** The version a shaded library's pom.properties records. */
  private static String libraryVersion(String group, String artifact) {
    String path = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = Machine.class.getResourceAsStream(path)) {
      if (in == null) {
        return "?";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "?");
    } catch (IOException e) {
      return "?";
    }
  }
}
