package io.admission.server.engine;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The org's daily (warm-up) cap: how many counted calls may start per local day. During warm-up
 * the cap steps up by day: ramp day N (the start date is day 1) uses the first step whose {@code
 * throughDay} ≥ N, and {@code cap} after the last step. Before the start date the first step
 * applies: a ramp never allows more than it would on day 1.
 *
 * @param countedTypes call types that count; by default only outbound calls
 */
public record DailyCap(int cap, List<RampStep> ramp, LocalDate startDate, Set<CallType> countedTypes) {

  /** "days 1–7: 50" is {@code new RampStep(7, 50)}. */
  public record RampStep(int throughDay, int cap) {}

  public static final Set<CallType> DEFAULT_COUNTED = EnumSet.of(CallType.OUTBOUND);

  public DailyCap {
    ramp = List.copyOf(ramp);
    countedTypes = countedTypes.isEmpty() ? DEFAULT_COUNTED : Set.copyOf(countedTypes);
  }

  /** 1-based warm-up day of {@code day}, or 0 when there is no ramp. */
  public int rampDay(LocalDate day) {
    if (ramp.isEmpty()) {
      return 0;
    }
    return (int) Math.max(1, ChronoUnit.DAYS.between(startDate, day) + 1);
  }

  /** The cap in force on local day {@code day}. */
  public int capOn(LocalDate day) {
    int rampDay = rampDay(day);
    for (RampStep step : ramp) { // a handful of steps at most; validated ascending
      if (rampDay <= step.throughDay()) {
        return step.cap();
      }
    }
    return cap;
  }

  public boolean counts(CallType type) {
    return countedTypes.contains(type);
  }
}
