package io.admission.server.engine;

import java.util.List;

/**
 * The whole engine state as a value: what a snapshot file holds. Only what cannot be derived is
 * kept — queues, counters, timers and positions are rebuilt from the calls on restore — and
 * everything is in a canonical order (orgs, logins and numbers by id, calls by sequence), so two
 * engines in the same state give equal snapshots. That equality is what the replay tests check.
 *
 * @param nextSeq the next call sequence number
 * @param lastNow the latest time the engine has seen
 */
public record EngineSnapshot(long nextSeq, long lastNow, List<Org> orgs) {
  public EngineSnapshot {
    orgs = List.copyOf(orgs);
  }

  /**
   * One org: its settings, what an operator set beside them, each limit's own part and its calls.
   *
   * @param limits the parts of its limits that keep something, in {@link Limits#ORDER}
   */
  public record Org(
      OrgConfig config,
      List<Results.Reservation> reservations,
      List<Results.LoginOverride> loginOverrides,
      List<Results.NumberOverride> numberOverrides,
      List<LimitPart> limits,
      List<CallState> calls) {
    public Org {
      reservations = List.copyOf(reservations);
      loginOverrides = List.copyOf(loginOverrides);
      numberOverrides = List.copyOf(numberOverrides);
      limits = List.copyOf(limits);
      calls = List.copyOf(calls);
    }

    /**
     * An org of a snapshot written before each limit kept its own part, when a login's window,
     * a number's counts and the org's daily count were fields of the org: each becomes the part
     * its limit now writes. The fields are frozen; a new limit never comes here.
     */
    public static Org withFixedFields(
        OrgConfig config,
        List<Results.Reservation> reservations,
        List<Results.LoginOverride> loginOverrides,
        List<Results.NumberOverride> numberOverrides,
        List<LoginWindow> loginWindows,
        List<NumberCounts> numberCounts,
        long dailyDay,
        int dailyUsed,
        List<CallState> calls) {
      return new Org(config, reservations, loginOverrides, numberOverrides,
          Snapshots.fromFixedFields(loginWindows, numberCounts, dailyDay, dailyUsed), calls);
    }
  }

  /**
   * What one limit keeps of an org, under the limit's {@link Limit#name}: only that limit reads
   * it back. Entries are in key order, so equal states give equal parts.
   */
  public record LimitPart(String limit, List<Entry> entries) {
    public LimitPart {
      entries = List.copyOf(entries);
    }
  }

  /**
   * One thing a limit keeps: a login, a number, or (key empty) the org itself, as numbers whose
   * meaning the limit's own capture and restore define.
   */
  public record Entry(String key, List<Long> values) {
    public Entry {
      values = List.copyOf(values);
    }
  }

  /**
   * A login's counted starts still inside its window, oldest first, and when its window timer
   * fires (-1 for none), as an org of an older snapshot kept them (see {@link
   * Org#withFixedFields}).
   */
  public record LoginWindow(String loginId, List<Long> starts, long wakeAt) {
    public LoginWindow {
      starts = List.copyOf(starts);
    }
  }

  /**
   * A number's starts in the rolling hour, its count for local day {@code day} and its timer, as
   * an org of an older snapshot kept them (see {@link Org#withFixedFields}).
   */
  public record NumberCounts(String number, List<Long> starts, long day, int today, long wakeAt) {
    public NumberCounts {
      starts = List.copyOf(starts);
    }
  }

  /** The phase of a call. */
  public enum Phase {
    HELD,
    ACTIVE,
    ENDED
  }

  /**
   * One call: its request, sequence and phase, with the fields of that phase (others are zero,
   * -1 or null). A call that ended after a grant keeps its lease fields.
   */
  public record CallState(
      Commands.Acquire request,
      long seq,
      Phase phase,
      HoldReason holdReason,
      Results.Figures holdFigures,
      long readyAt,
      long heldSince,
      long waitDeadline,
      SlotKind slotKind,
      long grantedAt,
      long ttlMillis,
      long expiresAt,
      EndReason endReason,
      long endedAt,
      Results.Denial denial) {}
}
