package io.admission.server;

import io.admission.server.CallLedger.Call;
import io.admission.server.CallLedger.Owner;
import io.admission.server.CallLedger.State;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceBlockingStub;
import io.admission.v1.Lease;
import io.admission.v1.ReleaseEffect;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.RenewRequest;
import io.admission.v1.RenewResponse;
import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One client thread of {@link DurabilityKillIT} for one life of the server: places new calls,
 * releases granted ones, cancels held ones, renews in batches and polls held calls, recording
 * every answer in its {@link Owner}'s part of the {@link CallLedger}. A request that fails once
 * the kill began stays unknown; one that fails while the server is up is a problem.
 */
final class LedgerClient implements Runnable {
  /** Open calls (granted or held) per client; past that it only ends, renews and polls. */
  private static final int MAX_OPEN = 8;

  private final CallLedger ledger;
  private final Owner owner;
  private final Channel channel;
  private final Random random;
  private volatile boolean stop;
  /** The soak's pace and latency record; null for DurabilityKillIT, which runs flat out. */
  private SoakIT.Pacer pacer;
  private java.util.function.LongConsumer latencies;
  /** Against a cluster the client goes on through a node's kill (its channel fails over). */
  private final boolean throughKills;
  int operations;

  LedgerClient(CallLedger ledger, Owner owner, Channel channel) {
    this(ledger, owner, channel, false);
  }

  LedgerClient(CallLedger ledger, Owner owner, Channel channel, boolean throughKills) {
    this.ledger = ledger;
    this.owner = owner;
    this.channel = channel;
    this.random = owner.random;
    this.throughKills = throughKills;
  }

  void stop() {
    stop = true;
  }

  /** Paces each step with {@code pacer} (null: none) and reports its time, in ns, to {@code latencies}. */
  LedgerClient paced(SoakIT.Pacer pacer, java.util.function.LongConsumer latencies) {
    this.pacer = pacer;
    this.latencies = latencies;
    return this;
  }

  @Override
  public void run() {
    try {
      while (!stop && (throughKills || !ledger.killing())) {
        if (pacer != null && !pacer.await()) {
          break;
        }
        long started = System.nanoTime();
        step();
        operations++;
        if (latencies != null) {
          latencies.accept(System.nanoTime() - started);
        }
      }
    } catch (RuntimeException e) {
      ledger.problem("client " + owner.index + " crashed: " + e);
    }
  }

