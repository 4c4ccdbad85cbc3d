package io.admission.bench.engine;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs {@link HeapFootprint}; meant for a JVM of its own with -XX:+UseSerialGC. */
@Command(name = "heap", mixinStandardHelpOptions = true,
    description = "Heap bytes per live lease and per held call, from used heap and a class histogram.")
public final class HeapCommand implements Callable<Integer> {
  @Option(names = "--count", defaultValue = "1000000", description = "Leases or held calls to add.")
  int count;

  @Option(names = "--kind", required = true, description = "lease, held or ended: one kind per JVM, so neither sees the other's garbage.")
  String kind;

  @Option(names = "--out", required = true, description = "Properties file to write.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Properties p = new Properties();
    p.setProperty("count", Integer.toString(count));
    switch (kind) {
      case "lease" -> put(p, kind, new HeapFootprint().perLease(count));
      case "held" -> put(p, kind, new HeapFootprint().perHeldCall(count));
      case "ended" -> put(p, kind, new HeapFootprint().perEndedCall(count));
      default -> throw new IllegalArgumentException("--kind must be lease, held or ended, got " + kind);
    }
    try (OutputStream o = Files.newOutputStream(out)) {
      p.store(o, null);
    }
    return 0;
  }

  private static void put(Properties p, String kind, HeapFootprint.Footprint f) {
    p.setProperty(kind + ".bytes", String.format(Locale.ROOT, "%.1f", f.bytesPerItem()));
    int i = 0;
    for (HeapFootprint.ClassShare c : f.classes()) {
      p.setProperty(kind + ".class." + i + ".name", c.className());
      p.setProperty(kind + ".class." + i + ".bytes", String.format(Locale.ROOT, "%.1f", c.bytesPerItem()));
      p.setProperty(kind + ".class." + i + ".instances", String.format(Locale.ROOT, "%.2f", c.instancesPerItem()));
      i++;
    }
    p.setProperty(kind + ".classes", Integer.toString(i));
    System.err.printf(Locale.ROOT, "heap: %.1f bytes per %s%n", f.bytesPerItem(), kind);
  }
}
