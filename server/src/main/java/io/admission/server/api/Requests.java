package io.admission.server.api;

import com.google.protobuf.Duration;
import com.google.protobuf.FieldMask;
import io.admission.server.engine.CallType;
import io.admission.server.engine.CallingHours;
import io.admission.server.engine.Commands;
import io.admission.server.engine.DailyCap;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.OrgField;
import io.admission.v1.AcquireRequest;
import io.admission.v1.Org;
import io.admission.v1.RampStep;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetReservationRequest;
import io.admission.v1.UpdateOrgRequest;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Translates requests into engine commands, checking every field first. Bad input throws {@link
 * InvalidRequest} naming the field; the engine only ever sees valid values.
 */
public final class Requests {
  private Requests() {}

  static final int MAX_ID_BYTES = 128;
  static final int MAX_RENEW_IDS = 1000;
  static final long MIN_TTL_MILLIS = 1_000;
  static final long MAX_TTL_MILLIS = 7 * 24 * 3_600_000L;
  static final long MAX_WINDOW_MILLIS = 366 * 24 * 3_600_000L;
  static final int MAX_LIMIT = 1_000_000;
  private static final ZoneId UTC = ZoneId.of("UTC");

  public static Commands.Acquire acquire(AcquireRequest r) throws InvalidRequest {
    return new Commands.Acquire(
        id("org_id", r.getOrgId()),
        id("call_id", r.getCallId()),
        optionalId("agent_id", r.getAgentId()),
        callType("call_type", r.getCallTypeValue()),
        optionalId("login_id", r.getLoginId()),
        optionalId("from_number", r.getFromNumber()),
        r.hasLeaseTtl() ? duration("lease_ttl", r.getLeaseTtl(), MIN_TTL_MILLIS, MAX_TTL_MILLIS) : 0,
        r.hasMaxWait() ? duration("max_wait", r.getMaxWait(), 1, MAX_TTL_MILLIS) : 0);
  }

  public static Commands.Release release(ReleaseRequest r) throws InvalidRequest {
    return new Commands.Release(id("org_id", r.getOrgId()), id("call_id", r.getCallId()));
  }

  public static Commands.Renew renew(RenewRequest r) throws InvalidRequest {
    String orgId = id("org_id", r.getOrgId());
    if (r.getCallIdsCount() == 0) {
      throw new InvalidRequest("call_ids", "must name at least one call");
    }
    if (r.getCallIdsCount() > MAX_RENEW_IDS) {
      throw new InvalidRequest("call_ids", "at most " + MAX_RENEW_IDS + " ids per Renew, got "
          + r.getCallIdsCount() + "; split the batch");
    }
    List<String> ids = new ArrayList<>(r.getCallIdsCount());
    for (int i = 0; i < r.getCallIdsCount(); i++) {
      ids.add(id("call_ids[" + i + "]", r.getCallIds(i)));
    }
    long ttl = r.hasLeaseTtl() ? duration("lease_ttl", r.getLeaseTtl(), MIN_TTL_MILLIS, MAX_TTL_MILLIS) : 0;
    return new Commands.Renew(orgId, ids, ttl);
  }

  public static Commands.PutOrg putOrg(Org org, String path) throws InvalidRequest {
    return new Commands.PutOrg(orgConfig(org, path, EnumSet.allOf(OrgField.class)));
  }

  /**
   * UpdateOrg: the mask's fields, validated exactly as PutOrg validates them. The settings the
   * mask does not name are ignored (AIP-134), so they are neither validated nor sent.
   */
  public static Commands.UpdateOrg updateOrg(UpdateOrgRequest r) throws InvalidRequest {
    Set<OrgField> fields = orgFields(r.getUpdateMask());
    if (!r.hasOrg()) {
      throw new InvalidRequest("org", "is required");
    }
    return new Commands.UpdateOrg(orgConfig(r.getOrg(), "org", fields), fields);
  }

  public static Commands.DeleteOrg deleteOrg(String orgId) throws InvalidRequest {
    return new Commands.DeleteOrg(id("org_id", orgId));
  }

  /** UpdateOrg's mask paths: the Org field names, and the fields of its limits messages. */
  private static final Map<String, Set<OrgField>> MASK_PATHS = maskPaths();

