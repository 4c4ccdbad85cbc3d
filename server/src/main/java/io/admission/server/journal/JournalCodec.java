package io.admission.server.journal;

import io.admission.server.engine.Commands;
import io.admission.server.engine.DenialReason;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.HoldReason;
import io.admission.server.engine.Results;
import io.admission.server.engine.SlotKind;
import io.admission.server.grpc.InvalidRequest;
import io.admission.server.grpc.Requests;
import io.admission.server.grpc.Responses;
import io.admission.server.journal.proto.CallState;
import io.admission.server.journal.proto.Entry;
import io.admission.server.journal.proto.LoginWindow;
import io.admission.server.journal.proto.NumberCounts;
import io.admission.server.journal.proto.OrgState;
import io.admission.server.journal.proto.Phase;
import io.admission.server.journal.proto.Snapshot;
import io.admission.v1.AcquireRequest;
import io.admission.v1.LoginOverride;
import io.admission.v1.NumberOverride;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RemoveAgentRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.SetLoginLimitsRequest;
import io.admission.v1.SetNumberLimitsRequest;
import io.admission.v1.SetReservationRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Commands and snapshots to and from their on-disk protobuf form. Commands are stored as the
 * admission.v1 requests they are made from, and decoded by the same {@link Requests} translation
 * a live request goes through, so the two paths cannot drift apart.
 */
final class JournalCodec {
  private JournalCodec() {}

