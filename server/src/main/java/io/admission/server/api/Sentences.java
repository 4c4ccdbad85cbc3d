package io.admission.server.api;

import io.admission.server.engine.CallType;
import io.admission.server.engine.CallingHours;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.Results;
import io.admission.server.engine.StatusView;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The words a person at a dialer reads: what happened and when it clears. The engine answers with
 * reasons, numbers and times ({@link Results.Figures}); this is the one place that puts them in
 * words, so that every hold, denial and monitor line speaks the same way in the API, the audit log
 * and the web page. Times are given in UTC, which every switch log uses.
 */
public final class Sentences {
  private Sentences() {}

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DATE_CLOCK =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);
  private static final long DAY_MILLIS = 86_400_000L;

  /** Why a call waits, e.g. "held: login alice has 2/2 calls active; it starts when one ends". */
  public static String hold(Results.Hold h) {
    Results.Figures f = h.figures();
    long readyAt = h.readyAt().orElse(-1);
    return switch (h.reason()) {
      case LOGIN_CONCURRENCY -> "held: login " + f.subject() + " has " + f.inUse() + "/"
          + f.limit() + " calls active; it starts when one ends";
      case LOGIN_RATE -> "held: login " + f.subject() + " started " + f.limit()
          + " calls in the last " + window(f.windowMillis()) + "; room at "
          + time(readyAt, f.decidedAt());
      case NUMBER_CONCURRENCY -> "held: number " + f.subject() + " has " + f.inUse() + "/"
          + f.limit() + " calls active; it starts when one ends";
      case NUMBER_RATE -> "held: number " + f.subject() + " started " + f.limit()
          + " calls in the last hour; room at " + time(readyAt, f.decidedAt());
      case ORG_POOL_FULL -> poolFull(f);
    };
  }

  private static String poolFull(Results.Figures f) {
    String shared = f.limit() <= 0
        ? "org " + f.subject() + " has no shared slots (all " + f.orgLimit() + " are reserved)"
        : "all " + f.limit() + " shared slots of org " + f.subject() + " are in use";
    String own = f.reserved() > 0
        ? "agent " + f.agentId() + "'s " + f.reserved() + " reserved "
            + f.callType().name().toLowerCase(Locale.ROOT) + " slots are full and "
        : "";
    return "held: " + own + shared + "; it starts when a slot frees";
  }

  /** Why a call may not start and when it may, e.g. "denied: org acme reached its daily cap ...". */
  public static String denial(Results.Denial d) {
    Results.Figures f = d.figures();
    return switch (d.reason()) {
      case DAILY_CAP -> {
        String step = f.rampDay() > 0 && f.limit() != f.fullCap()
            ? " (warm-up day " + f.rampDay() + ")" : "";
        yield "denied: org " + f.subject() + " reached its daily cap of " + f.limit() + " calls"
            + step + "; it resets at midnight " + f.zone() + ", " + dateTime(d.retryAt());
      }
      case NUMBER_DAILY_CAP -> "denied: number " + f.subject() + " reached its cap of "
          + f.limit() + " calls today; it resets at midnight " + f.zone() + ", "
          + dateTime(d.retryAt());
      case CALLING_HOURS -> "denied: org " + f.subject() + " takes "
          + types(f.callingHours().restrictedTypes()) + " calls only "
          + hours(f.callingHours(), f.zone()) + "; it opens again at " + dateTime(d.retryAt());
    };
  }

  /** "outbound", "outbound and inbound", "webcall, chat and outbound", in enum order. */
  private static String types(Set<CallType> types) {
    List<String> names = new ArrayList<>();
    for (CallType t : CallType.values()) {
      if (types.contains(t)) {
        names.add(t.name().toLowerCase(Locale.ROOT));
      }
    }
    return names.size() == 1 ? names.get(0)
        : String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
  }

  /**
   * "between 09:00 and 20:00 (Europe/Paris) on weekdays" when every window has the same hours,
   * else "in its calling hours (Mon–Fri 09:00–20:00, Sat 10:00–14:00, Europe/Paris)".
   */
  public static String hours(CallingHours h, String zone) {
    Map<String, EnumSet<DayOfWeek>> byHours = new LinkedHashMap<>();
    for (CallingHours.Window w : h.windows()) {
      byHours.computeIfAbsent(clock(w.startMinute()) + "–" + clock(w.endMinute()),
          k -> EnumSet.noneOf(DayOfWeek.class)).add(w.day());
    }
    if (byHours.size() == 1) {
      CallingHours.Window w = h.windows().get(0);
      return "between " + clock(w.startMinute()) + " and " + clock(w.endMinute()) + " (" + zone
          + ") " + days(byHours.values().iterator().next());
    }
    List<String> parts = new ArrayList<>();
    byHours.forEach((span, days) -> parts.add(dayNames(days) + " " + span));
    return "in its calling hours (" + String.join(", ", parts) + ", " + zone + ")";
  }

  private static String days(EnumSet<DayOfWeek> days) {
    if (days.size() == 7) {
      return "every day";
    }
    if (days.equals(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY))) {
      return "on weekdays";
    }
    if (days.equals(EnumSet.of(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY))) {
      return "on weekends";
    }
    return "on " + dayNames(days);
  }

  /** "Mon–Fri", "Mon, Wed, Fri", "Sat": runs of three or more days as a range. */
  private static String dayNames(EnumSet<DayOfWeek> days) {
    List<String> out = new ArrayList<>();
    List<DayOfWeek> run = new ArrayList<>();
    for (DayOfWeek d : DayOfWeek.values()) {
      if (days.contains(d)) {
        run.add(d);
      }
      if (!days.contains(d) || d == DayOfWeek.SUNDAY) {
        if (run.size() >= 3) {
          out.add(shortName(run.get(0)) + "–" + shortName(run.get(run.size() - 1)));
        } else {
          run.forEach(r -> out.add(shortName(r)));
        }
        run.clear();
      }
    }
    return String.join(", ", out);
  }

  private static String shortName(DayOfWeek d) {
    return d.getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
  }

  /** Minutes of the day as "HH:MM"; 1440 is "24:00". */
  public static String clock(int minute) {
    return String.format(Locale.ROOT, "%02d:%02d", minute / 60, minute % 60);
  }

  /** How a call ended, as its terminal event tells it. */
  public static String ended(Results.Ended e) {
    return switch (e.reason()) {
      case DENIED -> denial(e.denial());
      case WAIT_EXPIRED -> "not started: max_wait of " + window(e.maxWaitMillis())
          + " passed before a slot freed; place the call again if still wanted";
      case CANCELLED -> "not started: the call was released while held";
      default -> "call " + e.callId() + " was " + words(e.reason()) + " at "
          + dateTime(e.endedAt()) + "; a call_id is never granted twice: use a new call_id";
    };
  }

  /** How an end reads in a sentence: "call c-1 was {words} at ...". */
  public static String words(EndReason reason) {
    return switch (reason) {
      case RELEASED -> "released";
      case EXPIRED -> "expired (lease not renewed)";
      case CANCELLED -> "cancelled while held";
      case DENIED -> "denied";
      case WAIT_EXPIRED -> "expired while held (max_wait passed)";
    };
  }

  /** The Compliance Monitor line: {@code Active now: 1/2 concurrent · Last hour: 132/250}. */
  public static String monitorLine(StatusView.LoginLine l) {
    String w = window(l.windowMillis());
    String last = w.equals("hour") ? "Last hour" : "Last " + w;
    return "Active now: " + l.active() + (l.maxConcurrent() > 0 ? "/" + l.maxConcurrent() : "")
        + " concurrent · " + last + ": " + l.lastWindow()
        + (l.maxPerWindow() > 0 ? "/" + l.maxPerWindow() : "");
  }

  /** "hour" for 1 h, else "15 min", "2 h", "30 s", "1500 ms". */
  public static String window(long millis) {
    if (millis == 3_600_000L) {
      return "hour";
    }
    if (millis % 3_600_000L == 0) {
      return millis / 3_600_000L + " h";
    }
    if (millis % 60_000L == 0) {
      return millis / 60_000L + " min";
    }
    if (millis % 1000L == 0) {
      return millis / 1000L + " s";
    }
    return millis + " ms";
  }

  /** A clock time, with the date when it is not the day of {@code now} (UTC). */
  static String time(long at, long now) {
    return Math.floorDiv(at, DAY_MILLIS) == Math.floorDiv(now, DAY_MILLIS)
        ? CLOCK.format(Instant.ofEpochMilli(at))
        : dateTime(at);
  }

  static String dateTime(long at) {
    return DATE_CLOCK.format(Instant.ofEpochMilli(at));
  }
}
