package io.admission.server.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

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
  EngineSnapshot.Entry capture(OrgState org, long now) {
    long[] counted = countedStarts(org, now);
    return counted.length == 0 && wakeAt() < 0
        ? null : entry(id, wakeAt(), Snapshots.boxed(counted));
  }

  /** Its window timer, then its counted starts, oldest first; also for older snapshots. */
  static EngineSnapshot.Entry entry(String id, long wakeAt, List<Long> starts) {
    List<Long> values = new ArrayList<>(1 + starts.size());
    values.add(wakeAt);
    values.addAll(starts);
    return new EngineSnapshot.Entry(id, values);
  }

  @Override
  void restore(List<Long> values) {
    values.subList(1, values.size()).forEach(starts::add);
  }

  /** The logins with something to show: running or held calls, starts in the window, own limits. */
  static StatusView.Logins status(OrgState org, long now) {
    List<StatusView.LoginLine> out = new ArrayList<>();
    for (Login login : org.logins.values()) {
      LoginLimits.Effective limits = login.limits(org);
      int last = login.starts.countAt(now, limits.windowMillis());
      if (login.active == 0 && last == 0 && login.override.isEmpty() && login.waiters.isEmpty()) {
        continue;
      }
      out.add(new StatusView.LoginLine(
          login.id,
          login.active,
          limits.maxConcurrent(),
          last,
          limits.maxPerWindow(),
          limits.windowMillis(),
          StatusView.level(login.active, limits.maxConcurrent(), last, limits.maxPerWindow()),
          login.waiters.size()));
    }
    out.sort(Comparator.comparing(StatusView.LoginLine::loginId));
    return new StatusView.Logins(out);
  }
}
