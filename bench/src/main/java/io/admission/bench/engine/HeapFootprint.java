package io.admission.bench.engine;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * Heap bytes per live lease and per held call, measured: the used heap and a class histogram
 * after a full GC, before and after adding {@code count} leases (or held calls) to one org, the
 * difference divided by {@code count}.
 *
 * <p>Requests are built the way the gRPC adapter builds them: every command carries its own
 * {@code org_id} and {@code call_id} strings, as parsing a protobuf message gives, and call ids are
 * 36-character UUIDs, the id a switch typically sends. Run it in a JVM of its own with {@code
 * -XX:+UseSerialGC}, so a requested GC is a full, exact one.
 */
public final class HeapFootprint {
  /** One class's share of the growth. */
  public record ClassShare(String className, double bytesPerItem, double instancesPerItem) {}

  /** Bytes per item overall and the classes that make them up, largest first. */
  public record Footprint(double bytesPerItem, List<ClassShare> classes) {}

  private static final Pattern HISTOGRAM_LINE =
      Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");
  private static final String ORG = "org-heap";
  /** Keeps what is measured reachable until the second reading. */
  private static volatile Object keep;

  private long now = EngineFixture.START;

  /** Bytes per live lease, with {@code count} leases in one org. */
  public Footprint perLease(int count) {
    Engine engine = newEngine(count + 1);
    return measure(count, () -> {
      for (int i = 0; i < count; i++) {
        expect(engine.acquire(request(i), now), Results.Granted.class);
      }
      engine.drainEvents();
      return engine;
    });
  }

  /** Bytes per held call, with {@code count} calls held behind one lease in one org. */
  public Footprint perHeldCall(int count) {
    Engine engine = newEngine(1);
    expect(engine.acquire(request(-1), now), Results.Granted.class);
    return measure(count, () -> {
      for (int i = 0; i < count; i++) {
        expect(engine.acquire(request(i), now), Results.Held.class);
      }
      engine.drainEvents();
      return engine;
    });
  }

  /**
   * Bytes per ended call the engine still remembers (DESIGN.md: at least 10 minutes after it
   * ended, for idempotent retries): {@code count} calls acquired and released at one instant,
   * while one other call of the same agent stays active, as under load. An ended call is a record
   * in the engine's byte log plus its index slot, so what grows is byte, long and int arrays; the
   * index doubles in steps, so the figure depends a little on where {@code count} falls.
   */
  public Footprint perEndedCall(int count) {
    Engine engine = newEngine(count + 1);
    expect(engine.acquire(request(-1), now), Results.Granted.class);
    return measure(count, () -> {
      for (int i = 0; i < count; i++) {
        Commands.Acquire a = request(i);
        expect(engine.acquire(a, now), Results.Granted.class);
        expect(engine.release(new Commands.Release(parsed(ORG), parsed(a.callId())), now), Results.Released.class);
        if (i % 1024 == 0) {
          engine.drainEvents();
        }
      }
      engine.drainEvents();
      return engine;
    });
  }

  private Engine newEngine(int limit) {
    Engine engine = new Engine();
    OrgConfig config = new OrgConfig(ORG, limit, Optional.empty(), ZoneOffset.UTC,
        OptionalLong.empty(), LoginLimits.INHERIT, NumberLimits.INHERIT);
    expect(engine.putOrg(new Commands.PutOrg(config), now), Results.OrgView.class);
    // Load and initialize every class on the path first: they are not per-lease costs.
    EngineFixture.build(100, 100, 1).releaseThenAcquire();
    return engine;
  }

  private interface Build {
    Object run();
  }

  private static Footprint measure(int count, Build build) {
    Map<String, long[]> before = histogram();
    long usedBefore = usedHeap();
    keep = build.run();
    long usedAfter = usedHeap();
    Map<String, long[]> after = histogram();
    keep = null;
    List<ClassShare> shares = new ArrayList<>();
    after.forEach((name, a) -> {
      long[] b = before.getOrDefault(name, new long[2]);
      long bytes = a[1] - b[1];
      if (Math.abs(bytes) >= count / 10) { // under 0.1 byte per item: not this item's cost
        shares.add(new ClassShare(name, bytes / (double) count, (a[0] - b[0]) / (double) count));
      }
    });
    shares.sort((x, y) -> Double.compare(y.bytesPerItem(), x.bytesPerItem()));
    return new Footprint((usedAfter - usedBefore) / (double) count, shares);
  }

  private Commands.Acquire request(int i) {
    // Decoded from bytes, as protobuf parses a request: each string owns its bytes, nothing is
    // shared with earlier calls.
    String callId = String.format("%08x-0000-4000-8000-%012x", i & 0xffffffffL, (long) i * 2654435761L & 0xffffffffffffL);
    return new Commands.Acquire(parsed(ORG), parsed(callId), "", CallType.OUTBOUND, "", "", 0, 0);
  }

  private static String parsed(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Class name → [instances, bytes], after the full GC that the histogram command forces. */
  private static Map<String, long[]> histogram() {
    String text;
    try {
      text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
          new ObjectName("com.sun.management:type=DiagnosticCommand"),
          "gcClassHistogram",
          new Object[] {new String[0]},
          new String[] {String[].class.getName()});
    } catch (Exception e) {
      throw new IllegalStateException("class histogram unavailable", e);
    }
    Map<String, long[]> out = new HashMap<>();
    for (String line : text.split("\n")) {
      Matcher m = HISTOGRAM_LINE.matcher(line);
      if (m.matches()) {
        out.put(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
      }
    }
    return out;
  }

  private static void expect(Object result, Class<?> type) {
    if (!type.isInstance(result)) {
      throw new IllegalStateException("expected " + type.getSimpleName() + ", got " + result);
    }
  }
}
