package io.admission.server.audit;

import io.admission.server.engine.Commands;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.Event;
import io.admission.server.engine.LoginLimits;
import io.admission.server.engine.NumberLimits;
import io.admission.server.engine.Results;
import io.admission.server.engine.SlotKind;
import io.admission.server.api.Responses;
import io.admission.server.api.Sentences;
import io.admission.v1.AuditEvent;
import io.admission.v1.AuditEventKind;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Turns what the loop saw into audit events (without their sequence, which the store assigns).
 * Pure: every engine event names its call (agent, type, login, number) itself.
 *
 * <p>Owned by the audit writer thread.
 */
final class AuditEvents {

  /** Adds the events {@code observed} stands for to {@code out}: none, or one (one per org for a config). */
  void convert(Observed observed, List<AuditEvent.Builder> out) {
    if (observed instanceof Observed.Applied a && a.result() instanceof Results.ConfigApplied c) {
      int first = out.size();
      configApplied(c, a.now(), out);
      for (int i = first; i < out.size(); i++) {
        out.get(i).setActor(a.actor());
      }
      return;
    }
    AuditEvent.Builder event = observed instanceof Observed.Applied a
        ? applied(a.command(), a.result(), a.now())
        : happened(((Observed.Happened) observed).event(), observed.now());
    if (event != null) {
      out.add(event.setActor(observed.actor()));
    }
  }

  // ---- Commands ---------------------------------------------------------------------------

  private AuditEvent.Builder applied(Commands.Command<?> command, Object result, long now) {
    if (command instanceof Commands.Acquire a) {
      return acquired(a, result, now);
    }
    if (result instanceof Results.OrgView v) {
      var c = v.config();
      return base(c.orgId(), now, v.created()
              ? AuditEventKind.AUDIT_EVENT_KIND_ORG_CREATED
              : AuditEventKind.AUDIT_EVENT_KIND_ORG_UPDATED)
          .setOrg(Responses.org(c))
          .setMessage("concurrency limit " + c.concurrencyLimit()
              + c.dailyCap().map(d -> ", daily cap " + d.cap()).orElse("")
              + ", time zone " + c.timeZone().getId());
    }
    if (result instanceof Results.OrgUpdated u && command instanceof Commands.UpdateOrg c) {
      return base(c.orgId(), now, AuditEventKind.AUDIT_EVENT_KIND_ORG_UPDATED)
          .setOrg(Responses.org(u.after()))
          .setMessage(OrgChanges.describe(u.before(), u.after(), c.fields()));
    }
    if (result instanceof Results.OrgDeleted d && d.existed()) {
      return base(d.orgId(), now, AuditEventKind.AUDIT_EVENT_KIND_ORG_DELETED)
          .setMessage("org " + d.orgId() + " deleted with its reservations, limits and counters");
    }
    if (result instanceof Results.ReservationChanged r && command instanceof Commands.SetReservation s) {
      return base(s.orgId(), now, AuditEventKind.AUDIT_EVENT_KIND_RESERVATION_SET)
          .setAgentId(s.agentId())
          .setCallType(Responses.callType(s.callType()))
          .setReservation(Responses.reservation(r.reservation()))
          .setMessage("agent " + s.agentId() + ": " + s.slots() + " "
              + s.callType().name().toLowerCase(Locale.ROOT) + " slots reserved; "
              + r.reservedTotal() + " reserved in the org, " + r.sharedCapacity() + " shared");
    }
    if (result instanceof Results.AgentRemoved r && command instanceof Commands.RemoveAgent c) {
      return base(c.orgId(), now, AuditEventKind.AUDIT_EVENT_KIND_AGENT_REMOVED)
          .setAgentId(c.agentId())
          .setFreedSlots(r.freedSlots())
          .setMessage("agent " + c.agentId() + " removed: " + r.freedSlots()
              + " reserved slots returned to the shared pool, now " + r.sharedCapacity());
    }
    if (result instanceof Results.LoginLimitsChanged r && command instanceof Commands.SetLoginLimits c) {
      LoginLimits.Effective e = r.effective();
      return base(c.orgId(), now, AuditEventKind.AUDIT_EVENT_KIND_LOGIN_LIMITS_SET)
          .setLoginId(c.loginId())
          .setLoginLimits(Responses.loginLimits(r.stored()))
          .setMessage("login " + c.loginId() + " now: " + limit(e.maxConcurrent()) + " concurrent, "
              + limit(e.maxPerWindow()) + " per " + e.windowMillis() / 1000 + " s window");
    }
    if (result instanceof Results.NumberLimitsChanged r && command instanceof Commands.SetNumberLimits c) {
      NumberLimits.Effective e = r.effective();
      return base(c.orgId(), now, AuditEventKind.AUDIT_EVENT_KIND_NUMBER_LIMITS_SET)
          .setFromNumber(c.number())
          .setNumberLimits(Responses.numberLimits(r.stored()))
          .setMessage("number " + c.number() + " now: " + limit(e.maxPerDay()) + " per day, "
              + limit(e.maxPerHour()) + " per hour, " + limit(e.maxConcurrent()) + " concurrent");
    }
    return null;
  }