  /** The record for a command; null for commands that are not logged (Tick). */
  static Entry encode(Commands.Command<?> command, long stampedAt) {
    Entry.Builder e = Entry.newBuilder().setStampedAtMillis(stampedAt);
    if (command instanceof Commands.Acquire c) {
      e.setAcquire(acquire(c));
    } else if (command instanceof Commands.Release c) {
      e.setRelease(ReleaseRequest.newBuilder().setOrgId(c.orgId()).setCallId(c.callId()));
    } else if (command instanceof Commands.Renew c) {
      RenewRequest.Builder r = RenewRequest.newBuilder().setOrgId(c.orgId()).addAllCallIds(c.callIds());
      if (c.leaseTtlMillis() > 0) {
        r.setLeaseTtl(Responses.duration(c.leaseTtlMillis()));
      }
      e.setRenew(r);
    } else if (command instanceof Commands.PutOrg c) {
      e.setPutOrg(Responses.org(c.org()));
    } else if (command instanceof Commands.SetReservation c) {
      e.setSetReservation(SetReservationRequest.newBuilder().setOrgId(c.orgId())
          .setAgentId(c.agentId()).setCallType(Responses.callType(c.callType())).setSlots(c.slots()));
    } else if (command instanceof Commands.RemoveAgent c) {
      e.setRemoveAgent(RemoveAgentRequest.newBuilder().setOrgId(c.orgId()).setAgentId(c.agentId()));
    } else if (command instanceof Commands.SetLoginLimits c) {
      e.setSetLoginLimits(SetLoginLimitsRequest.newBuilder().setOrgId(c.orgId())
          .setLoginId(c.loginId()).setLimits(Responses.loginLimits(c.limits())));
    } else if (command instanceof Commands.SetNumberLimits c) {
      e.setSetNumberLimits(SetNumberLimitsRequest.newBuilder().setOrgId(c.orgId())
          .setNumber(c.number()).setLimits(Responses.numberLimits(c.limits())));
    } else {
      return null; // Tick: timers fire at their own instants on replay anyway
    }
    return e.build();
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

  private static AcquireRequest acquire(Commands.Acquire c) {
    AcquireRequest.Builder r = AcquireRequest.newBuilder()
        .setOrgId(c.orgId()).setCallId(c.callId()).setAgentId(c.agentId())
        .setCallType(Responses.callType(c.callType())).setLoginId(c.loginId()).setFromNumber(c.fromNumber());
    if (c.leaseTtlMillis() > 0) {
      r.setLeaseTtl(Responses.duration(c.leaseTtlMillis()));
    }
    if (c.maxWaitMillis() > 0) {
      r.setMaxWait(Responses.duration(c.maxWaitMillis()));
    }
    return r.build();
  }

  // ---- Snapshots --------------------------------------------------------------------------

  static Snapshot encode(EngineSnapshot s, long nextEntry) {
    Snapshot.Builder b = Snapshot.newBuilder()
        .setNextEntry(nextEntry).setNextSeq(s.nextSeq()).setLastNowMillis(s.lastNow());
    for (EngineSnapshot.Org o : s.orgs()) {
      OrgState.Builder ob = OrgState.newBuilder()
          .setConfig(Responses.org(o.config()))
          .setDailyDay(o.dailyDay())
          .setDailyUsed(o.dailyUsed());
      o.reservations().forEach(r -> ob.addReservations(Responses.reservation(r)));
      o.loginOverrides().forEach(l -> ob.addLoginLimits(LoginOverride.newBuilder()
          .setLoginId(l.loginId()).setLimits(Responses.loginLimits(l.limits()))));
      o.numberOverrides().forEach(n -> ob.addNumberLimits(NumberOverride.newBuilder()
          .setNumber(n.number()).setLimits(Responses.numberLimits(n.limits()))));
      o.loginWindows().forEach(w -> ob.addLoginWindows(LoginWindow.newBuilder()
          .setLoginId(w.loginId()).addAllStarts(w.starts()).setWakeAt(w.wakeAt())));
      o.numberCounts().forEach(n -> ob.addNumberCounts(NumberCounts.newBuilder()
          .setNumber(n.number()).addAllStarts(n.starts()).setDay(n.day()).setToday(n.today())
          .setWakeAt(n.wakeAt())));
      o.calls().forEach(c -> ob.addCalls(call(c)));
      b.addOrgs(ob);
    }
    return b.build();
  }

  private static CallState call(EngineSnapshot.CallState c) {
    CallState.Builder b = CallState.newBuilder()
        .setRequest(acquire(c.request()))
        .setSeq(c.seq())
        .setPhase(switch (c.phase()) {
          case HELD -> Phase.PHASE_HELD;
          case ACTIVE -> Phase.PHASE_ACTIVE;
          case ENDED -> Phase.PHASE_ENDED;
        })
        .setReadyAt(c.readyAt())
        .setHeldSince(c.heldSince())
        .setWaitDeadline(c.waitDeadline())
        .setGrantedAt(c.grantedAt())
        .setTtlMillis(c.ttlMillis())
        .setExpiresAt(c.expiresAt())
        .setEndedAt(c.endedAt());
    if (c.holdReason() != null) {
      b.setHoldReason(Responses.holdReason(c.holdReason())).setHoldMessage(c.holdMessage());
    }
    if (c.slotKind() != null) {
      b.setSlotKind(c.slotKind() == SlotKind.RESERVED
          ? io.admission.v1.SlotKind.SLOT_KIND_RESERVED : io.admission.v1.SlotKind.SLOT_KIND_SHARED);
    }
    if (c.endReason() != null) {
      b.setEndReason(switch (c.endReason()) {
        case RELEASED -> io.admission.server.journal.proto.EndReason.END_REASON_RELEASED;
        case EXPIRED -> io.admission.server.journal.proto.EndReason.END_REASON_EXPIRED;
        case CANCELLED -> io.admission.server.journal.proto.EndReason.END_REASON_CANCELLED;
        case DENIED -> io.admission.server.journal.proto.EndReason.END_REASON_DENIED;
        case WAIT_EXPIRED -> io.admission.server.journal.proto.EndReason.END_REASON_WAIT_EXPIRED;
      });
    }
    if (c.denial() != null) {
      b.setDenial(Responses.denial(c.denial()));
    }
    return b.build();
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
      orgs.add(new EngineSnapshot.Org(
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
          d.getMessage(),
          d.getRetryAt().getSeconds() * 1000 + d.getRetryAt().getNanos() / 1_000_000);
    }
    return new EngineSnapshot.CallState(
        Requests.acquire(c.getRequest()), c.getSeq(), phase, hold,
        hold == null ? null : c.getHoldMessage(), c.getReadyAt(), c.getHeldSince(),
        c.getWaitDeadline(), slot, c.getGrantedAt(), c.getTtlMillis(), c.getExpiresAt(), end,
        c.getEndedAt(), denial);
  }

}
