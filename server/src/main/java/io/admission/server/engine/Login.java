package io.admission.server.engine;

/**
 * One login (seat): its running calls and counted starts ({@link ConcurrencyWindow}) and its own
 * limits, if any. Ten agents sharing a login share this one budget.
 */
final class Login extends ConcurrencyWindow {
  /** Its own limits; {@link LoginLimits#INHERIT} when it has none. */
  LoginLimits override = LoginLimits.INHERIT;

  Login(String id) {
    super(id);
  }

  LoginLimits.Effective limits(OrgState org) {
    return override.over(org.config.loginDefaults()).effective();
  }

  @Override
  Bounds bounds(OrgState org) {
    LoginLimits.Effective l = limits(org);
    return new Bounds(l.maxConcurrent(), l.maxPerWindow(), l.windowMillis());
  }

  /** Calls started within the window ending at {@code now}; changes nothing. */
  int lastWindow(OrgState org, long now) {
    return starts.countAt(now, limits(org).windowMillis());
  }

  /**
   * Forgets the starts that have left the window in force at {@code now}. Called before this
   * login's window may change, so that a window made longer counts only the starts still inside
   * the old one (see {@link SlidingWindowLog}).
   */
  void forgetLeftStarts(OrgState org, long now) {
    starts.count(now, limits(org).windowMillis());
  }

  @Override
  String timerName() {
    return "login " + id;
  }

  @Override
  boolean configured() {
    return !override.isEmpty();
  }

  @Override
  void removeFrom(OrgState org) {
    org.logins.remove(id, this);
  }

  @Override
  void capture(OrgState org, long now, Snapshots.Parts out) {
    long[] counted = countedStarts(org, now);
    if (counted.length > 0 || wakeAt() >= 0) {
      out.loginWindows.add(new EngineSnapshot.LoginWindow(id, Snapshots.boxed(counted), wakeAt()));
    }
  }
}
