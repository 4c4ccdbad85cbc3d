package io.admission.server.audit;

import io.admission.server.engine.DailyCap;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.OrgField;
import io.admission.server.api.Requests;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Says in words what an UpdateOrg changed, field by field ("concurrency_limit 10 → 20"), for the
 * audit event's message. The event's {@code org} carries every setting after the change; this
 * line is what an operator reads to see the before.
 *
 * <p>Pure; used on the audit writer thread.
 */
final class OrgChanges {
  private OrgChanges() {}

  static String describe(OrgConfig before, OrgConfig after, Set<OrgField> named) {
    List<String> changes = new ArrayList<>();
    for (OrgField f : named) { // an EnumSet: declaration order, stable
      String was = value(f, before);
      String now = value(f, after);
      if (!was.equals(now)) {
        changes.add(Requests.maskPath(f) + " " + was + " → " + now);
      }
    }
    String fields = named.stream().map(Requests::maskPath).collect(Collectors.joining(", "));
    return changes.isEmpty()
        ? "updated " + fields + ": nothing changed"
        : "updated: " + String.join("; ", changes);
  }

  private static String value(OrgField f, OrgConfig c) {
    return switch (f) {
      case CONCURRENCY_LIMIT -> String.valueOf(c.concurrencyLimit());
      case DAILY_CAP -> c.dailyCap().map(OrgChanges::cap).orElse("none");
      case TIME_ZONE -> c.timeZone().getId();
      case DEFAULT_LEASE_TTL -> c.defaultLeaseTtlMillis().isPresent()
          ? c.defaultLeaseTtlMillis().getAsLong() / 1000.0 + " s" : "unset (1 h)";
      case LOGIN_MAX_CONCURRENT -> count(c.loginDefaults().maxConcurrent());
      case LOGIN_MAX_PER_WINDOW -> count(c.loginDefaults().maxPerWindow());
      case LOGIN_WINDOW -> millis(c.loginDefaults().windowMillis());
      case NUMBER_MAX_PER_DAY -> count(c.numberDefaults().maxPerDay());
      case NUMBER_MAX_PER_HOUR -> count(c.numberDefaults().maxPerHour());
      case NUMBER_MAX_CONCURRENT -> count(c.numberDefaults().maxConcurrent());
      case CALLING_HOURS -> c.callingHours().isEmpty() ? "none"
          : io.admission.server.api.Sentences.hours(c.callingHours(), c.timeZone().getId());
    };
  }

  private static String cap(DailyCap d) {
    String ramp = d.ramp().stream()
        .map(s -> "days ≤" + s.throughDay() + ": " + s.cap())
        .collect(Collectors.joining(", "));
    return d.cap() + (ramp.isEmpty() ? "" : " (ramp from " + d.startDate() + ": " + ramp + ")")
        + " counting " + d.countedTypes().stream().map(Enum::name).sorted()
            .collect(Collectors.joining("+")).toLowerCase(java.util.Locale.ROOT);
  }

  private static String count(OptionalInt v) {
    return v.isEmpty() ? "inherited" : v.getAsInt() == 0 ? "off" : String.valueOf(v.getAsInt());
  }

  private static String millis(OptionalLong v) {
    return v.isEmpty() ? "inherited" : v.getAsLong() / 1000.0 + " s";
  }
}
