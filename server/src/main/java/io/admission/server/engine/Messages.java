package io.admission.server.engine;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The words a person at a dialer reads: what happened and when it clears. One place, so that
 * every hold and denial speaks the same way. Times are given in UTC, which every switch log uses.
 */
final class Messages {
  private Messages() {}

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter DATE_CLOCK =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);
  private static final long DAY_MILLIS = 86_400_000L;

  static String loginConcurrency(String login, int active, int max) {
    return "held: login " + login + " has " + active + "/" + max
        + " calls active; it starts when one ends";
  }

  static String loginRate(String login, int max, long windowMillis, long readyAt, long now) {
    return "held: login " + login + " started " + max + " calls in the last "
        + window(windowMillis) + "; room at " + time(readyAt, now);
  }

  static String numberConcurrency(String number, int active, int max) {
    return "held: number " + number + " has " + active + "/" + max
        + " calls active; it starts when one ends";
  }

  static String numberRate(String number, int max, long readyAt, long now) {
    return "held: number " + number + " started " + max
        + " calls in the last hour; room at " + time(readyAt, now);
  }

  static String poolFull(String orgId, Pool pool, Pool.Pair pair) {
    String shared = pool.sharedCapacity() <= 0
        ? "org " + orgId + " has no shared slots (all " + pool.limit + " are reserved)"
        : "all " + pool.sharedCapacity() + " shared slots of org " + orgId + " are in use";
    String own = pair.reserved > 0
        ? "agent " + pair.agent.id + "'s " + pair.reserved + " reserved "
            + pair.type.name().toLowerCase(Locale.ROOT) + " slots are full and "
        : "";
    return "held: " + own + shared + "; it starts when a slot frees";
  }

  static String dailyCap(String orgId, int capToday, DailyCap cap, OrgState.Day day, ZoneId zone) {
    int rampDay = cap.rampDay(day.date());
    String step = rampDay > 0 && capToday != cap.cap() ? " (warm-up day " + rampDay + ")" : "";
    return "denied: org " + orgId + " reached its daily cap of " + capToday + " calls" + step
        + "; it resets at midnight " + zone.getId() + ", " + DATE_CLOCK.format(Instant.ofEpochMilli(day.endsAt()));
  }

  static String numberDailyCap(String number, int max, OrgState.Day day, ZoneId zone) {
    return "denied: number " + number + " reached its cap of " + max
        + " calls today; it resets at midnight " + zone.getId() + ", "
        + DATE_CLOCK.format(Instant.ofEpochMilli(day.endsAt()));
  }

  static String waitExpired(long maxWaitMillis) {
    return "not started: max_wait of " + window(maxWaitMillis)
        + " passed before a slot freed; place the call again if still wanted";
  }

  static String cancelled() {
    return "not started: the call was released while held";
  }

  static String ended(String callId, EndReason reason, long endedAt) {
    return "call " + callId + " was " + reason.words() + " at "
        + DATE_CLOCK.format(Instant.ofEpochMilli(endedAt))
        + "; a call_id is never granted twice: use a new call_id";
  }

  /** The Compliance Monitor line: {@code Active now: 1/2 concurrent · Last hour: 132/250}. */
  static String monitorLine(int active, int maxConcurrent, int lastWindow, int maxPerWindow, long windowMillis) {
    String w = window(windowMillis);
    String last = w.equals("hour") ? "Last hour" : "Last " + w;
    return "Active now: " + active + (maxConcurrent > 0 ? "/" + maxConcurrent : "")
        + " concurrent · " + last + ": " + lastWindow + (maxPerWindow > 0 ? "/" + maxPerWindow : "");
  }

  /** "hour" for 1 h, else "15 min", "2 h", "30 s", "1500 ms". */
  static String window(long millis) {
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

  /** A clock time, with the date when it is not today (UTC). */
  static String time(long at, long now) {
    Instant instant = Instant.ofEpochMilli(at);
    return Math.floorDiv(at, DAY_MILLIS) == Math.floorDiv(now, DAY_MILLIS)
        ? CLOCK.format(instant)
        : DATE_CLOCK.format(instant);
  }
}
