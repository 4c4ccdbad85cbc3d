package io.admission.server.grpc;

import com.google.protobuf.Duration;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Timestamp;
import io.admission.v1.AcquireRequest;
import io.admission.v1.CallingHours;
import io.admission.v1.CallingWindow;
import io.admission.v1.DailyCap;
import io.admission.v1.LoginLimits;
import io.admission.v1.NumberLimits;
import io.admission.v1.Org;
import io.admission.v1.RampStep;
import java.util.List;
import java.util.Random;

/**
 * Random request fields for {@link HostileRequestsFuzzTest}: mostly values from small pools (so
 * that requests meet the same orgs, calls, agents and logins again), the rest hostile — empty,
 * just over and just under the bounds, huge, unicode edge cases (lone surrogates, NUL, right-to-left
 * marks, four-byte characters), negative and enormous durations and timestamps, unknown enum numbers.
 */
final class HostileRequests {
  private final Random random;

  HostileRequests(Random random) {
    this.random = random;
  }

  static final List<String> ORGS = List.of("acme", "beta");
  static final String VAULT = "vault";
  static final String GHOST = "ghost";
  private static final String[] AGENTS = {"", "", "a1", "a2", "a3"};
  private static final String[] LOGINS = {"", "", "l1", "l2"};
  private static final String[] NUMBERS = {"", "", "", "+15550001", "+15550002"};
  private static final int CALL_POOL = 24;

  /** Strings that have broken servers: each is valid or refused naming its field, never a crash. */
  private static final String[] EDGES = {
      "", " ", "\u0000", "\uD800", "\uDFFF\uD800", "\uFFFF", "\u202Eevil", "e\u0301", "😀".repeat(32),
      "😀".repeat(33), "é".repeat(64), "é".repeat(65), "x".repeat(128), "x".repeat(129),
      "%s%n%x", "${jndi:ldap://x}", "../../etc/passwd", "a\nb", "\t", "null", "-1", "\u3000",
      "\uFEFF", "Ω".repeat(10_000), "y".repeat(70_000)};

  boolean chance(int percent) {
    return random.nextInt(100) < percent;
  }

  <T> T pick(List<T> values) {
    return values.get(random.nextInt(values.size()));
  }

  private String pick(String[] values) {
    return values[random.nextInt(values.length)];
  }

  String edge() {
    return pick(EDGES);
  }

  String callId() {
    return chance(95) ? "c" + random.nextInt(CALL_POOL) : edge();
  }

  String agent() {
    return chance(95) ? pick(AGENTS) : edge();
  }

  String login() {
    return chance(95) ? pick(LOGINS) : edge();
  }

  String number() {
    return chance(95) ? pick(NUMBERS) : edge();
  }

  /** A call type's wire number: mostly known ones, sometimes unspecified or unknown. */
  int callType() {
    if (chance(92)) {
      return 1 + random.nextInt(4);
    }
    int[] odd = {0, 5, 99, -1, Integer.MAX_VALUE, Integer.MIN_VALUE};
    return odd[random.nextInt(odd.length)];
  }

  /** A count: small, zero, at the bounds, or enormous as uint32 (negative as Java int). */
  int count(int usual) {
    if (chance(85)) {
      return random.nextInt(usual + 1);
    }
    int[] odd = {0, 1_000_000, 1_000_001, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 65_536};
    return odd[random.nextInt(odd.length)];
  }

  /** A duration: sane, zero, negative, mixed-sign, nanos out of range, enormous. */
  Duration duration(long usualMillis) {
    if (chance(75)) {
      long ms = 1_000 + (long) (random.nextDouble() * usualMillis);
      return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
    }
    long[][] odd = {
        {0, 0}, {0, 1}, {-1, 0}, {-5, -999_999_999}, {1, -1}, {-1, 1}, {0, 1_000_000_000},
        {0, -1_000_000_000}, {Long.MAX_VALUE, 999_999_999}, {Long.MIN_VALUE, -999_999_999},
        {315_576_000_000L, 0}, {315_576_000_001L, 0}, {604_800, 0}, {604_800, 1}, {0, 999_999},
        {9_223_372_036_854_775L, 807_000_000}};
    long[] d = odd[random.nextInt(odd.length)];
    return Duration.newBuilder().setSeconds(d[0]).setNanos((int) d[1]).build();
  }

