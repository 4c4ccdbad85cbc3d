package io.admission.bench.load;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/** Unique 36-character, UUID-shaped call ids, as switches send them; cheap to make. */
final class CallIds {
  private final String prefix = String.format("%08x-0000-4000-8000-", ThreadLocalRandom.current().nextInt());
  private final AtomicLong next = new AtomicLong();

  String next() {
    String hex = Long.toHexString(next.getAndIncrement());
    return prefix + "000000000000".substring(hex.length()) + hex;
  }
}
