package io.admission.server.journal;

import io.admission.server.engine.Commands;
import io.admission.server.engine.DenialReason;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.HoldReason;
import io.admission.server.engine.IdHashKey;
import io.admission.server.engine.Snapshots;
import io.admission.server.engine.Results;
import io.admission.server.engine.SlotKind;
import io.admission.server.api.InvalidRequest;
import io.admission.server.api.Requests;
import io.admission.server.journal.format1.CallState;
import io.admission.server.journal.format1.Entry;
import io.admission.server.journal.format1.LoginWindow;
import io.admission.server.journal.format1.NumberCounts;
import io.admission.server.journal.format1.OrgState;
import io.admission.server.journal.format1.Phase;
import io.admission.server.journal.format1.Snapshot;
import io.admission.v1.LoginOverride;
import io.admission.v1.NumberOverride;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads format 1 of the data directory, which stored commands as the admission.v1 requests they
 * came from and decoded them through the API's own translation ({@link Requests}). Only {@link
 * DataFormat} uses it, to convert such a directory to format 2 once; nothing writes it.
 */
final class Format1 {
  private Format1() {}

  static final Recovery.Decoder DECODER = new Recovery.Decoder() {
    @Override
    public Recovery.SnapshotAt snapshot(java.io.InputStream payload, IdHashKey idHashKey)
        throws Exception {
      Snapshot s = Snapshot.parseFrom(payload);
      EngineSnapshot state = checked(() -> decode(s));
      return new Recovery.SnapshotAt(
          Snapshots.restore(state, idHashKey), s.getNextEntry(), state.lastNow());
    }

    @Override
    public Recovery.Stamped record(java.nio.ByteBuffer payload) throws Exception {
      Entry e = Entry.parseFrom(payload);
      return new Recovery.Stamped(checked(() -> decode(e)), e.getStampedAtMillis());
    }
  };

  private interface Decoding<T> {
    T run() throws InvalidRequest;
  }

  /** An InvalidRequest's message names the field at fault. */
  private static <T> T checked(Decoding<T> decoding) throws Exception {
    try {
      return decoding.run();
    } catch (InvalidRequest e) {
      throw new Exception(e.describe(), e);
    }
  }

  static Commands.Command<?> decode(Entry e) throws InvalidRequest {
    return switch (e.getCommandCase()) {
      case ACQUIRE -> Requests.acquire(e.getAcquire());
      case RELEASE -> Requests.release(e.getRelease());
      case RENEW -> Requests.renew(e.getRenew());
      case PUT_ORG -> Requests.putOrg(e.getPutOrg(), "org");
      case SET_RESERVATION -> Requests.setReservation(e.getSetReservation());
      case REMOVE_AGENT -> Requests.removeAgent(e.getRemoveAgent().getOrgId(), e.getRemoveAgent().getAgentId());
      case SET_LOGIN_LIMITS -> Requests.setLoginLimits(e.getSetLoginLimits());
      case SET_NUMBER_LIMITS -> Requests.setNumberLimits(e.getSetNumberLimits());
      case COMMAND_NOT_SET -> throw new InvalidRequest("command", "is not set");
    };
  }

