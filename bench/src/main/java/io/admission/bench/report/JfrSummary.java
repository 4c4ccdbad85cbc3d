package io.admission.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a profiled server's time went, from its JFR recording: execution samples by thread, by
 * component (the package of the top frame) and by method, plus GC pauses and CPU load.
 */
final class JfrSummary {
  long samples;
  final Map<String, Long> byThread = new HashMap<>();
  final Map<String, Long> byComponent = new HashMap<>();
  final Map<String, Long> byMethod = new HashMap<>();
  /** The server's thread that runs the loop: its one transport thread, which does all the I/O too. */
  static final String LOOP_THREAD = "admission-io";

  final Map<String, Long> loopByMethod = new HashMap<>();
  /** Samples by the innermost engine method on the stack: what the engine was doing, inclusive. */
  final Map<String, Long> byEngineMethod = new HashMap<>();
  long loopSamples;
  long engineInclusive;
  Duration gcPauses = Duration.ZERO;
  long gcCount;
  double cpuJvm; // fraction of the whole machine, averaged
  double cpuMachine;
  private int cpuEvents;
  Duration recorded = Duration.ZERO;
  /** Heap used right after the last GC of the recording, and its lowest value (bytes). */
  long heapAfterLastGc;
  long heapAfterGcMin = Long.MAX_VALUE;
  /** CPU per thread group as a fraction of one core, from jdk.ThreadCPULoad. */
  final Map<String, Double> threadCpu = new HashMap<>();
  private final Map<String, double[]> perThreadCpu = new HashMap<>(); // name -> [sum, events]

  static JfrSummary read(Path file) throws IOException {
    JfrSummary s = new JfrSummary();
    java.time.Instant first = null;
    java.time.Instant last = null;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      String type = e.getEventType().getName();
      if (first == null || e.getStartTime().isBefore(first)) {
        first = e.getStartTime();
      }
      if (last == null || e.getEndTime().isAfter(last)) {
        last = e.getEndTime();
      }
      switch (type) {
        case "jdk.ExecutionSample" -> s.sample(e);
        case "jdk.GCPhasePause" -> {
          s.gcPauses = s.gcPauses.plus(e.getDuration());
          s.gcCount++;
        }
        case "jdk.CPULoad" -> {
          s.cpuJvm += e.getFloat("jvmUser") + e.getFloat("jvmSystem");
          s.cpuMachine += e.getFloat("machineTotal");
          s.cpuEvents++;
        }
        case "jdk.GCHeapSummary" -> {
          if ("After GC".equals(e.getString("when"))) {
            long used = e.getLong("heapUsed");
            s.heapAfterLastGc = used;
            s.heapAfterGcMin = Math.min(s.heapAfterGcMin, used);
          }
        }
        case "jdk.ThreadCPULoad" -> {
          var thread = e.getThread("eventThread");
          if (thread != null && thread.getJavaName() != null) {
            double[] acc = s.perThreadCpu.computeIfAbsent(thread.getJavaName(), k -> new double[2]);
            acc[0] += e.getFloat("user") + e.getFloat("system"); // a fraction of all the machine's cores
            acc[1]++;
          }
        }
        default -> {}
      }
    }
    // Average each thread over time, sum a pool's threads, and count in cores.
    int cores = Runtime.getRuntime().availableProcessors();
    s.perThreadCpu.forEach((name, acc) ->
        s.threadCpu.merge(threadGroup(name), acc[0] / acc[1] * cores, Double::sum));
    if (s.cpuEvents > 0) {
      s.cpuJvm /= s.cpuEvents;
      s.cpuMachine /= s.cpuEvents;
    }
    if (first != null) {
      s.recorded = Duration.between(first, last);
    }
    return s;
  }

  private void sample(RecordedEvent e) {
    var stack = e.getStackTrace();
    if (stack == null || stack.getFrames().isEmpty()) {
      return;
    }
    samples++;
    String thread = threadGroup(e.getThread("sampledThread").getJavaName());
    byThread.merge(thread, 1L, Long::sum);
    RecordedFrame top = stack.getFrames().get(0);
    String method = top.getMethod().getType().getName() + "." + top.getMethod().getName();
    byMethod.merge(method, 1L, Long::sum);
    byComponent.merge(component(stack.getFrames()), 1L, Long::sum);
    String engineMethod = innermostEngineMethod(stack.getFrames());
    if (engineMethod != null) {
      engineInclusive++;
      byEngineMethod.merge(engineMethod, 1L, Long::sum);
    }
    if (thread.equals(LOOP_THREAD)) {
      loopSamples++;
      loopByMethod.merge(method, 1L, Long::sum);
    }
  }

  /** Thread pools by name without their numbers. */
  private static String threadGroup(String name) {
    return name == null ? "?" : name.replaceAll("(-\\d+)+$", "");
  }

  /** The library or layer of the frame where the sample's CPU time was spent (self time). */
  static String component(List<RecordedFrame> frames) {
    String top = frames.get(0).getMethod().getType().getName();
    if (top.startsWith("io.admission.server.engine.")) {
      return "engine";
    } else if (top.startsWith("io.admission.server.loop.")) {
      return "loop";
    } else if (top.startsWith("io.admission.server.")) {
      return "gRPC adapter";
    } else if (top.startsWith("com.google.protobuf.")) {
      return "protobuf";
    } else if (top.startsWith("io.grpc.netty.shaded.io.netty.")) {
      return "netty";
    } else if (top.startsWith("io.grpc.")) {
      return "grpc-java";
    } else if (top.startsWith("java.util.concurrent.") || top.startsWith("jdk.internal.misc.Unsafe")) {
      return "JDK concurrency (queues, park/unpark)";
    } else if (top.startsWith("java.") || top.startsWith("jdk.") || top.startsWith("sun.")) {
      return "JDK other";
    }
    return "other";
  }

  /** The innermost engine frame ("Class.method"), or null when the sample is not in the engine. */
  private static String innermostEngineMethod(List<RecordedFrame> frames) {
    for (RecordedFrame f : frames) {
      String type = f.getMethod().getType().getName();
      if (type.startsWith("io.admission.server.engine.")) {
        return type.substring("io.admission.server.engine.".length()) + "." + f.getMethod().getName();
      }
    }
    return null;
  }

  static Map<String, Long> top(Map<String, Long> counts, int n) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(n)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
  }
}
