package io.admission.server.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.admission.server.engine.CallType;
import io.admission.server.engine.CallingHours;
import io.admission.server.engine.DailyCap;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.Event;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.OrgConfig;
import io.admission.server.engine.Results;
import io.admission.server.engine.StatusView;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AgentStatus;
import io.admission.v1.AgentTypeStatus;
import io.admission.v1.DailyStatus;
import io.admission.v1.Denial;
import io.admission.v1.DenialReason;
import io.admission.v1.Hold;
import io.admission.v1.HoldCount;
import io.admission.v1.HoldReason;
import io.admission.v1.Lease;
import io.admission.v1.LoginLevel;
import io.admission.v1.LoginStatus;
import io.admission.v1.NumberStatus;
import io.admission.v1.Org;
import io.admission.v1.OrgStatus;
import io.admission.v1.Outcome;
import io.admission.v1.RampStep;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseResponse;
import io.admission.v1.RenewResponse;
import io.admission.v1.Reservation;
import io.admission.v1.SlotKind;
import io.admission.v1.WaitCancelled;
import io.admission.v1.WaitExpired;
import io.admission.v1.WaitForSlotResponse;

/** Engine values to protobuf messages. Pure functions; the engine never sees protobuf. */
public final class Responses {
  private Responses() {}

  /** The answer to an Acquire that was not rejected: granted, held or denied. */
  public static AcquireResponse acquired(Results.AcquireResult result) {
    if (result instanceof Results.Granted g) {
      return granted(g);
    } else if (result instanceof Results.Held h) {
      return held(h);
    }
    return denied((Results.Denied) result);
  }

  /** The answer to a Release that was not rejected. */
  public static ReleaseResponse released(Results.ReleaseResult result) {
    return ReleaseResponse.newBuilder().setEffect(effect(((Results.Released) result).effect())).build();
  }

  /** The answer to a Renew that was not rejected. */
  public static RenewResponse renewed(Results.RenewResult result) {
    Results.Renewed r = (Results.Renewed) result;
    RenewResponse.Builder b = RenewResponse.newBuilder()
        .addAllUnknownCallIds(r.unknownCallIds())
        .addAllHeldCallIds(r.heldCallIds());
    r.leases().forEach(l -> b.addLeases(lease(l)));
    return b.build();
  }

  /** A held call's event as WaitForSlot reports it (a lease's end is no such event). */
  public static WaitForSlotResponse change(Event event) {
    if (event instanceof Event.HoldChanged h) {
      return WaitForSlotResponse.newBuilder().setHeld(hold(h.hold())).build();
    } else if (event instanceof Event.Dispatched d) {
      return WaitForSlotResponse.newBuilder().setDispatched(lease(d.lease())).build();
    } else if (event instanceof Event.WaitEnded w) {
      return terminal(w.ended());
    }
    throw new IllegalArgumentException("not a wait event: " + event);
  }

  public static AcquireResponse granted(Results.Granted g) {
    return AcquireResponse.newBuilder()
        .setOutcome(Outcome.OUTCOME_GRANTED).setLease(lease(g.lease())).setRetry(g.retry()).build();
  }

  public static AcquireResponse held(Results.Held h) {
    return AcquireResponse.newBuilder()
        .setOutcome(Outcome.OUTCOME_HELD).setHold(hold(h.hold())).setRetry(h.retry()).build();
  }

  public static AcquireResponse denied(Results.Denied d) {
    return AcquireResponse.newBuilder()
        .setOutcome(Outcome.OUTCOME_DENIED).setDenial(denial(d.denial())).build();
  }

  public static Lease lease(Results.Lease l) {
    return Lease.newBuilder()
        .setOrgId(l.orgId())
        .setCallId(l.callId())
        .setAgentId(l.agentId())
        .setCallType(callType(l.callType()))
        .setLoginId(l.loginId())
        .setFromNumber(l.fromNumber())
        .setSlotKind(l.slotKind() == io.admission.server.engine.SlotKind.RESERVED
            ? SlotKind.SLOT_KIND_RESERVED : SlotKind.SLOT_KIND_SHARED)
        .setGrantedAt(timestamp(l.grantedAt()))
        .setExpiresAt(timestamp(l.expiresAt()))
        .setTtl(duration(l.ttlMillis()))
        .build();
  }

