package io.admission.server.engine;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Per-login (seat) limits as configured. An empty field inherits (login override, then the org's
 * login_defaults, then the product default of 2 concurrent and 250 per rolling hour); it never
 * means zero. An explicit 0 switches that limit off.
 */
public record LoginLimits(
    OptionalInt maxConcurrent, OptionalInt maxPerWindow, OptionalLong windowMillis) {

  /** The per-login limits of the product: 2 at a time, 250 per rolling hour. */
  public static final Effective PRODUCT_DEFAULT = new Effective(2, 250, 3_600_000L);

  public static final LoginLimits INHERIT =
      new LoginLimits(OptionalInt.empty(), OptionalInt.empty(), OptionalLong.empty());

  /** The limits in force; 0 means no limit. */
  public record Effective(int maxConcurrent, int maxPerWindow, long windowMillis) {}

  /** This override on top of {@code defaults}; each field falls through independently. */
  public LoginLimits over(LoginLimits defaults) {
    return new LoginLimits(
        maxConcurrent.isPresent() ? maxConcurrent : defaults.maxConcurrent,
        maxPerWindow.isPresent() ? maxPerWindow : defaults.maxPerWindow,
        windowMillis.isPresent() ? windowMillis : defaults.windowMillis);
  }

  /** Fills what is still unset from the product default. */
  public Effective effective() {
    return new Effective(
        maxConcurrent.orElse(PRODUCT_DEFAULT.maxConcurrent()),
        maxPerWindow.orElse(PRODUCT_DEFAULT.maxPerWindow()),
        windowMillis.orElse(PRODUCT_DEFAULT.windowMillis()));
  }

  public boolean isEmpty() {
    return maxConcurrent.isEmpty() && maxPerWindow.isEmpty() && windowMillis.isEmpty();
  }
}
