package io.admission.bench.engine;

import java.util.HashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under the engine's flatness from 1 k to 1 M leases: the least that any engine keeping
 * one heap object per lease in a hash table keyed by call id does per Release + Acquire — remove
 * the oldest lease's entry, put a call-sized object under a new id — and nothing else. The same id
 * traffic, lease lifetimes and JVM settings as {@link AcquireReleaseBenchmark}, run beside it: how
 * much of the engine's growth the machine's memory and collector impose on any such design.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class IdTableFloorBenchmark {
  /** A {@code long[18]} is 160 bytes, the size of the engine's {@code Call} (heap histogram). */
  private static final int CALL_LONGS = 18;

  @Param({"1000", "1000000"})
  public int leases;

  private HashMap<String, long[]> table;
  /** Live ids' numbers in the order they were put, as the fixture's ring of leases. */
  private long[] ring;
  private int pos;
  private long nextId;

  @Setup
  public void build() {
    table = new HashMap<>();
    ring = new long[leases];
    for (int i = 0; i < leases; i++) {
      ring[i] = nextId++;
      table.put("call-" + ring[i], new long[CALL_LONGS]);
    }
  }

  /** Two table operations, as the engine's cycle is two decisions. */
  @Benchmark
  @OperationsPerInvocation(2)
  public Object removeOldestPutNew() {
    long[] gone = table.remove("call-" + ring[pos]);
    long number = nextId++;
    long[] call = new long[CALL_LONGS];
    call[0] = gone[0] + 1; // reads the removed object, as a Release reads its call
    table.put("call-" + number, call);
    ring[pos] = number;
    if (++pos == ring.length) {
      pos = 0;
    }
    return call;
  }
}
