package io.admission.server.engine;

import java.time.ZoneId;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An org's settings as an operator gave them (PutOrg). Validated by the adapter before they reach
 * the engine; the engine checks only what depends on state (the limit against reservations).
 *
 * @param defaultLeaseTtlMillis TTL for leases whose Acquire sets none; empty means 1 h
 */
public record OrgConfig(
    String orgId,
    int concurrencyLimit,
    Optional<DailyCap> dailyCap,
    ZoneId timeZone,
    OptionalLong defaultLeaseTtlMillis,
    LoginLimits loginDefaults,
    NumberLimits numberDefaults,
    CallingHours callingHours) {

  /** Settings without calling hours. */
  public OrgConfig(String orgId, int concurrencyLimit, Optional<DailyCap> dailyCap, ZoneId timeZone,
      OptionalLong defaultLeaseTtlMillis, LoginLimits loginDefaults, NumberLimits numberDefaults) {
    this(orgId, concurrencyLimit, dailyCap, timeZone, defaultLeaseTtlMillis, loginDefaults,
        numberDefaults, CallingHours.NONE);
  }

  /** Leases without a TTL of their own or their org's live one hour. */
  public static final long FALLBACK_LEASE_TTL_MILLIS = 3_600_000L;

  public long leaseTtlMillis() {
    return defaultLeaseTtlMillis.orElse(FALLBACK_LEASE_TTL_MILLIS);
  }
}