  private static Map<String, Set<OrgField>> maskPaths() {
    Map<String, Set<OrgField>> m = new LinkedHashMap<>();
    m.put("concurrency_limit", EnumSet.of(OrgField.CONCURRENCY_LIMIT));
    m.put("daily_cap", EnumSet.of(OrgField.DAILY_CAP));
    m.put("time_zone", EnumSet.of(OrgField.TIME_ZONE));
    m.put("default_lease_ttl", EnumSet.of(OrgField.DEFAULT_LEASE_TTL));
    m.put("login_defaults", EnumSet.of(
        OrgField.LOGIN_MAX_CONCURRENT, OrgField.LOGIN_MAX_PER_WINDOW, OrgField.LOGIN_WINDOW));
    m.put("login_defaults.max_concurrent", EnumSet.of(OrgField.LOGIN_MAX_CONCURRENT));
    m.put("login_defaults.max_per_window", EnumSet.of(OrgField.LOGIN_MAX_PER_WINDOW));
    m.put("login_defaults.window", EnumSet.of(OrgField.LOGIN_WINDOW));
    m.put("number_defaults", EnumSet.of(
        OrgField.NUMBER_MAX_PER_DAY, OrgField.NUMBER_MAX_PER_HOUR, OrgField.NUMBER_MAX_CONCURRENT));
    m.put("number_defaults.max_per_day", EnumSet.of(OrgField.NUMBER_MAX_PER_DAY));
    m.put("number_defaults.max_per_hour", EnumSet.of(OrgField.NUMBER_MAX_PER_HOUR));
    m.put("number_defaults.max_concurrent", EnumSet.of(OrgField.NUMBER_MAX_CONCURRENT));
    m.put("calling_hours", EnumSet.of(OrgField.CALLING_HOURS));
    return Collections.unmodifiableMap(m);
  }

  /** The mask path of one field, as the .proto names it; for messages such as audit's. */
  public static String maskPath(OrgField field) {
    return switch (field) {
      case CONCURRENCY_LIMIT -> "concurrency_limit";
      case DAILY_CAP -> "daily_cap";
      case TIME_ZONE -> "time_zone";
      case DEFAULT_LEASE_TTL -> "default_lease_ttl";
      case LOGIN_MAX_CONCURRENT -> "login_defaults.max_concurrent";
      case LOGIN_MAX_PER_WINDOW -> "login_defaults.max_per_window";
      case LOGIN_WINDOW -> "login_defaults.window";
      case NUMBER_MAX_PER_DAY -> "number_defaults.max_per_day";
      case NUMBER_MAX_PER_HOUR -> "number_defaults.max_per_hour";
      case NUMBER_MAX_CONCURRENT -> "number_defaults.max_concurrent";
      case CALLING_HOURS -> "calling_hours";
    };
  }

  /** The fields an update mask names; "*" alone names them all (AIP-134's full replacement). */
  static Set<OrgField> orgFields(FieldMask mask) throws InvalidRequest {
    if (mask.getPathsCount() == 0) {
      throw new InvalidRequest("update_mask", "is required: name the fields to change, e.g. "
          + "\"concurrency_limit\" (to replace every setting use \"*\" or PutOrg)");
    }
    if (mask.getPathsList().contains("*")) {
      if (mask.getPathsCount() > 1) {
        throw new InvalidRequest("update_mask", "\"*\" replaces every setting and must be the only path");
      }
      return EnumSet.allOf(OrgField.class);
    }
    Set<OrgField> fields = EnumSet.noneOf(OrgField.class);
    for (String path : mask.getPathsList()) {
      Set<OrgField> named = MASK_PATHS.get(path);
      if (named == null) {
        throw new InvalidRequest("update_mask", path.equals("org_id")
            ? "org_id cannot be changed: it names the org (create another org instead)"
            : "unknown path " + quote(path) + "; the paths are " + String.join(", ", MASK_PATHS.keySet())
                + ", or \"*\" alone");
      }
      fields.addAll(named);
    }
    return fields;
  }

