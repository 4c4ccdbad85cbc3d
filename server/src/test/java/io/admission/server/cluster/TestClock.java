package io.admission.server.cluster;

import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One replica's own clock, set by the test: each node of a real cluster reads its own, and they
 * disagree. Only the leader's may move the engine's time; the others must not matter.
 */
final class TestClock implements InstantSource {
  private final AtomicLong millis;

  TestClock(long millis) {
    this.millis = new AtomicLong(millis);
  }

  void set(long to) {
    millis.set(to);
  }

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.get());
  }
}
