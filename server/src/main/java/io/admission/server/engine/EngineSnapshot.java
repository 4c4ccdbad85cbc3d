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

  /** One org. */
  public record Org(
      OrgConfig config,
      List<Results.Reservation> reservations,
      List<Results.LoginOverride> loginOverrides,
      List<Results.NumberOverride> numberOverrides,
      List<LoginWindow> loginWindows,
      List<NumberCounts> numberCounts,
      long dailyDay,
      int dailyUsed,
      List<CallState> calls) {
    public Org {
      reservations = List.copyOf(reservations);
      loginOverrides = List.copyOf(loginOverrides);
      numberOverrides = List.copyOf(numberOverrides);
      loginWindows = List.copyOf(loginWindows);
      numberCounts = List.copyOf(numberCounts);
      calls = List.copyOf(calls);
    }
  }

  /**
   * A login's counted starts still inside its window, oldest first, and when its window timer
   * fires (-1 for none). The timer is kept as it is rather than derived from the held calls:
   * only the oldest waiter's ready time is kept current.
   */
  public record LoginWindow(String loginId, List<Long> starts, long wakeAt) {
    public LoginWindow {
      starts = List.copyOf(starts);
    }
  }

  /** A number's starts in the rolling hour, its count for local day {@code day}, its timer. */
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
