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
 * Acquire and Release decisions per second on one thread — the loop's thread — with the engine
 * holding {@code leases} live leases and {@code held} held calls across {@code orgs} orgs. One
 * invocation is a Release of the oldest lease and an Acquire granted on the slot it freed: two
 * decisions, so scores are decisions per second. See {@link EngineFixture} for the shape.
 *
 * <p>The cost of a decision must not grow with the number of orgs, active leases or held calls:
 * the parameters span three orders of magnitude of each to show whether it does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AcquireReleaseBenchmark {
  @Param({"1000", "100000", "1000000"})
  public int leases;

  @Param({"0", "10000", "100000"})
  public int held;

  @Param({"1", "100000"})
  public int orgs;

  private EngineFixture fixture;

  @Setup
  public void build() {
    fixture = EngineFixture.build(leases, held, orgs);
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public Object releaseThenAcquire() {
    return fixture.releaseThenAcquire();
  }
}
