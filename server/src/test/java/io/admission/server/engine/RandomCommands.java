package io.admission.server.engine;

import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;

/**
 * A seeded stream of plausible commands with their times: a few orgs, agents, logins and numbers,
 * every command kind, small limits so that holds, dispatches, expiries and denials all happen, and
 * limits that change — login windows shorter and longer, own limits set and given up — so that a
 * snapshot or a replay that counted a window differently would show. Shared by the replay and
 * snapshot tests.
 */
public final class RandomCommands {
  /** A command and the time the loop stamped on it. */
  public record Stamped(Commands.Command<?> command, long at) {}

  private static final String[] ORGS = {"org-a", "org-b"};
  private static final String[] AGENTS = {"", "ag-1", "ag-2", "ag-3"};
  private static final String[] LOGINS = {"", "l-1", "l-2", "l-3"};
  private static final String[] NUMBERS = {"", "+1555000001", "+1555000002"};
  private static final long START = 1_790_000_000_000L; // 2026-09-21
  /** Login windows; empty: the product's hour. */
  private static final OptionalLong[] WINDOWS = {OptionalLong.of(30_000), OptionalLong.of(60_000),
      OptionalLong.of(600_000), OptionalLong.empty()};

  private final Random random;
  private long now = START;
  private int nextCall;

  public RandomCommands(long seed) {
    this.random = new Random(seed);
  }

  /** The orgs every history starts with. */
  public List<Stamped> setup() {
    List<Stamped> out = new ArrayList<>();
    for (String org : ORGS) {
      out.add(new Stamped(new Commands.PutOrg(config(org, 4)), now));
    }
    return out;
  }

  public Stamped next() {
    now += switch (random.nextInt(10)) {
      case 0 -> random.nextInt(3_600_000); // sometimes far ahead: leases expire, windows roll
      case 1, 2 -> random.nextInt(60_000);
      default -> random.nextInt(2_000);
    };
    String org = pick(ORGS);
    int kind = random.nextInt(100);
    Commands.Command<?> c;
    if (kind < 45) {
      c = acquire(org);
    } else if (kind < 70) {
      c = new Commands.Release(org, callId());
    } else if (kind < 78) {
      c = new Commands.Renew(org, List.of(callId(), callId()), random.nextBoolean() ? 0 : 30_000);
    } else if (kind < 86) {
      c = new Commands.SetReservation(org, "ag-" + (1 + random.nextInt(3)),
          pick(CallType.ALL), random.nextInt(3));
    } else if (kind < 89) {
      c = new Commands.RemoveAgent(org, "ag-" + (1 + random.nextInt(3)));
    } else if (kind < 93) {
      c = new Commands.SetLoginLimits(org, "l-" + (1 + random.nextInt(3)), random.nextInt(5) == 0
          ? LoginLimits.INHERIT
          : new LoginLimits(optional(3), optional(4), pick(WINDOWS)));
    } else if (kind < 96) {
      c = new Commands.SetNumberLimits(org, NUMBERS[1 + random.nextInt(2)], random.nextInt(5) == 0
          ? NumberLimits.INHERIT
          : new NumberLimits(optional(6), optional(3), optional(2)));
    } else if (kind < 98) {
      c = new Commands.PutOrg(config(org, 2 + random.nextInt(5)));
    } else {
      c = new Commands.Tick();
    }
    return new Stamped(c, now);
  }

  private Commands.Acquire acquire(String org) {
    // Mostly new calls, sometimes a retry of a recent one (idempotency).
    String id = random.nextInt(5) == 0 && nextCall > 0 ? callId() : "c-" + nextCall++;
    return new Commands.Acquire(org, id, pick(AGENTS), pick(CallType.ALL), pick(LOGINS),
        pick(NUMBERS), random.nextInt(3) == 0 ? 5_000 + random.nextInt(60_000) : 0,
        random.nextInt(4) == 0 ? 1_000 + random.nextInt(30_000) : 0);
  }

  private OrgConfig config(String org, int limit) {
    Optional<DailyCap> cap = random.nextBoolean()
        ? Optional.of(new DailyCap(30, List.of(new DailyCap.RampStep(1, 20)),
            LocalDate.of(2026, 9, 21), EnumSet.of(CallType.OUTBOUND, CallType.WEBCALL)))
        : Optional.empty();
    return new OrgConfig(org, limit, cap, ZoneId.of("America/New_York"),
        random.nextBoolean() ? OptionalLong.of(120_000) : OptionalLong.empty(),
        new LoginLimits(OptionalInt.of(2), OptionalInt.of(5), pick(WINDOWS)),
        new NumberLimits(OptionalInt.empty(), OptionalInt.of(4), OptionalInt.empty()),
        random.nextBoolean() ? CallingHours.NONE : new CallingHours(List.of(
            new CallingHours.Window(java.time.DayOfWeek.of(1 + random.nextInt(7)), 9 * 60, 17 * 60),
            new CallingHours.Window(java.time.DayOfWeek.of(1 + random.nextInt(7)), 20 * 60, 24 * 60)),
            random.nextBoolean() ? Set.of() : Set.of(CallType.WEBCALL, CallType.OUTBOUND)));
  }

  private OptionalInt optional(int max) {
    return random.nextBoolean() ? OptionalInt.empty() : OptionalInt.of(random.nextInt(max + 1));
  }

  private String callId() {
    return "c-" + random.nextInt(Math.max(1, nextCall));
  }

  private <T> T pick(T[] values) {
    return values[random.nextInt(values.length)];
  }
}
