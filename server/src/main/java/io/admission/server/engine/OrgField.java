package io.admission.server.engine;

import java.util.Set;

/**
 * The settings of an org that an UpdateOrg can change one by one. The limits messages are split
 * into their fields, so that changing one login or number default keeps the others; replacing a
 * whole limits message is naming all of its fields. The daily cap is one field: its cap, ramp and
 * start date are only valid together.
 */
public enum OrgField {
  CONCURRENCY_LIMIT,
  DAILY_CAP,
  TIME_ZONE,
  DEFAULT_LEASE_TTL,
  LOGIN_MAX_CONCURRENT,
  LOGIN_MAX_PER_WINDOW,
  LOGIN_WINDOW,
  NUMBER_MAX_PER_DAY,
  NUMBER_MAX_PER_HOUR,
  NUMBER_MAX_CONCURRENT,
  CALLING_HOURS;

  /** The fields of {@code current} named in {@code fields} replaced by those of {@code values}. */
  static OrgConfig merge(OrgConfig current, OrgConfig values, Set<OrgField> fields) {
    LoginLimits cl = current.loginDefaults();
    LoginLimits vl = values.loginDefaults();
    NumberLimits cn = current.numberDefaults();
    NumberLimits vn = values.numberDefaults();
    return new OrgConfig(
        current.orgId(),
        fields.contains(CONCURRENCY_LIMIT) ? values.concurrencyLimit() : current.concurrencyLimit(),
        pick(fields, DAILY_CAP, current.dailyCap(), values.dailyCap()),
        pick(fields, TIME_ZONE, current.timeZone(), values.timeZone()),
        pick(fields, DEFAULT_LEASE_TTL, current.defaultLeaseTtlMillis(), values.defaultLeaseTtlMillis()),
        new LoginLimits(
            pick(fields, LOGIN_MAX_CONCURRENT, cl.maxConcurrent(), vl.maxConcurrent()),
            pick(fields, LOGIN_MAX_PER_WINDOW, cl.maxPerWindow(), vl.maxPerWindow()),
            pick(fields, LOGIN_WINDOW, cl.windowMillis(), vl.windowMillis())),
        new NumberLimits(
            pick(fields, NUMBER_MAX_PER_DAY, cn.maxPerDay(), vn.maxPerDay()),
            pick(fields, NUMBER_MAX_PER_HOUR, cn.maxPerHour(), vn.maxPerHour()),
            pick(fields, NUMBER_MAX_CONCURRENT, cn.maxConcurrent(), vn.maxConcurrent())),
        pick(fields, CALLING_HOURS, current.callingHours(), values.callingHours()));
  }

  private static <T> T pick(Set<OrgField> fields, OrgField field, T current, T value) {
    return fields.contains(field) ? value : current;
  }
}
