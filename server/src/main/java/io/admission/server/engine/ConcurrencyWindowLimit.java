package io.admission.server.engine;

import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Calls at once and calls started per rolling window, on one login or one caller-ID number: both
 * hold. The same rule for both; an instance says only where the call's login or number is.
 */
final class ConcurrencyWindowLimit implements Limit {
  /** Each login can run up to 2 calls at once and start 250 calls an hour, an exact rolling window. */
  static final ConcurrencyWindowLimit LOGINS = new ConcurrencyWindowLimit(
      "logins", HoldReason.LOGIN_CONCURRENCY, HoldReason.LOGIN_RATE, c -> c.login,
      org -> org.logins, OrgState::login, Login::status);

  /** A number's own caps: calls at once and calls per rolling hour. */
  static final ConcurrencyWindowLimit NUMBERS = new ConcurrencyWindowLimit(
      "numbers", HoldReason.NUMBER_CONCURRENCY, HoldReason.NUMBER_RATE, c -> c.number,
      org -> org.numbers, OrgState::number, CallerNumber::status);

  private final String name;
  private final HoldReason concurrency;
  private final HoldReason window;
  private final Function<Call, ConcurrencyWindow> of;
  private final Function<OrgState, Map<String, ? extends ConcurrencyWindow>> all;
  private final BiFunction<OrgState, String, ? extends ConcurrencyWindow> byId;
  private final BiFunction<OrgState, Long, StatusView.Part> status;

  private ConcurrencyWindowLimit(
      String name,
      HoldReason concurrency,
      HoldReason window,
      Function<Call, ConcurrencyWindow> of,
      Function<OrgState, Map<String, ? extends ConcurrencyWindow>> all,
      BiFunction<OrgState, String, ? extends ConcurrencyWindow> byId,
      BiFunction<OrgState, Long, StatusView.Part> status) {
    this.name = name;
    this.concurrency = concurrency;
    this.window = window;
    this.of = of;
    this.all = all;
    this.byId = byId;
    this.status = status;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Verdict check(OrgState org, Call call, long now) {
    ConcurrencyWindow w = of.apply(call);
    if (w == null) {
      return Verdict.PASS;
    }
    ConcurrencyWindow.Bounds b = w.bounds(org);
    if (w.concurrencyFull(b)) {
      return new Verdict.Hold(
          concurrency, w, -1, Results.Figures.concurrency(w.id, w.active, b.maxConcurrent()));
    }
    if (w.rateFull(b, now)) {
      return new Verdict.Hold(
          window,
          w,
          w.starts.roomAt(b.maxPerWindow(), b.windowMillis()),
          Results.Figures.window(w.id, b.maxPerWindow(), b.windowMillis(), now));
    }
    return Verdict.PASS;
  }

  @Override
  public void count(OrgState org, Call call, long now) {
    ConcurrencyWindow w = of.apply(call);
    if (w != null) {
      w.active++;
      w.countStart(org, now);
    }
  }

  @Override
  public void free(OrgState org, Call call, List<Blocker> freed) {
    ConcurrencyWindow w = of.apply(call);
    if (w != null) {
      w.active--;
      freed.add(w);
    }
  }

  @Override
  public void restoreRunning(OrgState org, Call call) {
    ConcurrencyWindow w = of.apply(call);
    if (w != null) {
      w.active++;
    }
  }

  @Override
  public List<HoldReason> holdReasons() {
    return List.of(concurrency, window);
  }

  @Override
  public Blocker blocksOn(OrgState org, Call call) {
    return of.apply(call);
  }

  @Override
  public void blockersWithWaiters(OrgState org, List<Blocker> out) {
    for (ConcurrencyWindow w : all.apply(org).values()) {
      if (!w.waiters.isEmpty()) {
        out.add(w);
      }
    }
  }

  @Override
  public void forget(OrgState org, TimerQueue timers) {
    for (ConcurrencyWindow w : all.apply(org).values()) {
      w.windowTimer = timers.cancel(w.windowTimer);
      w.forgetTimer = timers.cancel(w.forgetTimer);
    }
  }

  /** One entry per login or number with starts, a day's count or a window timer to keep. */
  @Override
  public void capture(OrgState org, long now, List<EngineSnapshot.Entry> out) {
    for (ConcurrencyWindow w : all.apply(org).values()) {
      EngineSnapshot.Entry e = w.capture(org, now);
      if (e != null) {
        out.add(e);
      }
    }
  }

  @Override
  public void restore(OrgState org, List<EngineSnapshot.Entry> in) {
    for (EngineSnapshot.Entry e : in) {
      ConcurrencyWindow w = byId.apply(org, e.key());
      w.restore(e.values());
      org.restoreWake(w, e.values().get(0));
    }
  }

  @Override
  public void status(OrgState org, long now, List<StatusView.Part> out) {
    out.add(status.apply(org, now));
  }
}
