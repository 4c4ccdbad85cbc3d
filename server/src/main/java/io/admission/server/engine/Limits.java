package io.admission.server.engine;

import java.util.List;

/** The limits of an org, in the one order in which they are checked. */
final class Limits {
  private Limits() {}

  /**
   * The order of checks: login concurrency, then the login's rolling window (both hold); the
   * number's concurrency, then its rolling hour (hold); the org pool (hold); then the org's
   * calling hours, its daily cap and the number's daily cap (deny); and only then is the call
   * counted anywhere.
   *
   * <p>Every rule that holds comes before every rule that denies, so a call is denied only when it
   * could otherwise start right now, and a held call never costs any of the daily allowance. The
   * narrowest limit first — login, then number, then the pool — so that a call blocked by its own
   * seat waits on that seat and never takes a place in the org's queue from another login's call.
   */
  static final List<Limit> ORDER = List.of(
      ConcurrencyWindowLimit.LOGINS,
      ConcurrencyWindowLimit.NUMBERS,
      OrgPoolLimit.INSTANCE,
      CallingHoursLimit.INSTANCE,
      DailyCapLimit.INSTANCE,
      NumberDailyCapLimit.INSTANCE);

  /** The same, as an array: the per-decision loops walk it without an iterator. */
  static final Limit[] ALL = ORDER.toArray(new Limit[0]);

  private static final Limit[] BY_HOLD_REASON = new Limit[HoldReason.values().length];

  static {
    for (Limit limit : ORDER) {
      for (HoldReason reason : limit.holdReasons()) {
        BY_HOLD_REASON[reason.ordinal()] = limit;
      }
    }
  }

  /** The limit whose check holds calls for {@code reason}. */
  static Limit holding(HoldReason reason) {
    return BY_HOLD_REASON[reason.ordinal()];
  }

  /**
   * A fresh value for each limit's {@link OrgSlot}, for a new org. Here, so that every limit in
   * {@link #ORDER} (and with it its slot) is made before the first org.
   */
  static Object[] freshSlots() {
    return OrgSlot.freshValues();
  }
}