  public static Hold hold(Results.Hold h) {
    Hold.Builder b = Hold.newBuilder()
        .setReason(holdReason(h.reason()))
        .setMessage(Sentences.hold(h))
        .setPosition(h.position())
        .setHeldSince(timestamp(h.heldSince()));
    h.readyAt().ifPresent(t -> b.setReadyAt(timestamp(t)));
    h.waitDeadline().ifPresent(t -> b.setWaitDeadline(timestamp(t)));
    return b.build();
  }

  public static Denial denial(Results.Denial d) {
    return Denial.newBuilder()
        .setReason(switch (d.reason()) {
          case DAILY_CAP -> DenialReason.DENIAL_REASON_DAILY_CAP;
          case NUMBER_DAILY_CAP -> DenialReason.DENIAL_REASON_NUMBER_DAILY_CAP;
          case CALLING_HOURS -> DenialReason.DENIAL_REASON_CALLING_HOURS;
        })
        .setMessage(Sentences.denial(d))
        .setRetryAt(timestamp(d.retryAt()))
        .build();
  }

  /** The terminal event of an ended call: what ended its wait. */
  public static WaitForSlotResponse terminal(Results.Ended e) {
    WaitForSlotResponse.Builder b = WaitForSlotResponse.newBuilder();
    if (e.reason() == EndReason.DENIED) {
      return b.setDenied(denial(e.denial())).build();
    }
    if (e.reason() == EndReason.WAIT_EXPIRED) {
      return b.setExpired(WaitExpired.newBuilder()
          .setMessage(Sentences.ended(e))
          .setHeldSince(timestamp(e.heldSince()))
          .setExpiredAt(timestamp(e.endedAt()))).build();
    }
    if (e.reason() == EndReason.CANCELLED) {
      return b.setCancelled(WaitCancelled.newBuilder()
          .setMessage(Sentences.ended(e))
          .setCancelledAt(timestamp(e.endedAt()))).build();
    }
    return b.setDispatched(lease(e.lease())).build(); // granted, then released or expired
  }

  public static ReleaseEffect effect(Results.Released.Effect e) {
    return switch (e) {
      case RELEASED -> ReleaseEffect.RELEASE_EFFECT_RELEASED;
      case CANCELLED -> ReleaseEffect.RELEASE_EFFECT_CANCELLED;
      case NOT_ACTIVE -> ReleaseEffect.RELEASE_EFFECT_NOT_ACTIVE;
    };
  }

  // ---- Configuration ----------------------------------------------------------------------

  public static Org org(OrgConfig c) {
    Org.Builder b = Org.newBuilder()
        .setOrgId(c.orgId())
        .setConcurrencyLimit(c.concurrencyLimit())
        .setTimeZone(c.timeZone().getId())
        .setLoginDefaults(loginLimits(c.loginDefaults()))
        .setNumberDefaults(numberLimits(c.numberDefaults()));
    c.defaultLeaseTtlMillis().ifPresent(t -> b.setDefaultLeaseTtl(duration(t)));
    c.dailyCap().ifPresent(d -> b.setDailyCap(dailyCap(d)));
    if (!c.callingHours().isEmpty()) {
      b.setCallingHours(callingHours(c.callingHours()));
    }
    return b.build();
  }

  public static io.admission.v1.CallingHours callingHours(CallingHours h) {
    io.admission.v1.CallingHours.Builder b = io.admission.v1.CallingHours.newBuilder();
    for (CallingHours.Window w : h.windows()) {
      b.addWindows(io.admission.v1.CallingWindow.newBuilder()
          .setWeekdayValue(w.day().getValue())
          .setStart(Sentences.clock(w.startMinute()))
          .setEnd(Sentences.clock(w.endMinute())));
    }
    for (CallType t : CallType.values()) { // enum order, so the output is stable
      if (h.restrictedTypes().contains(t)) {
        b.addRestrictedCallTypes(callType(t));
      }
    }
    return b.build();
  }

