package io.admission.bench.engine;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Results;
import java.util.HashMap;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Call ids chosen to collide: the {@code colliding} ids share one {@code String.hashCode} (blocks of "Aa"
 * and "BB", which hash alike), the {@code distinct} ones, as long and as many, do not. The engine remembers
 * {@link #REMEMBERED} ended calls; a cycle Acquires a new id and Releases it, filing it among them; a {@code
 * HashMap} beside it does the same. Colliding ÷ distinct near 1: the id table gives a client nothing to aim at.
 */
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class FloodedIdsBenchmark extends EngineBenchmark {
  /** 17 blocks of two chars: 2^17 ids, each reused only long after it was forgotten. */
  static final int BLOCKS = 17;
  static final int REMEMBERED = 1 << (BLOCKS - 2);

  @Param({"distinct", "colliding"})
  public String ids;

  private String[] id;
  private int engineNext;
  private int tableNext;
  private final Engine engine = new Engine();
  private long now = EngineFixture.START;
  private final HashMap<String, Object> table = new HashMap<>();

  @Setup
  public void build() {
    String other = ids.equals("colliding") ? "BB" : "Bc"; // "Aa" and "BB" share a hash, "Bc" not
    id = IntStream.range(0, 1 << BLOCKS).mapToObj(n -> IntStream.range(0, BLOCKS)
        .mapToObj(b -> (n >>> b & 1) == 0 ? "Aa" : other).collect(Collectors.joining())).toArray(String[]::new);
    engine.putOrg(new Commands.PutOrg(EngineFixture.org("org", 1, OptionalLong.empty())), now);
    for (int n = 0; n < 2 * REMEMBERED; n++) {
      engineCycle();
      tableCycle();
    }
  }

  /** Acquire (granted on the org's one slot) and Release: one more remembered call. */
  @Benchmark
  @OperationsPerInvocation(2)
  public Object engineCycle() {
    // The clock moves so that the last REMEMBERED ended calls are the remembered ones.
    now += Math.max(1, Engine.REMEMBER_ENDED_MILLIS / REMEMBERED);
    String callId = id[engineNext++ & (id.length - 1)];
    Object granted = engine.acquire(new Commands.Acquire("org", callId, "a", CallType.INBOUND, "", "", 0, 0), now);
    EngineFixture.expect(granted, Results.Granted.class);
    engine.release(new Commands.Release("org", callId), now);
    engine.drainEvents();
    return granted;
  }

  /** The same traffic on a HashMap: look the new id up, file it, forget the oldest. */
  @Benchmark
  @OperationsPerInvocation(2)
  public Object tableCycle() {
    int n = tableNext++;
    String callId = id[n & (id.length - 1)];
    Object seen = table.get(callId);
    table.put(callId, callId);
    table.remove(id[(n - REMEMBERED) & (id.length - 1)]);
    return seen;
  }
}
