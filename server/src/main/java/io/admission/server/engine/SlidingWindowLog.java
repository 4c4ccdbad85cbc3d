package io.admission.server.engine;

/**
 * Exact rolling window: the start time of every counted call still inside the window, oldest
 * first, in a ring of primitive longs. A start at {@code t} counts while {@code now < t + window}.
 *
 * <p>Cost: {@link #add} amortized O(1); {@link #count} O(evicted); {@link #roomAt} O(1). Memory:
 * one long per start inside the window. Starts are added in time order (the loop's clock never
 * goes back), so the ring stays sorted.
 *
 * <p>Entries that left the window are dropped; a window later made longer counts only the starts
 * still held (those inside the previous window).
 */
final class SlidingWindowLog {
  private long[] ring = new long[4];
  private int head;
  private int size;

  void add(long startedAt) {
    if (size == ring.length) {
      grow();
    }
    ring[(head + size) % ring.length] = startedAt;
    size++;
  }

  /** Starts within the window ending at {@code now}; drops those that left it. */
  int count(long now, long windowMillis) {
    while (size > 0 && ring[head] + windowMillis <= now) {
      head = (head + 1) % ring.length;
      size--;
    }
    return size;
  }

  /**
   * Starts within the window ending at {@code now}, changing nothing: for status reads, which
   * are not journaled and so must not change state (a read that dropped old starts could change
   * a later decision if the window is then made longer). O(log n).
   */
  int countAt(long now, long windowMillis) {
    int lo = 0;
    int hi = size; // first index whose start still counts
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ring[(head + mid) % ring.length] + windowMillis <= now) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return size - lo;
  }

  /**
   * When the count first falls below {@code max}: the moment the start that must leave does. Only
   * meaningful when {@code count(now, window) >= max > 0}.
   */
  long roomAt(int max, long windowMillis) {
    return ring[(head + size - max) % ring.length] + windowMillis;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** The newest start; only when not empty. */
  long newest() {
    return ring[(head + size - 1) % ring.length];
  }

  /** Oldest first, for snapshots and tests. */
  long[] toArray() {
    long[] out = new long[size];
    for (int i = 0; i < size; i++) {
      out[i] = ring[(head + i) % ring.length];
    }
    return out;
  }

  private void grow() {
    long[] bigger = new long[ring.length * 2];
    for (int i = 0; i < size; i++) {
      bigger[i] = ring[(head + i) % ring.length];
    }
    ring = bigger;
    head = 0;
  }
}