  static EngineSnapshot decode(Snapshot s) throws InvalidRequest {
    List<EngineSnapshot.Org> orgs = new ArrayList<>();
    for (OrgState o : s.getOrgsList()) {
      List<Results.Reservation> reservations = new ArrayList<>();
      for (var r : o.getReservationsList()) {
        reservations.add(new Results.Reservation(
            r.getAgentId(), Requests.callType("reservation", r.getCallTypeValue()), r.getSlots()));
      }
      List<Results.LoginOverride> logins = new ArrayList<>();
      for (LoginOverride l : o.getLoginLimitsList()) {
        logins.add(new Results.LoginOverride(l.getLoginId(), Requests.loginLimits("login", l.getLimits())));
      }
      List<Results.NumberOverride> numbers = new ArrayList<>();
      for (NumberOverride n : o.getNumberLimitsList()) {
        numbers.add(new Results.NumberOverride(n.getNumber(), Requests.numberLimits("number", n.getLimits())));
      }
      List<EngineSnapshot.LoginWindow> windows = new ArrayList<>();
      for (LoginWindow w : o.getLoginWindowsList()) {
        windows.add(new EngineSnapshot.LoginWindow(w.getLoginId(), w.getStartsList(), w.getWakeAt()));
      }
      List<EngineSnapshot.NumberCounts> counts = new ArrayList<>();
      for (NumberCounts n : o.getNumberCountsList()) {
        counts.add(new EngineSnapshot.NumberCounts(
            n.getNumber(), n.getStartsList(), n.getDay(), n.getToday(), n.getWakeAt()));
      }
      List<EngineSnapshot.CallState> calls = new ArrayList<>(o.getCallsCount());
      for (CallState c : o.getCallsList()) {
        calls.add(call(c));
      }
      orgs.add(EngineSnapshot.Org.withFixedFields(
          Requests.putOrg(o.getConfig(), "org").org(), reservations, logins, numbers, windows, counts,
          o.getDailyDay(), o.getDailyUsed(), calls));
    }
    return new EngineSnapshot(s.getNextSeq(), s.getLastNowMillis(), orgs);
  }

  private static EngineSnapshot.CallState call(CallState c) throws InvalidRequest {
    EngineSnapshot.Phase phase = switch (c.getPhase()) {
      case PHASE_HELD -> EngineSnapshot.Phase.HELD;
      case PHASE_ACTIVE -> EngineSnapshot.Phase.ACTIVE;
      case PHASE_ENDED -> EngineSnapshot.Phase.ENDED;
      default -> throw new InvalidRequest("calls.phase", "unknown phase " + c.getPhaseValue());
    };
    HoldReason hold = switch (c.getHoldReason()) {
      case HOLD_REASON_ORG_POOL_FULL -> HoldReason.ORG_POOL_FULL;
      case HOLD_REASON_LOGIN_CONCURRENCY -> HoldReason.LOGIN_CONCURRENCY;
      case HOLD_REASON_LOGIN_RATE -> HoldReason.LOGIN_RATE;
      case HOLD_REASON_NUMBER_RATE -> HoldReason.NUMBER_RATE;
      case HOLD_REASON_NUMBER_CONCURRENCY -> HoldReason.NUMBER_CONCURRENCY;
      default -> null;
    };
    SlotKind slot = switch (c.getSlotKind()) {
      case SLOT_KIND_RESERVED -> SlotKind.RESERVED;
      case SLOT_KIND_SHARED -> SlotKind.SHARED;
      default -> null;
    };
    EndReason end = switch (c.getEndReason()) {
      case END_REASON_RELEASED -> EndReason.RELEASED;
      case END_REASON_EXPIRED -> EndReason.EXPIRED;
      case END_REASON_CANCELLED -> EndReason.CANCELLED;
      case END_REASON_DENIED -> EndReason.DENIED;
      case END_REASON_WAIT_EXPIRED -> EndReason.WAIT_EXPIRED;
      default -> null; // not ended
    };
    Results.Denial denial = null;
    if (c.hasDenial()) {
      var d = c.getDenial();
      denial = new Results.Denial(
          d.getReason() == io.admission.v1.DenialReason.DENIAL_REASON_NUMBER_DAILY_CAP
              ? DenialReason.NUMBER_DAILY_CAP : DenialReason.DAILY_CAP,
          null, // only words in format 1: the restore derives the figures
          d.getRetryAt().getSeconds() * 1000 + d.getRetryAt().getNanos() / 1_000_000);
    }
    return new EngineSnapshot.CallState(
        Requests.acquire(c.getRequest()), c.getSeq(), phase, hold,
        null, c.getReadyAt(), c.getHeldSince(),
        c.getWaitDeadline(), slot, c.getGrantedAt(), c.getTtlMillis(), c.getExpiresAt(), end,
        c.getEndedAt(), denial);
  }

}
