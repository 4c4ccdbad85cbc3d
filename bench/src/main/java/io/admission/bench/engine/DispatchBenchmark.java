package io.admission.bench.engine;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one dispatch at a deep queue: a Release that frees the org's only slot, which
 * re-checks and grants the oldest of {@code depth} held calls, plus the Acquire that joins the
 * tail (so the depth stays put). Reported as time per cycle; the cycle is one dispatch, one
 * release decision and one hold decision.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DispatchBenchmark {
  @Param({"1000", "100000", "1000000"})
  public int depth;

  private EngineFixture.DeepQueue queue;

  @Setup
  public void build() {
    queue = EngineFixture.deepQueue(depth);
  }

  @Benchmark
  public Object releaseDispatchAndHold() {
    return queue.dispatchCycle();
  }
}