  public static io.admission.v1.DailyCap dailyCap(DailyCap d) {
    io.admission.v1.DailyCap.Builder b = io.admission.v1.DailyCap.newBuilder().setCap(d.cap());
    for (DailyCap.RampStep s : d.ramp()) {
      b.addRamp(RampStep.newBuilder().setThroughDay(s.throughDay()).setCap(s.cap()));
    }
    if (d.startDate() != null) {
      b.setStartDate(d.startDate().toString());
    }
    for (CallType t : CallType.values()) { // enum order, so the output is stable
      if (d.counts(t)) {
        b.addCountedCallTypes(callType(t));
      }
    }
    return b.build();
  }

  public static io.admission.v1.LoginLimits loginLimits(LoginLimits l) {
    io.admission.v1.LoginLimits.Builder b = io.admission.v1.LoginLimits.newBuilder();
    l.maxConcurrent().ifPresent(b::setMaxConcurrent);
    l.maxPerWindow().ifPresent(b::setMaxPerWindow);
    l.windowMillis().ifPresent(w -> b.setWindow(duration(w)));
    return b.build();
  }

  public static io.admission.v1.LoginLimits loginLimits(LoginLimits.Effective l) {
    return io.admission.v1.LoginLimits.newBuilder()
        .setMaxConcurrent(l.maxConcurrent())
        .setMaxPerWindow(l.maxPerWindow())
        .setWindow(duration(l.windowMillis()))
        .build();
  }

  public static io.admission.v1.NumberLimits numberLimits(NumberLimits l) {
    io.admission.v1.NumberLimits.Builder b = io.admission.v1.NumberLimits.newBuilder();
    l.maxPerDay().ifPresent(b::setMaxPerDay);
    l.maxPerHour().ifPresent(b::setMaxPerHour);
    l.maxConcurrent().ifPresent(b::setMaxConcurrent);
    return b.build();
  }

  public static io.admission.v1.NumberLimits numberLimits(NumberLimits.Effective l) {
    return io.admission.v1.NumberLimits.newBuilder()
        .setMaxPerDay(l.maxPerDay())
        .setMaxPerHour(l.maxPerHour())
        .setMaxConcurrent(l.maxConcurrent())
        .build();
  }

  public static Reservation reservation(Results.Reservation r) {
    return Reservation.newBuilder()
        .setAgentId(r.agentId()).setCallType(callType(r.callType())).setSlots(r.slots()).build();
  }

  // ---- Status -----------------------------------------------------------------------------