  private AdmissionServiceBlockingStub calls() {
    return AdmissionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private void step() {
    int open = owner.granted.size() + owner.held.size();
    int dice = random.nextInt(100);
    if (dice < 27 && !owner.granted.isEmpty()) {
      releaseGranted();
    } else if (dice < 35 && !owner.held.isEmpty()) {
      releaseHeld();
    } else if (dice < 47 && open > 0) {
      renew();
    } else if (dice < 55 && !owner.held.isEmpty()) {
      pollHeld();
    } else if (open < MAX_OPEN) {
      acquireNew();
    } else if (!owner.granted.isEmpty()) {
      releaseGranted();
    } else {
      releaseHeld(); // all open calls are held: cancel one to make room
    }
  }

  private void acquireNew() {
    Call c = ledger.newCall(owner);
    AcquireResponse r;
    try {
      r = calls().acquire(c.request);
    } catch (StatusRuntimeException e) {
      lost("Acquire of new " + c, e); // stays ACQUIRE_UNKNOWN
      return;
    }
    c.ackTick = ledger.clock.incrementAndGet();
    if (r.getRetry() && !(throughKills && ledger.killing())) {
      // Against a cluster during a failover the channel may send an Acquire again (UNAVAILABLE)
      // whose first attempt was applied: then "retry" is the right answer.
      ledger.problem("a new call_id " + c + " was answered as a retry: " + r);
    }
    switch (r.getOutcome()) {
      case OUTCOME_GRANTED -> {
        c.granted();
        owner.granted.add(c);
      }
      case OUTCOME_HELD -> {
        c.state = State.HELD;
        c.position = r.getHold().getPosition();
        owner.held.add(c);
      }
      case OUTCOME_DENIED -> ledger.deniedOk(c, "denied at once");
      default -> ledger.problem("Acquire of " + c + " has no outcome: " + r);
    }
  }

  private void releaseGranted() {
    Call c = take(owner.granted);
    c.state = State.RELEASE_UNKNOWN;
    c.beforeRelease = State.GRANTED;
    ReleaseEffect effect;
    try {
      effect = calls().release(release(c)).getEffect();
    } catch (StatusRuntimeException e) {
      lost("Release of granted " + c, e);
      return;
    }
    if (effect == ReleaseEffect.RELEASE_EFFECT_NOT_ACTIVE && throughKills && ledger.killing()) {
      // The channel sent it again after a node failed (UNAVAILABLE), and the first attempt had
      // ended the call: NOT_ACTIVE is then the right answer. The check asks the call's state.
      return;
    }
    if (effect != ReleaseEffect.RELEASE_EFFECT_RELEASED) {
      ledger.problem("Release of granted " + c + " answered " + effect);
    }
    c.ended("released");
  }

  private void releaseHeld() {
    Call c = take(owner.held);
    c.state = State.RELEASE_UNKNOWN;
    c.beforeRelease = State.HELD;
    ReleaseEffect effect;
    try {
      effect = calls().release(release(c)).getEffect();
    } catch (StatusRuntimeException e) {
      lost("Release of held " + c, e);
      return;
    }
    switch (effect) {
      case RELEASE_EFFECT_CANCELLED -> c.ended("cancelled");
      case RELEASE_EFFECT_RELEASED -> { // dispatched before the release came
        c.everGranted = true;
        c.ended("released");
      }
      case RELEASE_EFFECT_NOT_ACTIVE -> {
        if (throughKills && ledger.killing()) {
          return; // perhaps sent again after a failover: as for a granted call, the check asks
        }
        // Only a denial at dispatch ends a held call behind its client's back.
        c.state = State.HELD;
        if (ledger.resolve(calls(), c, true) == null) {
          c.state = State.RELEASE_UNKNOWN; // the kill came: the test thread asks again
        } else if (c.state != State.ENDED) {
          ledger.problem("Release of held " + c + " answered NOT_ACTIVE, but it is not ended");
        }
      }
      default -> ledger.problem("Release of held " + c + " answered " + effect);
    }
  }

  /** Renews a few granted calls (all must be there) and a few held ones (learning dispatches). */
  private void renew() {
    List<Call> batch = new ArrayList<>();
    int size = 1 + random.nextInt(6);
    for (int i = 0; i < size; i++) {
      List<Call> from = owner.held.isEmpty() || (!owner.granted.isEmpty() && random.nextBoolean())
          ? owner.granted : owner.held;
      if (!from.isEmpty()) {
        Call c = from.get(random.nextInt(from.size()));
        if (!batch.contains(c)) {
          batch.add(c);
        }
      }
    }
    RenewRequest.Builder request = RenewRequest.newBuilder().setOrgId(CallLedger.ORG);
    batch.forEach(c -> request.addCallIds(c.id));
    RenewResponse r;
    try {
      r = calls().renew(request.build());
    } catch (StatusRuntimeException e) {
      lost("Renew of " + batch, e); // renewing changes no count: nothing becomes unknown
      return;
    }
    Set<String> leased = new HashSet<>();
    for (Lease lease : r.getLeasesList()) {
      leased.add(lease.getCallId());
    }
    Set<String> held = new HashSet<>(r.getHeldCallIdsList());
    for (Call c : batch) {
      if (c.state == State.GRANTED && !leased.contains(c.id)) {
        ledger.problem("Renew lost the lease of " + c + ": " + r);
      } else if (c.state == State.HELD && leased.contains(c.id)) {
        owner.held.remove(c);
        c.granted();
        owner.granted.add(c);
      } else if (c.state == State.HELD && !held.contains(c.id)) {
        pollHeld(c); // not held, not leased: only a denial at dispatch may explain it
      }
    }
  }

  private void pollHeld() {
    pollHeld(owner.held.get(random.nextInt(owner.held.size())));
  }

  private void pollHeld(Call c) {
    if (ledger.resolve(calls(), c, true) == null) {
      return; // the kill came; a retried Acquire changes nothing, so nothing is unknown
    }
    if (c.state != State.HELD) {
      owner.held.remove(c);
      if (c.state == State.GRANTED) {
        owner.granted.add(c);
      }
    }
  }

  private void lost(String what, StatusRuntimeException e) {
    if (!ledger.killing()) {
      ledger.problem(what + " failed while the server was up: " + e.getStatus());
    }
  }

  private Call take(List<Call> from) {
    int i = random.nextInt(from.size());
    Call c = from.get(i);
    from.set(i, from.get(from.size() - 1));
    from.remove(from.size() - 1);
    return c;
  }

  private static ReleaseRequest release(Call c) {
    return ReleaseRequest.newBuilder().setOrgId(CallLedger.ORG).setCallId(c.id).build();
  }
}
