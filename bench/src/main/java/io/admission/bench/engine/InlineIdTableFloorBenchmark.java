package io.admission.bench.engine;

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
 * The random-access floor under the engine's flatness from 1 k to 1 M leases: an engine with no
 * object per lease at all. Each lease's id and state sit inline in one 64-byte slot, one cache
 * line, of an open-addressing table (linear probing, backward-shift removal) placed by the id's
 * hash, so a Release and an Acquire each touch one line at a random place and the collector has
 * nothing to do. What an operation costs more at 1 M leases than at 1 k is then the price of one
 * memory access that misses every cache. The same id traffic, lease lifetimes and JVM settings as
 * {@link IdTableFloorBenchmark} and {@link AcquireReleaseBenchmark}, run beside them.
 *
 * <p>Not a lower bound for this benchmark: its leases end in exactly the order they were granted,
 * so a {@code HashMap}'s per-lease objects, lying in allocation order, are read nearly in
 * sequence. A server's calls end in any order; this table is what that order costs.
 *
 * <p>It is a floor, not a design: ids of up to 16 ASCII chars only (the benchmark's are 12-13),
 * and 32 bytes of state where the engine keeps 160.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class InlineIdTableFloorBenchmark {
  /** 64 bytes: hash, id chars (2 longs), id length, then 4 longs of state. */
  private static final int SLOT_LONGS = 8;
  private static final int STATE = 4;
  /**
   * A long[]'s elements start 16 bytes into it, and G1 starts an array this large (humongous) on
   * a region boundary: skipping 6 longs puts every slot on a cache line of its own.
   */
  private static final int FIRST = 6;

  @Param({"1000", "1000000"})
  public int leases;

  private long[] table;
  private int mask;
  /** Live ids' numbers in the order they were put, as the fixture's ring of leases. */
  private long[] ring;
  private int pos;
  private long nextId;

  @Setup
  public void build() {
    int slots = Integer.highestOneBit(Math.max(leases, 2) * 2 - 1) * 2; // load at most 1/2
    table = new long[FIRST + slots * SLOT_LONGS];
    mask = slots - 1;
    ring = new long[leases];
    for (int i = 0; i < leases; i++) {
      ring[i] = nextId++;
      put("call-" + ring[i], 0);
    }
  }

  /** Two table operations, as the engine's cycle is two decisions. */
  @Benchmark
  @OperationsPerInvocation(2)
  public long removeOldestPutNew() {
    int slot = find("call-" + ring[pos]);
    long count = table[slot + STATE] + 1; // reads the removed lease, as a Release reads its call
    remove(slot);
    long number = nextId++;
    put("call-" + number, count);
    ring[pos] = number;
    if (++pos == ring.length) {
      pos = 0;
    }
    return count;
  }

  /** Where {@code id}'s slot starts in {@link #table}. */
  private int find(String id) {
    long hash = hash(id);
    long chars0 = chars(id, 0);
    long chars1 = chars(id, 8);
    for (int i = (int) hash & mask; ; i = (i + 1) & mask) {
      int at = FIRST + i * SLOT_LONGS;
      if (table[at] == 0) {
        throw new IllegalStateException("no lease " + id);
      }
      if (table[at] == hash && table[at + 1] == chars0 && table[at + 2] == chars1
          && table[at + 3] == id.length()) {
        return at;
      }
    }
  }

  private void put(String id, long count) {
    long hash = hash(id);
    int i = (int) hash & mask;
    while (table[FIRST + i * SLOT_LONGS] != 0) {
      i = (i + 1) & mask;
    }
    int at = FIRST + i * SLOT_LONGS;
    table[at] = hash;
    table[at + 1] = chars(id, 0);
    table[at + 2] = chars(id, 8);
    table[at + 3] = id.length();
    table[at + STATE] = count;
  }

  /** Empties the slot at {@code at}, shifting later entries of its run back: no tombstones. */
  private void remove(int at) {
    int hole = (at - FIRST) / SLOT_LONGS;
    for (int j = (hole + 1) & mask; table[FIRST + j * SLOT_LONGS] != 0; j = (j + 1) & mask) {
      int home = (int) table[FIRST + j * SLOT_LONGS] & mask;
      boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        System.arraycopy(table, FIRST + j * SLOT_LONGS, table, FIRST + hole * SLOT_LONGS, SLOT_LONGS);
        hole = j;
      }
    }
    table[FIRST + hole * SLOT_LONGS] = 0;
  }

  /** The id's hash, never 0 (0 marks an empty slot). */
  private static long hash(String id) {
    long h = id.hashCode() * 0x9e3779b97f4a7c15L; // Fibonacci hashing spreads sequential ids
    return (h ^ h >>> 29) | Long.MIN_VALUE;
  }

  /** Eight chars of the id from {@code from}, a byte each, zero past its end. */
  private static long chars(String id, int from) {
    if (id.length() > 16) {
      throw new IllegalArgumentException("a floor for ids of up to 16 chars: " + id);
    }
    long packed = 0;
    for (int k = from; k < Math.min(from + 8, id.length()); k++) {
      packed |= (long) (id.charAt(k) & 0xff) << 8 * (k - from);
    }
    return packed;
  }
}
