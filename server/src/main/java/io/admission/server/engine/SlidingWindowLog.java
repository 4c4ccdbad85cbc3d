package io.admission.server.engine;

/**
 * Exact rolling window: the start time of every counted call still inside the window, oldest
 * first, in a ring of primitive longs. A start at {@code t} counts while {@code now < t + window}.
 *
 * <p>Cost: {@link #add} amortized O(1); {@link #count} O(evicted); {@link #countAt}, {@link
 * #startsAt} O(log n) plus the copy; {@link #roomAt} O(1). Memory: one long per start inside the
 * window (the owner forgets the starts that left before it adds one). Starts are added in time
 * order (the loop's clock never goes back), so the ring stays sorted.
 *
 * <p>What a changing window counts: when the window in force changes, the owner first calls
 * {@link #count} with the old window, so the starts that already left it are forgotten at that
 * moment; the rest count under the new window. A window made longer thus counts only the starts
 * that were still inside the previous window when it changed. Between changes, when a start that
 * left the window is dropped makes no difference (time never goes back, so it never counts
 * again), which makes that rule depend on the command log alone — never on which decisions, status
 * reads or snapshots happened to look at the log in between. Reads that are not commands must not
 * drop anything all the same: they use {@link #countAt} and {@link #startsAt}.
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
   * Starts within the window ending at {@code now}, changing nothing: for status reads and
   * snapshots, which are not commands and so must not change state. O(log n).
   */
  int countAt(long now, long windowMillis) {
    return size - firstCounting(now, windowMillis);
  }

  /** The starts within the window ending at {@code now}, oldest first, changing nothing. */
  long[] startsAt(long now, long windowMillis) {
    int first = firstCounting(now, windowMillis);
    long[] out = new long[size - first];
    for (int i = first; i < size; i++) {
      out[i - first] = ring[(head + i) % ring.length];
    }
    return out;
  }

  /** The index (from the oldest) of the first start that still counts at {@code now}. */
  private int firstCounting(long now, long windowMillis) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ring[(head + mid) % ring.length] + windowMillis <= now) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
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

  /** Every start held, oldest first, whether it still counts or not: for tests. */
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
