package io.admission.server.engine;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * An org's calling hours: windows of local time per weekday, in the org's time zone, outside
 * which calls of the restricted types are denied. A window is {@code [start, end)} in minutes of
 * the local day, {@code end} after {@code start} and at most 24:00; a window that would cross
 * midnight is two windows. Local time is the wall clock, so across a daylight-saving change a
 * window opens when the wall clock first reads its start — on a spring-forward day a start that
 * the clock skips opens the window when the clock jumps past it.
 *
 * <p>Whether the org is open is kept with the moment it next changes, so that a decision costs
 * two comparisons and no allocation until that moment; the memo is a pure function of the
 * settings and the time, and never part of equality.
 */
public final class CallingHours {
  /** A window of local time on one weekday: minutes {@code [startMinute, endMinute)}. */
  public record Window(DayOfWeek day, int startMinute, int endMinute) {}

  /**
   * The org's calling hours at a moment: its part of the org's status (none when it has no
   * calling hours).
   *
   * @param changesAt when they next open or close; Long.MAX_VALUE for never
   */
  public record Now(boolean open, long changesAt, Set<CallType> restrictedTypes)
      implements StatusView.Part {}

  /** Outbound calls only, unless the org says otherwise. */
  public static final Set<CallType> DEFAULT_RESTRICTED = EnumSet.of(CallType.OUTBOUND);

  /** No calling hours: no call is restricted. */
  public static final CallingHours NONE = new CallingHours(List.of(), Set.of());

  private static final long DAY_MILLIS = 86_400_000L;

  private final List<Window> windows;
  private final Set<CallType> restrictedTypes;

  // The memo: open (or not) from cachedFrom until cachedUntil, in cachedZone.
  private ZoneId cachedZone;
  private long cachedFrom = Long.MAX_VALUE;
  private long cachedUntil = Long.MIN_VALUE;
  private boolean cachedOpen;

  /** {@code restrictedTypes} empty means outbound only; windows are kept by day, then start. */
  public CallingHours(List<Window> windows, Set<CallType> restrictedTypes) {
    List<Window> sorted = new ArrayList<>(windows);
    sorted.sort(Comparator.comparing(Window::day).thenComparingInt(Window::startMinute)
        .thenComparingInt(Window::endMinute));
    this.windows = List.copyOf(sorted);
    this.restrictedTypes = Set.copyOf(
        restrictedTypes.isEmpty() ? DEFAULT_RESTRICTED : EnumSet.copyOf(restrictedTypes));
  }

  public List<Window> windows() {
    return windows;
  }

  public Set<CallType> restrictedTypes() {
    return restrictedTypes;
  }

  /** No windows: calling hours are not set, and nothing is restricted. */
  public boolean isEmpty() {
    return windows.isEmpty();
  }

  public boolean restricts(CallType type) {
    return !windows.isEmpty() && restrictedTypes.contains(type);
  }

  /** Whether restricted calls may start at {@code at}. */
  public boolean open(long at, ZoneId zone) {
    remember(at, zone);
    return cachedOpen;
  }

  /** The next moment after {@code at} when {@link #open} changes, or Long.MAX_VALUE for never. */
  public long changesAt(long at, ZoneId zone) {
    remember(at, zone);
    return cachedUntil;
  }

  private void remember(long at, ZoneId zone) {
    if (at >= cachedFrom && at < cachedUntil && zone.equals(cachedZone)) {
      return;
    }
    cachedOpen = openAt(at, zone);
    cachedUntil = nextChange(at, zone, cachedOpen);
    cachedFrom = at;
    cachedZone = zone;
  }

  /** Whether the wall clock of {@code zone} at {@code at} is inside a window. */
  boolean openAt(long at, ZoneId zone) {
    LocalDateTime local = LocalDateTime.ofInstant(Instant.ofEpochMilli(at), zone);
    int minute = local.getHour() * 60 + local.getMinute();
    for (Window w : windows) {
      if (w.day() == local.getDayOfWeek() && w.startMinute() <= minute && minute < w.endMinute()) {
        return true;
      }
    }
    return false;
  }

  /**
   * The first moment after {@code at} whose openness is not {@code openNow}. Openness changes
   * only where the wall clock reaches a window's start or end, or where it jumps (a time-zone
   * transition); those moments over the next nine local days are the candidates, and the
   * earliest one that differs is the answer. Runs only when the memo runs out.
   */
  private long nextChange(long at, ZoneId zone, boolean openNow) {
    if (windows.isEmpty()) {
      return Long.MAX_VALUE;
    }
    ZoneRules rules = zone.getRules();
    LocalDate today = LocalDate.ofInstant(Instant.ofEpochMilli(at), zone);
    List<Long> candidates = new ArrayList<>();
    for (LocalDate d = today.minusDays(1); !d.isAfter(today.plusDays(8)); d = d.plusDays(1)) {
      for (Window w : windows) {
        if (w.day() == d.getDayOfWeek()) {
          wallClock(d, w.startMinute(), rules, candidates);
          wallClock(d, w.endMinute(), rules, candidates);
        }
      }
    }
    Instant from = Instant.ofEpochMilli(at);
    ZoneOffsetTransition t = rules.nextTransition(from);
    while (t != null && t.getInstant().toEpochMilli() <= at + 10 * DAY_MILLIS) {
      candidates.add(t.getInstant().toEpochMilli());
      t = rules.nextTransition(t.getInstant());
    }
    long best = Long.MAX_VALUE;
    for (long c : candidates) {
      if (c > at && c < best && openAt(c, zone) != openNow) {
        best = c;
      }
    }
    return best;
  }

  /**
   * The moments the wall clock reads {@code minute} on local day {@code d}: twice in a
   * fall-back overlap, and, in a spring-forward gap, the moment the clock jumps past it.
   */
  private static void wallClock(LocalDate d, int minute, ZoneRules rules, List<Long> out) {
    LocalDateTime local = minute >= 24 * 60
        ? d.plusDays(1).atStartOfDay()
        : d.atTime(minute / 60, minute % 60);
    ZoneOffsetTransition gap = rules.getTransition(local);
    if (gap != null && gap.isGap()) {
      out.add(gap.getInstant().toEpochMilli());
      return;
    }
    for (var offset : rules.getValidOffsets(local)) {
      out.add(local.toInstant(offset).toEpochMilli());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CallingHours h
        && windows.equals(h.windows) && restrictedTypes.equals(h.restrictedTypes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(windows, restrictedTypes);
  }

  @Override
  public String toString() {
    return "CallingHours" + windows + " for " + restrictedTypes;
  }
}
