package io.admission.bench.engine;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * Acquire and Release decisions per second with the engine holding {@code leases} live leases and {@code
 * held} held calls across {@code orgs} orgs ({@link EngineFixture}): a Release of the oldest lease and an
 * Acquire granted on the slot it freed per invocation. A decision's cost must not grow with any of them:
 * the parameters span three orders of magnitude of each to show whether it does.
 */
public class AcquireReleaseBenchmark extends EngineBenchmark {
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
