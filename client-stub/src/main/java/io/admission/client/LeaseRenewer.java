package io.admission.client;

import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceStub;
import io.admission.v1.Lease;
import io.admission.v1.RenewRequest;
import io.admission.v1.RenewResponse;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps granted leases alive: each is renewed a third of its TTL after it was granted or last
 * renewed, and all leases of one org that are due go out in one {@code Renew} call.
 *
 * <p>Batching: when an org's timer fires, every lease of that org due within the next sixth of
 * its own TTL rides along, so leases granted close together settle into one batch instead of one
 * Renew each. Each org has a single timer, set to its earliest next renewal. A timer run scans
 * that org's leases once: O(leases of the org), about the size of the batch it sends anyway.
 *
 * <p>Threads: {@link #track}, {@link #untrack} and {@link #close} run on any thread; timers run
 * on the scheduler (they only start the asynchronous Renew); Renew answers run on gRPC's callback
 * executor, which also calls {@link AcquireListener#onLeaseLost}. All state is guarded by
 * {@code this}, which is never held while calling gRPC or a listener.
 */
final class LeaseRenewer {
  private static final System.Logger LOG = System.getLogger(LeaseRenewer.class.getName());
  /** The server takes at most this many ids per Renew. */
  static final int MAX_BATCH = 1000;
  /** TTL assumed for a lease that states none (the server's own default). */
  private static final long DEFAULT_TTL_NANOS = TimeUnit.HOURS.toNanos(1);
  private static final long MIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final AdmissionServiceStub stub;
  private final ScheduledExecutorService scheduler;
  private final Map<String, OrgLeases> orgs = new HashMap<>();
  private boolean closed;

  LeaseRenewer(AdmissionServiceStub stub, ScheduledExecutorService scheduler) {
    this.stub = stub;
    this.scheduler = scheduler;
  }

  /** Starts renewing {@code lease} (replacing an earlier lease of the same call). */
  synchronized void track(Lease lease, AcquireListener listener) {
    if (closed) {
      return;
    }
    OrgLeases org = orgs.computeIfAbsent(lease.getOrgId(), id -> new OrgLeases());
    Tracked tracked = new Tracked(lease, listener, System.nanoTime());
    org.leases.put(lease.getCallId(), tracked);
    wakeAt(lease.getOrgId(), org, tracked.renewAt);
  }

  /** Stops renewing the call; a Renew already on its way is ignored when it answers. */
  synchronized void untrack(String orgId, String callId) {
    OrgLeases org = orgs.get(orgId);
    if (org != null && org.leases.remove(callId) != null && org.leases.isEmpty()) {
      dropOrg(orgId, org);
    }
  }

  /** Stops all renewals and timers; leases are not released. */
  synchronized void close() {
    closed = true;
    orgs.values().forEach(org -> org.cancelTimer());
    orgs.clear();
  }

  /** Scheduler thread: sends one Renew (per {@value #MAX_BATCH} ids) for the org's due leases. */
  private void renewDue(String orgId) {
    List<Tracked> due = new ArrayList<>();
    synchronized (this) {
      OrgLeases org = orgs.get(orgId);
      if (closed || org == null) {
        return;
      }
      org.timer = null;
      long now = System.nanoTime();
      Long next = null;
      for (Tracked t : org.leases.values()) {
        if (t.inFlight) {
          continue;
        }
        if (t.renewAt - now <= t.ttlNanos / 6) {
          t.inFlight = true;
          due.add(t);
        } else if (next == null || t.renewAt - next < 0) {
          next = t.renewAt;
        }
      }
      if (next != null) {
        wakeAt(orgId, org, next);
      }
    }
    for (int from = 0; from < due.size(); from += MAX_BATCH) {
      send(orgId, due.subList(from, Math.min(due.size(), from + MAX_BATCH)));
    }
  }

  private void send(String orgId, List<Tracked> batch) {
    RenewRequest.Builder request = RenewRequest.newBuilder().setOrgId(orgId);
    long deadline = Long.MAX_VALUE;
    for (Tracked t : batch) {
      request.addCallIds(t.lease.getCallId());
      deadline = Math.min(deadline, t.intervalNanos());
    }
    // An answer later than the next renewal is of no use: the retry will ask again.
    FutureObserver<RenewResponse> answer = new FutureObserver<>();
    stub.withDeadlineAfter(deadline, TimeUnit.NANOSECONDS).renew(request.build(), answer);
    answer.future().whenComplete((response, error) -> {
      if (error != null) {
        renewFailed(orgId, batch, error);
      } else {
        renewed(orgId, batch, response);
      }
    });
  }

  /** gRPC callback thread. */
  private void renewed(String orgId, List<Tracked> batch, RenewResponse response) {
    List<Tracked> lost = new ArrayList<>();
    synchronized (this) {
      OrgLeases org = orgs.get(orgId);
      if (org == null) {
        return;
      }
      long now = System.nanoTime();
      Map<String, Tracked> sent = new HashMap<>();
      batch.forEach(t -> sent.put(t.lease.getCallId(), t));
      for (Lease lease : response.getLeasesList()) {
        Tracked t = sent.remove(lease.getCallId());
        if (t != null && org.leases.get(lease.getCallId()) == t) {
          t.renewed(lease, now);
          wakeAt(orgId, org, t.renewAt);
        }
      }
      for (String callId : response.getUnknownCallIdsList()) {
        Tracked t = sent.remove(callId);
        if (t != null && org.leases.remove(callId, t)) {
          lost.add(t);
        }
      }
      // Neither renewed nor unknown (held, or left out of the answer): ask again soon.
      sent.values().forEach(t -> retryLater(orgId, org, t, now));
      if (org.leases.isEmpty()) {
        dropOrg(orgId, org);
      }
    }
    for (Tracked t : lost) {
      try {
        t.listener.onLeaseLost(t.lease);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "onLeaseLost listener failed", e);
      }
    }
  }

  /** gRPC callback thread. */
  private void renewFailed(String orgId, List<Tracked> batch, Throwable error) {
    synchronized (this) {
      OrgLeases org = orgs.get(orgId);
      if (org == null) {
        return; // closed, or its leases were released meanwhile
      }
      long now = System.nanoTime();
      batch.forEach(t -> retryLater(orgId, org, t, now));
    }
    LOG.log(Level.WARNING, "Renew of {0} lease(s) of org {1} failed, will retry: {2}",
        batch.size(), orgId, error.toString());
  }

  private void retryLater(String orgId, OrgLeases org, Tracked t, long now) {
    if (org.leases.get(t.lease.getCallId()) == t) {
      t.inFlight = false;
      t.renewAt = now + Math.min(MAX_RETRY_NANOS, Math.max(MIN_INTERVAL_NANOS, t.ttlNanos / 10));
      wakeAt(orgId, org, t.renewAt);
    }
  }

  /** Makes the org's timer fire no later than {@code at} (a {@link System#nanoTime} value). */
  private void wakeAt(String orgId, OrgLeases org, long at) {
    if (closed || (org.timer != null && org.timerAt - at <= 0)) {
      return;
    }
    org.cancelTimer();
    try {
      org.timer = scheduler.schedule(
          () -> renewDue(orgId), at - System.nanoTime(), TimeUnit.NANOSECONDS);
      org.timerAt = at;
    } catch (RejectedExecutionException e) {
      LOG.log(Level.WARNING, "scheduler is shut down: org " + orgId + " is not renewed", e);
    }
  }

  private void dropOrg(String orgId, OrgLeases org) {
    org.cancelTimer();
    orgs.remove(orgId);
  }

  /** The lease's TTL; when it states none, the one it had before, else what its times imply. */
  static long ttlNanos(Lease lease, long previous) {
    if (lease.hasTtl() && Durations.toNanos(lease.getTtl()) > 0) {
      return Durations.toNanos(lease.getTtl());
    }
    if (previous > 0) {
      return previous;
    }
    if (lease.hasGrantedAt() && lease.hasExpiresAt()) {
      long nanos = Durations.toNanos(
          Timestamps.between(lease.getGrantedAt(), lease.getExpiresAt()));
      if (nanos > 0) {
        return nanos;
      }
    }
    return DEFAULT_TTL_NANOS;
  }

  /** The leases of one org, in the order they were granted, and the org's one timer. */
  private static final class OrgLeases {
    final Map<String, Tracked> leases = new LinkedHashMap<>();
    ScheduledFuture<?> timer;
    long timerAt;

    void cancelTimer() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
    }
  }

  /** One lease being renewed. */
  private static final class Tracked {
    final AcquireListener listener;
    Lease lease;
    long ttlNanos;
    /** When it is next due, as a {@link System#nanoTime} value. */
    long renewAt;
    boolean inFlight;

    Tracked(Lease lease, AcquireListener listener, long now) {
      this.listener = listener;
      renewed(lease, now);
    }

    void renewed(Lease renewedLease, long now) {
      lease = renewedLease;
      ttlNanos = ttlNanos(renewedLease, ttlNanos);
      renewAt = now + intervalNanos();
      inFlight = false;
    }

    long intervalNanos() {
      return Math.max(MIN_INTERVAL_NANOS, ttlNanos / 3);
    }
  }
}