  public static OrgStatus status(StatusView.Org s) {
    OrgStatus.Builder b = OrgStatus.newBuilder()
        .setOrgId(s.orgId())
        .setLimit(s.limit())
        .setInUse(s.inUse())
        .setSharedCapacity(Math.max(0, s.sharedCapacity()))
        .setSharedInUse(s.sharedInUse())
        .setQueued(s.queued())
        .setAsOf(timestamp(s.asOf()));
    if (s.oldestHeldSince() >= 0) {
      b.setOldestHeldSince(timestamp(s.oldestHeldSince()));
    }
    for (StatusView.Agent a : s.agents()) {
      AgentStatus.Builder ab = AgentStatus.newBuilder()
          .setAgentId(a.agentId())
          .setUsingReserved(a.usingReserved())
          .setUsingShared(a.usingShared())
          .setReservedTotal(a.reservedTotal());
      for (StatusView.AgentType t : a.types()) {
        ab.addTypes(AgentTypeStatus.newBuilder()
            .setCallType(callType(t.type()))
            .setReserved(t.reserved())
            .setActive(t.active())
            .setUsingReserved(t.usingReserved())
            .setUsingShared(t.usingShared()));
      }
      b.addAgents(ab);
    }
    for (StatusView.LoginLine l : s.logins()) {
      b.addLogins(LoginStatus.newBuilder()
          .setLoginId(l.loginId())
          .setActive(l.active())
          .setMaxConcurrent(l.maxConcurrent())
          .setLastWindow(l.lastWindow())
          .setMaxPerWindow(l.maxPerWindow())
          .setWindow(duration(l.windowMillis()))
          .setLevel(switch (l.level()) {
            case OK -> LoginLevel.LOGIN_LEVEL_OK;
            case NEAR -> LoginLevel.LOGIN_LEVEL_NEAR;
            case AT_LIMIT -> LoginLevel.LOGIN_LEVEL_AT_LIMIT;
          })
          .setLine(Sentences.monitorLine(l))
          .setQueued(l.queued()));
    }
    StatusView.Daily d = s.daily();
    b.setDaily(DailyStatus.newBuilder()
        .setUsed(d.used()).setCap(d.cap()).setResetsAt(timestamp(d.resetsAt())).setRampDay(d.rampDay()));
    for (StatusView.NumberLine n : s.numbers()) {
      b.addNumbers(NumberStatus.newBuilder()
          .setNumber(n.number())
          .setActive(n.active())
          .setMaxConcurrent(n.maxConcurrent())
          .setLastHour(n.lastHour())
          .setMaxPerHour(n.maxPerHour())
          .setToday(n.today())
          .setMaxPerDay(n.maxPerDay())
          .setWindow(duration(NumberLimits.HOUR_MILLIS)));
    }
    CallingHours.Now hours = s.part(CallingHours.Now.class);
    if (hours != null) {
      var h = io.admission.v1.CallingHoursStatus.newBuilder().setOpen(hours.open());
      if (hours.changesAt() != Long.MAX_VALUE) {
        h.setChangesAt(timestamp(hours.changesAt()));
      }
      for (CallType t : CallType.values()) {
        if (hours.restrictedTypes().contains(t)) {
          h.addRestrictedCallTypes(callType(t));
        }
      }
      b.setCallingHours(h);
    }
    io.admission.server.engine.HoldReason[] reasons = io.admission.server.engine.HoldReason.values();
    for (int i = 0; i < reasons.length; i++) {
      if (s.heldByReason()[i] > 0) {
        b.addHeldByReason(HoldCount.newBuilder().setReason(holdReason(reasons[i])).setCount(s.heldByReason()[i]));
      }
    }
    return b.build();
  }

  // ---- Scalars ----------------------------------------------------------------------------

  public static io.admission.v1.CallType callType(CallType t) {
    return switch (t) {
      case WEBCALL -> io.admission.v1.CallType.CALL_TYPE_WEBCALL;
      case CHAT -> io.admission.v1.CallType.CALL_TYPE_CHAT;
      case OUTBOUND -> io.admission.v1.CallType.CALL_TYPE_OUTBOUND;
      case INBOUND -> io.admission.v1.CallType.CALL_TYPE_INBOUND;
    };
  }

  public static HoldReason holdReason(io.admission.server.engine.HoldReason r) {
    return switch (r) {
      case ORG_POOL_FULL -> HoldReason.HOLD_REASON_ORG_POOL_FULL;
      case LOGIN_CONCURRENCY -> HoldReason.HOLD_REASON_LOGIN_CONCURRENCY;
      case LOGIN_RATE -> HoldReason.HOLD_REASON_LOGIN_RATE;
      case NUMBER_RATE -> HoldReason.HOLD_REASON_NUMBER_RATE;
      case NUMBER_CONCURRENCY -> HoldReason.HOLD_REASON_NUMBER_CONCURRENCY;
    };
  }

  public static Timestamp timestamp(long millis) {
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(millis, 1000))
        .setNanos(Math.floorMod(millis, 1000) * 1_000_000)
        .build();
  }

  public static Duration duration(long millis) {
    return Duration.newBuilder()
        .setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000).build();
  }
}
