package io.admission.server.api;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.Rejection;
import java.util.Locale;

/**
 * The words of a refused request: the engine says what was wrong with its figures ({@link
 * Rejection.Reason}); this puts it in the sentence an operator or a dialer reads, the same in the
 * gRPC status, the web API and a refused config file. Each sentence says what to do about it.
 */
public final class Refusals {
  private Refusals() {}

  /** The sentence of {@code r}, without its field (the status carries that on its own). */
  public static String text(Rejection r) {
    Rejection.Reason why = r.reason();
    if (why instanceof Rejection.UnknownOrg x) {
      return "org " + x.orgId() + " does not exist";
    }
    if (why instanceof Rejection.UnknownCall x) {
      return "call " + x.callId() + " is not known in org " + x.orgId()
          + " (never acquired, or ended more than 10 minutes ago)";
    }
    if (why instanceof Rejection.CallIdUsed x) {
      return "call_id " + x.callId() + " is already used in org "
          + x.orgId() + " by a call with " + request(x.existing())
          + "; use a new call_id for a different call";
    }
    if (why instanceof Rejection.CallEnded x) {
      return "call " + x.callId() + " was " + Sentences.words(x.endReason())
          + " at " + Sentences.dateTime(x.endedAt())
          + "; a call_id is never granted twice: use a new call_id";
    }
    if (why instanceof Rejection.HeldBound x) {
      return "call " + x.callId() + " would be held, but org " + x.orgId()
          + " already holds " + x.held() + " calls, its bound of " + x.max()
          + "; retry once held calls have been dispatched or cancelled";
    }
    if (why instanceof Rejection.OrgBound x) {
      return "org " + x.orgId()
          + (x.adding() == 1 ? "" : " and the other new ones") + " is not created: the server"
          + " holds " + x.orgs() + " orgs and "
          + (x.adding() == 1 ? "one more" : x.adding() + " more") + " would be over its bound of "
          + x.max() + "; delete unused orgs first";
    }
    if (why instanceof Rejection.LimitBelowReserved x) {
      return "concurrency_limit " + x.limit() + " is below the "
          + x.reserved() + " slots reserved for agents in org " + x.orgId()
          + (x.byUnlisted()
              ? " by reservations this config does not list; lower or remove those first"
              : "; lower or remove reservations first");
    }
    if (why instanceof Rejection.ReservedOverLimit x) {
      return "reserving " + x.slots() + " " + name(x.callType())
          + " slots for agent " + x.agentId() + " would make " + x.total() + " reserved in org "
          + x.orgId() + ", over its concurrency limit of " + x.limit() + " ("
          + (x.byThis() < 0
              ? x.others() + " of them by reservations this config does not list)"
              : x.others() + " reserved now, " + x.byThis()
                  + " of them by this agent and call type)");
    }
    if (why instanceof Rejection.OrgHasCalls x) {
      return "org " + x.orgId() + " has " + x.active() + " active and "
          + x.held() + " held calls; release or cancel them first";
    }
    if (why instanceof Rejection.Repeated x) {
      return repeated(x);
    }
    throw new IllegalArgumentException("no words for " + why.getClass().getSimpleName());
  }

  private static String repeated(Rejection.Repeated x) {
    String what = switch (x.list()) {
      case "orgs" -> "\"" + x.id() + "\"";
      case "reservations" -> "agent " + x.id() + "'s " + name(x.callType()) + " reservation";
      case "login_limits" -> "login \"" + x.id() + "\"";
      case "number_limits" -> "number \"" + x.id() + "\"";
      default -> x.list() + " entry \"" + x.id() + "\"";
    };
    return what + " repeats " + x.list() + "[" + x.first() + "]";
  }

  /** What a call_id already stands for, field by field. */
  private static String request(Commands.Acquire r) {
    return "agent_id=\"" + r.agentId() + "\" call_type=" + r.callType() + " login_id=\""
        + r.loginId() + "\" from_number=\"" + r.fromNumber() + "\" lease_ttl="
        + r.leaseTtlMillis() + "ms max_wait=" + r.maxWaitMillis() + "ms";
  }

  private static String name(CallType type) {
    return type.name().toLowerCase(Locale.ROOT);
  }
}
