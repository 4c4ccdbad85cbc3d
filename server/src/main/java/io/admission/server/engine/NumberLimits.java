package io.admission.server.engine;

import java.util.OptionalInt;

/**
 * Per-number (caller ID) caps as configured. An empty field inherits (number override, then the
 * org's number_defaults, then no limit); an explicit 0 switches that cap off.
 */
public record NumberLimits(OptionalInt maxPerDay, OptionalInt maxPerHour, OptionalInt maxConcurrent) {

  /** The rolling window of {@code maxPerHour}. */
  public static final long HOUR_MILLIS = 3_600_000L;

  public static final NumberLimits INHERIT =
      new NumberLimits(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty());

  /** The caps in force; 0 means no cap. */
  public record Effective(int maxPerDay, int maxPerHour, int maxConcurrent) {
    public boolean none() {
      return maxPerDay == 0 && maxPerHour == 0 && maxConcurrent == 0;
    }
  }

  /** This override on top of {@code defaults}; each field falls through independently. */
  public NumberLimits over(NumberLimits defaults) {
    return new NumberLimits(
        maxPerDay.isPresent() ? maxPerDay : defaults.maxPerDay,
        maxPerHour.isPresent() ? maxPerHour : defaults.maxPerHour,
        maxConcurrent.isPresent() ? maxConcurrent : defaults.maxConcurrent);
  }

  /** Fills what is still unset with "no cap". */
  public Effective effective() {
    return new Effective(maxPerDay.orElse(0), maxPerHour.orElse(0), maxConcurrent.orElse(0));
  }

  public boolean isEmpty() {
    return maxPerDay.isEmpty() && maxPerHour.isEmpty() && maxConcurrent.isEmpty();
  }
}