  /**
   * An org's settings, checking the {@code fields} that are given; the others get placeholders
   * that mean nothing (see {@link Commands.UpdateOrg}).
   */
  private static OrgConfig orgConfig(Org org, String path, Set<OrgField> fields) throws InvalidRequest {
    String orgId = id(path + ".org_id", org.getOrgId());
    int limit = 0;
    if (fields.contains(OrgField.CONCURRENCY_LIMIT)) {
      limit = org.getConcurrencyLimit();
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new InvalidRequest(path + ".concurrency_limit",
            "must be between 1 and " + MAX_LIMIT + ", got " + Integer.toUnsignedString(limit));
      }
    }
    ZoneId zone = fields.contains(OrgField.TIME_ZONE) ? zone(path + ".time_zone", org.getTimeZone()) : UTC;
    OptionalLong ttl = fields.contains(OrgField.DEFAULT_LEASE_TTL) && org.hasDefaultLeaseTtl()
        ? OptionalLong.of(duration(path + ".default_lease_ttl", org.getDefaultLeaseTtl(), MIN_TTL_MILLIS, MAX_TTL_MILLIS))
        : OptionalLong.empty();
    Optional<DailyCap> cap = fields.contains(OrgField.DAILY_CAP) && org.hasDailyCap()
        ? Optional.of(dailyCap(path + ".daily_cap", org.getDailyCap()))
        : Optional.empty();
    return new OrgConfig(
        orgId, limit, cap, zone, ttl,
        loginLimits(path + ".login_defaults", onlyNamed(org.getLoginDefaults(), fields)),
        numberLimits(path + ".number_defaults", onlyNamed(org.getNumberDefaults(), fields)),
        fields.contains(OrgField.CALLING_HOURS) && org.hasCallingHours()
            ? callingHours(path + ".calling_hours", org.getCallingHours())
            : CallingHours.NONE);
  }

  static final int MAX_CALLING_WINDOWS = 70;

  /** Calling hours: at least one window, each on a weekday, "HH:MM" start before its end. */
  public static CallingHours callingHours(String path, io.admission.v1.CallingHours h)
      throws InvalidRequest {
    if (h.getWindowsCount() == 0) {
      throw new InvalidRequest(path + ".windows",
          "must name at least one window (leave calling_hours unset for calls at any time)");
    }
    if (h.getWindowsCount() > MAX_CALLING_WINDOWS) {
      throw new InvalidRequest(path + ".windows", "at most " + MAX_CALLING_WINDOWS + " windows");
    }
    List<CallingHours.Window> windows = new ArrayList<>();
    for (int i = 0; i < h.getWindowsCount(); i++) {
      io.admission.v1.CallingWindow w = h.getWindows(i);
      String at = path + ".windows[" + i + "]";
      int day = w.getWeekdayValue();
      if (day < 1 || day > 7) {
        throw new InvalidRequest(at + ".weekday", day == 0
            ? "is required: WEEKDAY_MONDAY to WEEKDAY_SUNDAY" : "unknown weekday " + day);
      }
      int start = minuteOfDay(at + ".start", w.getStart(), false);
      int end = minuteOfDay(at + ".end", w.getEnd(), true);
      if (end <= start) {
        throw new InvalidRequest(at + ".end", "must be after start (" + w.getStart() + "), got "
            + quote(w.getEnd()) + "; a window that crosses midnight is two windows, one ending at"
            + " 24:00 and one starting at 00:00 the next day");
      }
      windows.add(new CallingHours.Window(java.time.DayOfWeek.of(day), start, end));
    }
    Set<CallType> restricted = EnumSet.noneOf(CallType.class);
    for (int i = 0; i < h.getRestrictedCallTypesCount(); i++) {
      restricted.add(callType(path + ".restricted_call_types[" + i + "]",
          h.getRestrictedCallTypesValue(i)));
    }
    return new CallingHours(windows, restricted);
  }

  /** "HH:MM" as minutes of the day; "24:00" only as an end. */
  private static int minuteOfDay(String field, String hhmm, boolean end) throws InvalidRequest {
    if (hhmm.matches("[0-2][0-9]:[0-5][0-9]")) {
      int minute = Integer.parseInt(hhmm.substring(0, 2)) * 60 + Integer.parseInt(hhmm.substring(3));
      if (minute < 24 * 60 || (end && minute == 24 * 60)) {
        return minute;
      }
    }
    throw new InvalidRequest(field, "must be a time as \"HH:MM\" from 00:00 to "
        + (end ? "24:00" : "23:59") + ", got " + quote(hhmm));
  }

  private static io.admission.v1.LoginLimits onlyNamed(io.admission.v1.LoginLimits l, Set<OrgField> fields) {
    var b = l.toBuilder();
    if (!fields.contains(OrgField.LOGIN_MAX_CONCURRENT)) {
      b.clearMaxConcurrent();
    }
    if (!fields.contains(OrgField.LOGIN_MAX_PER_WINDOW)) {
      b.clearMaxPerWindow();
    }
    if (!fields.contains(OrgField.LOGIN_WINDOW)) {
      b.clearWindow();
    }
    return b.build();
  }

  private static io.admission.v1.NumberLimits onlyNamed(io.admission.v1.NumberLimits l, Set<OrgField> fields) {
    var b = l.toBuilder();
    if (!fields.contains(OrgField.NUMBER_MAX_PER_DAY)) {
      b.clearMaxPerDay();
    }
    if (!fields.contains(OrgField.NUMBER_MAX_PER_HOUR)) {
      b.clearMaxPerHour();
    }
    if (!fields.contains(OrgField.NUMBER_MAX_CONCURRENT)) {
      b.clearMaxConcurrent();
    }
    return b.build();
  }

  public static Commands.SetReservation setReservation(SetReservationRequest r) throws InvalidRequest {
    return setReservation(r, "");
  }

  public static Commands.SetReservation setReservation(SetReservationRequest r, String orgIdOverride)
      throws InvalidRequest {
    String orgId = orgIdOverride.isEmpty() ? id("org_id", r.getOrgId()) : orgIdOverride;
    if (r.getSlots() > MAX_LIMIT || r.getSlots() < 0) {
      throw new InvalidRequest("slots", "must be between 0 and " + MAX_LIMIT);
    }
    return new Commands.SetReservation(
        orgId, id("agent_id", r.getAgentId()), callType("call_type", r.getCallTypeValue()), r.getSlots());
  }

  public static Commands.RemoveAgent removeAgent(String orgId, String agentId) throws InvalidRequest {
    return new Commands.RemoveAgent(id("org_id", orgId), id("agent_id", agentId));
  }

  public static Commands.SetLoginLimits setLoginLimits(SetLoginLimitsRequest r) throws InvalidRequest {
    return new Commands.SetLoginLimits(
        id("org_id", r.getOrgId()), id("login_id", r.getLoginId()), loginLimits("limits", r.getLimits()));
  }

  public static Commands.SetNumberLimits setNumberLimits(SetNumberLimitsRequest r) throws InvalidRequest {
    return new Commands.SetNumberLimits(
        id("org_id", r.getOrgId()), id("number", r.getNumber()), numberLimits("limits", r.getLimits()));
  }

  // ---- Pieces -----------------------------------------------------------------------------

  public static LoginLimits loginLimits(String path, io.admission.v1.LoginLimits l) throws InvalidRequest {
    return new LoginLimits(
        l.hasMaxConcurrent() ? OptionalInt.of(count(path + ".max_concurrent", l.getMaxConcurrent())) : OptionalInt.empty(),
        l.hasMaxPerWindow() ? OptionalInt.of(count(path + ".max_per_window", l.getMaxPerWindow())) : OptionalInt.empty(),
        l.hasWindow() ? OptionalLong.of(duration(path + ".window", l.getWindow(), 1_000, MAX_WINDOW_MILLIS)) : OptionalLong.empty());
  }

  public static NumberLimits numberLimits(String path, io.admission.v1.NumberLimits l) throws InvalidRequest {
    return new NumberLimits(
        l.hasMaxPerDay() ? OptionalInt.of(count(path + ".max_per_day", l.getMaxPerDay())) : OptionalInt.empty(),
        l.hasMaxPerHour() ? OptionalInt.of(count(path + ".max_per_hour", l.getMaxPerHour())) : OptionalInt.empty(),
        l.hasMaxConcurrent() ? OptionalInt.of(count(path + ".max_concurrent", l.getMaxConcurrent())) : OptionalInt.empty());
  }

  public static DailyCap dailyCap(String path, io.admission.v1.DailyCap d) throws InvalidRequest {
    if (d.getCap() < 1 || d.getCap() > 100_000_000) {
      throw new InvalidRequest(path + ".cap", "must be between 1 and 100000000 (leave daily_cap unset for no cap)");
    }
    List<DailyCap.RampStep> steps = new ArrayList<>();
    int previousDay = 0;
    for (int i = 0; i < d.getRampCount(); i++) {
      RampStep s = d.getRamp(i);
      String at = path + ".ramp[" + i + "]";
      if (s.getThroughDay() <= previousDay || s.getThroughDay() > 100_000) {
        throw new InvalidRequest(at + ".through_day",
            "must be greater than the previous step's (" + previousDay + ") and at most 100000");
      }
      if (s.getCap() < 1 || s.getCap() > 100_000_000) {
        throw new InvalidRequest(at + ".cap", "must be between 1 and 100000000");
      }
      previousDay = s.getThroughDay();
      steps.add(new DailyCap.RampStep(s.getThroughDay(), s.getCap()));
    }
    LocalDate start = null;
    if (!steps.isEmpty() || !d.getStartDate().isEmpty()) {
      try {
        start = LocalDate.parse(d.getStartDate());
      } catch (DateTimeParseException e) {
        throw new InvalidRequest(path + ".start_date",
            "must be a date as YYYY-MM-DD (ramp day 1), got " + quote(d.getStartDate()));
      }
    }
    Set<CallType> counted = EnumSet.noneOf(CallType.class);
    for (int i = 0; i < d.getCountedCallTypesCount(); i++) {
      counted.add(callType(path + ".counted_call_types[" + i + "]", d.getCountedCallTypesValue(i)));
    }
    return new DailyCap(d.getCap(), steps, start, counted);
  }

  public static ZoneId zone(String field, String name) throws InvalidRequest {
    if (name.isEmpty()) {
      return UTC; // reads back as "UTC", not the offset id "Z"
    }
    try {
      return ZoneId.of(name);
    } catch (DateTimeException e) {
      throw new InvalidRequest(field, "must be an IANA time zone such as \"America/New_York\", got "
          + quote(name));
    }
  }

  public static CallType callType(String field, int value) throws InvalidRequest {
    return switch (value) {
      case io.admission.v1.CallType.CALL_TYPE_WEBCALL_VALUE -> CallType.WEBCALL;
      case io.admission.v1.CallType.CALL_TYPE_CHAT_VALUE -> CallType.CHAT;
      case io.admission.v1.CallType.CALL_TYPE_OUTBOUND_VALUE -> CallType.OUTBOUND;
      case io.admission.v1.CallType.CALL_TYPE_INBOUND_VALUE -> CallType.INBOUND;
      case 0 -> throw new InvalidRequest(field,
          "is required: CALL_TYPE_WEBCALL, CALL_TYPE_CHAT, CALL_TYPE_OUTBOUND or CALL_TYPE_INBOUND");
      default -> throw new InvalidRequest(field, "unknown call type " + value);
    };
  }

  public static int count(String field, int value) throws InvalidRequest {
    if (value < 0 || value > 100_000_000) {
      throw new InvalidRequest(field, "must be between 0 (no limit) and 100000000");
    }
    return value;
  }

  public static long duration(String field, Duration d, long minMillis, long maxMillis) throws InvalidRequest {
    if (d.getSeconds() < 0 || d.getNanos() < 0 || d.getNanos() > 999_999_999) {
      throw new InvalidRequest(field, "must be a positive duration");
    }
    if (d.getSeconds() > maxMillis / 1000) {
      throw new InvalidRequest(field, "must be at most " + maxMillis / 1000 + "s");
    }
    long millis = d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
    if (millis < minMillis || millis > maxMillis) {
      throw new InvalidRequest(field, "must be between " + minMillis + "ms and " + maxMillis / 1000 + "s, got " + millis + "ms");
    }
    return millis;
  }

  /** A required id: 1 to 128 bytes of printable text. */
  /** The most of a client's value that an error message repeats. */
  static final int MAX_QUOTED = 64;

  /**
   * A client's value as an error message repeats it: in quotes, and cut after {@link #MAX_QUOTED}
   * characters. The message travels in the status's trailers, which clients bound (8 KiB by
   * default): a 70,000-character time zone repeated whole turned its INVALID_ARGUMENT into a
   * transport error at the client.
   */
  public static String quote(String value) {
    if (value.length() <= MAX_QUOTED) {
      return "\"" + value + "\"";
    }
    int cut = Character.isHighSurrogate(value.charAt(MAX_QUOTED - 1)) ? MAX_QUOTED - 1 : MAX_QUOTED;
    return "\"" + value.substring(0, cut) + "…\" (" + value.length() + " characters)";
  }

  public static String id(String field, String value) throws InvalidRequest {
    if (value.isEmpty()) {
      throw new InvalidRequest(field, "is required");
    }
    return optionalId(field, value);
  }

  /** An optional id: empty, or 1 to 128 bytes of printable text. */
  public static String optionalId(String field, String value) throws InvalidRequest {
    if (value.length() > MAX_ID_BYTES || value.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
      throw new InvalidRequest(field, "must be at most " + MAX_ID_BYTES + " bytes");
    }
    for (int i = 0; i < value.length(); ) {
      int cp = value.codePointAt(i);
      if (!printable(cp)) {
        throw new InvalidRequest(field, String.format(
            "must be printable text; character U+%04X at index %d is not", cp, i));
      }
      i += Character.charCount(cp);
    }
    return value;
  }

  private static boolean printable(int cp) {
    if (Character.isISOControl(cp)) {
      return false;
    }
    return switch (Character.getType(cp)) {
      case Character.FORMAT, Character.UNASSIGNED, Character.SURROGATE, Character.PRIVATE_USE,
          Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> false;
      default -> true;
    };
  }
}