  /**
   * A config file, one change to several orgs: since the log is read by org, each org's log gets
   * it (same time, same list of orgs), saying what that org now has.
   */
  private static void configApplied(Results.ConfigApplied c, long now, List<AuditEvent.Builder> out) {
    String orgIds = c.orgs().stream().map(v -> v.config().orgId()).collect(Collectors.joining(", "));
    for (Results.OrgView v : c.orgs()) {
      var config = v.config();
      int reserved = v.reservations().stream().mapToInt(Results.Reservation::slots).sum();
      out.add(base(config.orgId(), now, AuditEventKind.AUDIT_EVENT_KIND_CONFIG_APPLIED)
          .setOrg(Responses.org(config))
          .setMessage("config applied to orgs " + orgIds + " as one change; org " + config.orgId()
              + (v.created() ? " created" : " updated") + ": concurrency limit "
              + config.concurrencyLimit()
              + config.dailyCap().map(d -> ", daily cap " + d.cap()).orElse("")
              + ", time zone " + config.timeZone().getId() + "; now " + reserved + " slots in "
              + v.reservations().size() + " reservations, " + v.loginOverrides().size()
              + " logins and " + v.numberOverrides().size() + " numbers with limits of their own"));
    }
  }

  /** A first decision; a retried Acquire decided nothing new. */
  private AuditEvent.Builder acquired(Commands.Acquire a, Object result, long now) {
    if (result instanceof Results.Granted g && !g.retry()) {
      return call(a, now, AuditEventKind.AUDIT_EVENT_KIND_GRANTED)
          .setLease(Responses.lease(g.lease()))
          .setMessage("granted a " + slot(g.lease().slotKind()) + " slot");
    }
    if (result instanceof Results.Held h && !h.retry()) {
      return held(call(a, now, AuditEventKind.AUDIT_EVENT_KIND_HELD), h.hold());
    }
    if (result instanceof Results.Denied d) {
      return denied(call(a, now, AuditEventKind.AUDIT_EVENT_KIND_DENIED), d.denial());
    }
    return null;
  }

  // ---- Events -----------------------------------------------------------------------------

  private AuditEvent.Builder happened(Event event, long now) {
    if (event instanceof Event.Dispatched d) {
      return call(d.call(), now, AuditEventKind.AUDIT_EVENT_KIND_DISPATCHED)
          .setLease(Responses.lease(d.lease()))
          .setWaited(Responses.duration(d.lease().grantedAt() - d.heldSince()))
          .setMessage("dispatched to a " + slot(d.lease().slotKind()) + " slot");
    }
    if (event instanceof Event.HoldChanged h) {
      return held(call(h.call(), now, AuditEventKind.AUDIT_EVENT_KIND_HOLD_CHANGED), h.hold());
    }
    if (event instanceof Event.WaitEnded w) {
      return waitEnded(w, now);
    }
    Event.LeaseEnded l = (Event.LeaseEnded) event;
    boolean expired = l.reason() == EndReason.EXPIRED;
    return call(l.call(), now, expired
            ? AuditEventKind.AUDIT_EVENT_KIND_LEASE_EXPIRED
            : AuditEventKind.AUDIT_EVENT_KIND_RELEASED)
        .setMessage(expired ? "lease expired without Renew; its slot was freed" : "released");
  }

  private AuditEvent.Builder waitEnded(Event.WaitEnded w, long now) {
    Results.Ended ended = w.ended();
    AuditEventKind kind = switch (ended.reason()) {
      case DENIED -> AuditEventKind.AUDIT_EVENT_KIND_DENIED;
      case WAIT_EXPIRED -> AuditEventKind.AUDIT_EVENT_KIND_WAIT_EXPIRED;
      case CANCELLED -> AuditEventKind.AUDIT_EVENT_KIND_CANCELLED;
      // A held call ends only in these three ways; the others end leases (LeaseEnded).
      case RELEASED -> AuditEventKind.AUDIT_EVENT_KIND_RELEASED;
      case EXPIRED -> AuditEventKind.AUDIT_EVENT_KIND_LEASE_EXPIRED;
    };
    AuditEvent.Builder b = call(w.call(), now, kind).setMessage(Sentences.ended(ended));
    if (ended.heldSince() >= 0) {
      b.setWaited(Responses.duration(ended.endedAt() - ended.heldSince()));
    }
    return ended.denial() != null ? denied(b, ended.denial()) : b;
  }

  // ---- Pieces -----------------------------------------------------------------------------

  private static AuditEvent.Builder held(AuditEvent.Builder b, Results.Hold hold) {
    var proto = Responses.hold(hold);
    return b.setHoldReason(proto.getReason()).setHold(proto).setMessage(Sentences.hold(hold));
  }

  private static AuditEvent.Builder denied(AuditEvent.Builder b, Results.Denial denial) {
    var proto = Responses.denial(denial);
    return b.setDenialReason(proto.getReason()).setDenial(proto).setMessage(Sentences.denial(denial));
  }

  /** A call event, naming who the call is. */
  private static AuditEvent.Builder call(Commands.Acquire who, long now, AuditEventKind kind) {
    return base(who.orgId(), now, kind)
        .setCallId(who.callId())
        .setAgentId(who.agentId())
        .setCallType(Responses.callType(who.callType()))
        .setLoginId(who.loginId())
        .setFromNumber(who.fromNumber());
  }

  private static AuditEvent.Builder base(String orgId, long now, AuditEventKind kind) {
    return AuditEvent.newBuilder().setTime(Responses.timestamp(now)).setKind(kind).setOrgId(orgId);
  }

  private static String slot(SlotKind kind) {
    return kind == SlotKind.RESERVED ? "reserved" : "shared";
  }

  private static String limit(int value) {
    return value == 0 ? "no limit of" : String.valueOf(value);
  }
}
