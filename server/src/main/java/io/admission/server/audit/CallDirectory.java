package io.admission.server.audit;

import io.admission.server.engine.Commands;
import io.admission.server.engine.EngineSnapshot;
import io.admission.server.engine.Results;
import java.util.HashMap;
import java.util.Map;

/**
 * Who each live call is — agent, type, login, number — for the events that name only the call
 * (a hold that changed, the end of a wait or a lease). Kept by the audit writer thread from the
 * Acquires and dispatches it records, and forgotten when the call ends, so it holds one entry per
 * held or running call (about 100 bytes each, off the loop). After a restart it is seeded from
 * the recovered engine, so calls from before the restart are named too.
 *
 * <p>Owned by the audit writer thread (seeding happens before that thread starts).
 */
final class CallDirectory {
  /** org id → call id → the Acquire that named the call. Nested so a lookup allocates nothing. */
  private final Map<String, Map<String, Commands.Acquire>> byOrg = new HashMap<>();

  void add(Commands.Acquire call) {
    byOrg.computeIfAbsent(call.orgId(), k -> new HashMap<>()).put(call.callId(), call);
  }

  /** A dispatched call, named by its lease (the Acquire is there already unless it predates us). */
  void add(Results.Lease lease) {
    if (find(lease.orgId(), lease.callId()) == null) {
      add(new Commands.Acquire(lease.orgId(), lease.callId(), lease.agentId(), lease.callType(),
          lease.loginId(), lease.fromNumber(), lease.ttlMillis(), 0));
    }
  }

  /** The call, or null when it is not known (it ended, or was never seen). */
  Commands.Acquire find(String orgId, String callId) {
    Map<String, Commands.Acquire> calls = byOrg.get(orgId);
    return calls == null ? null : calls.get(callId);
  }

  /** Forgets an ended call; returns it, or null. */
  Commands.Acquire remove(String orgId, String callId) {
    Map<String, Commands.Acquire> calls = byOrg.get(orgId);
    if (calls == null) {
      return null;
    }
    Commands.Acquire call = calls.remove(callId);
    if (calls.isEmpty()) {
      byOrg.remove(orgId);
    }
    return call;
  }

  /** Every held or running call of a recovered engine. */
  void seed(EngineSnapshot snapshot) {
    for (EngineSnapshot.Org org : snapshot.orgs()) {
      for (EngineSnapshot.CallState call : org.calls()) {
        if (call.phase() != EngineSnapshot.Phase.ENDED) {
          add(call.request());
        }
      }
    }
  }

  /** Calls known; for tests. */
  int size() {
    int n = 0;
    for (Map<String, Commands.Acquire> calls : byOrg.values()) {
      n += calls.size();
    }
    return n;
  }
}