  Timestamp timestamp() {
    long[] seconds = {0, -1, Long.MIN_VALUE, Long.MAX_VALUE, 253_402_300_800L, -62_135_596_801L,
        1_772_546_825L};
    return Timestamp.newBuilder().setSeconds(seconds[random.nextInt(seconds.length)])
        .setNanos(chance(80) ? 0 : random.nextInt()).build();
  }

  /**
   * Mostly a call whose parameters follow from its id, so that a retry is a retry (granted or held
   * again, not ALREADY_EXISTS) and calls pile up until they are held; otherwise anything.
   */
  AcquireRequest.Builder acquire(String orgId) {
    if (chance(75)) {
      String callId = callId();
      Random own = new Random(callId.hashCode());
      AcquireRequest.Builder b = AcquireRequest.newBuilder().setOrgId(orgId).setCallId(callId)
          .setAgentId(AGENTS[own.nextInt(AGENTS.length)]).setCallTypeValue(1 + own.nextInt(4))
          .setLoginId(LOGINS[own.nextInt(LOGINS.length)])
          .setFromNumber(NUMBERS[own.nextInt(NUMBERS.length)]);
      if (own.nextInt(3) == 0) {
        b.setLeaseTtl(Duration.newBuilder().setSeconds(5 + own.nextInt(3_600)));
      }
      if (own.nextInt(4) == 0) {
        b.setMaxWait(Duration.newBuilder().setSeconds(1 + own.nextInt(900)));
      }
      return b;
    }
    AcquireRequest.Builder b = AcquireRequest.newBuilder()
        .setOrgId(orgId).setCallId(callId()).setAgentId(agent()).setCallTypeValue(callType())
        .setLoginId(login()).setFromNumber(number());
    if (chance(30)) {
      b.setLeaseTtl(duration(3_600_000));
    }
    if (chance(20)) {
      b.setMaxWait(duration(600_000));
    }
    return b;
  }

  Org org(String orgId) {
    Org.Builder b = Org.newBuilder().setOrgId(orgId).setConcurrencyLimit(count(8));
    if (chance(20)) {
      DailyCap.Builder cap = DailyCap.newBuilder().setCap(count(200));
      if (chance(30)) {
        cap.addRamp(RampStep.newBuilder().setThroughDay(count(5)).setCap(count(50)))
            .setStartDate(chance(70) ? "2026-03-01" : edge());
      }
      if (chance(30)) {
        cap.addCountedCallTypesValue(callType());
      }
      b.setDailyCap(cap);
    }
    if (chance(15)) {
      b.setTimeZone(chance(60) ? pick(new String[] {"UTC", "America/New_York", "Asia/Kolkata"}) : edge());
    }
    if (chance(20)) {
      b.setDefaultLeaseTtl(duration(3_600_000));
    }
    if (chance(25)) {
      b.setLoginDefaults(loginLimits());
    }
    if (chance(15)) {
      b.setNumberDefaults(numberLimits());
    }
    if (chance(5)) {
      b.setCallingHours(CallingHours.newBuilder()
          .addWindows(CallingWindow.newBuilder().setWeekdayValue(random.nextInt(10) - 1)
              .setStart(chance(70) ? "09:00" : edge()).setEnd(chance(70) ? "17:00" : edge()))
          .addRestrictedCallTypesValue(callType()));
    }
    return b.build();
  }

  LoginLimits loginLimits() {
    LoginLimits.Builder b = LoginLimits.newBuilder();
    if (chance(60)) {
      b.setMaxConcurrent(count(4));
    }
    if (chance(40)) {
      b.setMaxPerWindow(count(20));
    }
    if (chance(40)) {
      b.setWindow(duration(3_600_000));
    }
    return b.build();
  }

  NumberLimits numberLimits() {
    NumberLimits.Builder b = NumberLimits.newBuilder();
    if (chance(50)) {
      b.setMaxPerDay(count(30));
    }
    if (chance(50)) {
      b.setMaxPerHour(count(10));
    }
    if (chance(50)) {
      b.setMaxConcurrent(count(3));
    }
    return b.build();
  }

  FieldMask mask() {
    String[] paths = {"concurrency_limit", "daily_cap", "time_zone", "default_lease_ttl",
        "login_defaults", "login_defaults.window", "number_defaults.max_per_day", "calling_hours",
        "org_id", "nope", "", "login_defaults.", "concurrency_limit.x", "ÿ", edge()};
    FieldMask.Builder b = FieldMask.newBuilder();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      b.addPaths(pick(paths));
    }
    return b.build();
  }

  byte[] bytes() {
    int n = chance(90) ? random.nextInt(64) : random.nextInt(20_000);
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
