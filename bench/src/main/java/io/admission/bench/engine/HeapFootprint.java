package io.admission.bench.engine;

import static io.admission.bench.engine.EngineFixture.expect;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Results;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Heap bytes per live lease, held call or ended call remembered: the used heap after a full GC, before and
 * after adding {@code count} of them to one org, divided by {@code count}. Requests are built as the gRPC
 * adapter builds them: each command with its own {@code org_id} and {@code call_id} strings, as protobuf
 * parsing gives, call ids 36-character UUIDs, as switches send. Run it in a JVM of its own per kind (neither
 * sees the other's garbage) with {@code -XX:+UseSerialGC}, so a requested GC is a full, exact one.
 */
@Command(name = "heap", mixinStandardHelpOptions = true, description = "Heap bytes per live lease or per held call.")
public final class HeapFootprint implements Callable<Integer> {
  private static final String ORG = "org-heap";
  private static final long NOW = EngineFixture.START;
  /** Keeps what is measured reachable until the second reading. */
  private static volatile Object keep;

  /**
   * {@code lease}: leases granted; {@code held}: calls held behind one lease; {@code ended}: calls acquired and
   * released while one other call stays active, as under load, each remembered 10 minutes (idempotent retries).
   */
  enum Kind { lease, held, ended }

  @Option(names = "--kind", required = true, description = "${COMPLETION-CANDIDATES}.") Kind kind;
  @Option(names = "--count", defaultValue = "1000000", description = "Items to add.") int count;
  @Option(names = "--out", required = true, description = "Properties file to write.") Path out;

  @Override
  public Integer call() throws Exception {
    double bytes = bytesPer(kind, count);
    Files.writeString(out, String.format(Locale.ROOT, "count=%d%n%s.bytes=%.1f%n", count, kind, bytes));
    return 0;
  }

  static double bytesPer(Kind kind, int count) {
    Engine engine = new Engine();
    expect(engine.putOrg(new Commands.PutOrg(EngineFixture.org(ORG, kind == Kind.held ? 1 : count + 1,
        OptionalLong.empty())), NOW), Results.OrgView.class);
    // Load and initialize every class on the path first: they are not per-item costs.
    EngineFixture.build(100, 100, 1).releaseThenAcquire();
    if (kind != Kind.lease) {
      expect(engine.acquire(request(-1), NOW), Results.Granted.class);
    }
    long before = usedHeap();
    for (int i = 0; i < count; i++) {
      Commands.Acquire a = request(i);
      expect(engine.acquire(a, NOW), kind == Kind.held ? Results.Held.class : Results.Granted.class);
      if (kind == Kind.ended) {
        expect(engine.release(new Commands.Release(parsed(ORG), parsed(a.callId())), NOW), Results.Released.class);
        if (i % 1024 == 0) {
          engine.drainEvents();
        }
      }
    }
    engine.drainEvents();
    keep = engine;
    double bytes = (usedHeap() - before) / (double) count;
    keep = null;
    return bytes;
  }

  private static Commands.Acquire request(int i) {
    // Decoded from bytes, as protobuf parses a request: each string owns its bytes.
    String callId = String.format("%08x-0000-4000-8000-%012x", i & 0xffffffffL, i * 2654435761L & 0xffffffffffffL);
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
}
