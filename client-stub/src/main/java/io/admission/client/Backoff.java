package io.admission.client;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Delays between attempts to reopen a broken stream: 100 ms doubling to 5 s, each with up to
 * 20 % jitter so that the clients cut off by one server restart do not all come back at once.
 * Public so that every client of the library that reopens a stream (the command-line client's
 * {@code watch}, an application's own WatchOrg) spreads its attempts the same way.
 * Not thread-safe: its owner guards it.
 */
public final class Backoff {
  static final long FIRST_MILLIS = 100;
  static final long MAX_MILLIS = 5_000;

  private long nextMillis = FIRST_MILLIS;

  /** The delay before the next attempt; each call doubles the one after, up to the maximum. */
  public long nextDelayMillis() {
    long delay = nextMillis;
    nextMillis = Math.min(MAX_MILLIS, nextMillis * 2);
    return delay - ThreadLocalRandom.current().nextLong(delay / 5 + 1);
  }

  /** Starts over after the stream worked again. */
  public void reset() {
    nextMillis = FIRST_MILLIS;
  }
}
