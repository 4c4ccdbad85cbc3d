package io.admission.bench.engine;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * {@link AcquireReleaseBenchmark}'s base shape remembering as many ended calls as a busy server: each for 10
 * minutes (a retried Acquire is never granted twice), so 5,000 ended a second are 3 M, each Acquire looks
 * its call_id up among them, each Release adds one. Keeping millions, one decision at a time and in turns.
 */
public class RememberedCallsBenchmark extends EngineBenchmark {
  /** Release+Acquire cycles in one {@link #loopTurn}: 256 commands. */
  public static final int TURN_CYCLES = 128;

  @Param({"1000", "3000000"})
  public int remembered;

  private EngineFixture fixture;

  @Setup
  public void build() {
    fixture = EngineFixture.remembering(remembered);
  }

  /**
   * {@value #TURN_CYCLES} cycles as the loop applies a turn's batch (256 callers bring ~200 commands a turn): all
   * at one time, the engine {@link io.admission.server.engine.Engine#readAhead reading ahead} over it first or not.
   */
  @Benchmark
  @OperationsPerInvocation(2 * TURN_CYCLES)
  public Object loopTurn() {
    return fixture.turn(TURN_CYCLES, false);
  }

  @Benchmark
  @OperationsPerInvocation(2 * TURN_CYCLES)
  public Object loopTurnReadingAhead() {
    return fixture.turn(TURN_CYCLES, true);
  }

  @Benchmark
  @OperationsPerInvocation(2)
  public Object releaseThenAcquire() {
    return fixture.releaseThenAcquire();
  }
}
