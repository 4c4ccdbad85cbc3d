package io.admission.server.metrics;

import io.admission.server.engine.CallType;
import io.admission.server.engine.Commands;
import io.admission.server.engine.DenialReason;
import io.admission.server.engine.EndReason;
import io.admission.server.engine.Engine;
import io.admission.server.engine.Event;
import io.admission.server.engine.HoldReason;
import io.admission.server.engine.Rejection;
import io.admission.server.engine.Results;
import io.admission.server.engine.SlotKind;
import io.admission.server.engine.StatusView;
import io.admission.server.loop.LoopObserver;
import io.admission.v1.ClusterNode;
import io.admission.v1.GetClusterStatusResponse;
import io.admission.v1.NodeRole;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Admission's own metrics, through the OpenTelemetry API only (Main decides whether an SDK and
 * the Prometheus exporter stand behind it; without them every call here is a no-op).
 *
 * <table>
 *   <caption>Instruments (Prometheus names in brackets)</caption>
 *   <tr><td>admission.decisions</td><td>counter [admission_decisions_total]: first answers to
 *       Acquire by {@code admission.outcome} (granted, held, denied, rejected), {@code
 *       admission.reason} (hold or denial reason, or the refusal's kind), {@code
 *       admission.call_type}, and for grants {@code admission.slot_kind}. Retries of a known
 *       call_id decide nothing and are not counted.</td></tr>
 *   <tr><td>admission.dispatches</td><td>counter: held calls granted, by call type and slot kind</td></tr>
 *   <tr><td>admission.lease.expiries</td><td>counter: leases that expired without Renew, by
 *       {@code admission.org_id} — a leak indicator (a client that loses its calls); observed,
 *       so a deleted org's series ends</td></tr>
 *   <tr><td>admission.queue.waiters</td><td>up-down counter: held calls now, by org (observed;
 *       a deleted org's series ends)</td></tr>
 *   <tr><td>admission.pool.in_use</td><td>up-down counter: granted calls running now, by org
 *       (observed; a deleted org's series ends)</td></tr>
 *   <tr><td>admission.pool.limit</td><td>gauge: the org's concurrency limit, by org</td></tr>
 *   <tr><td>admission.pool.reserved</td><td>gauge: slots reserved for agents, by org (the
 *       limit less what is shared)</td></tr>
 *   <tr><td>admission.wait.duration</td><td>histogram, s: how long dispatched calls were held</td></tr>
 *   <tr><td>admission.loop.batch.size</td><td>histogram: tasks per loop turn (0: a turn
 *       that only fired timers)</td></tr>
 *   <tr><td>admission.loop.turn.duration</td><td>histogram, s: one loop turn, journal sync
 *       included</td></tr>
 *   <tr><td>admission.cluster.leader</td><td>gauge, cluster nodes only: 1 while this node leads
 *       the group, else 0, by {@code admission.group} (the Raft group's number, "0" to G-1 with
 *       {@code --groups G}; "0" alone with one), {@code admission.node_id} and {@code
 *       admission.node.role} (leader, follower, candidate, unspecified)</td></tr>
 *   <tr><td>admission.cluster.applied_index</td><td>gauge, cluster nodes only: the last entry of
 *       the group's log this node applied, by group and node id (a follower far below the
 *       group's leader is behind)</td></tr>
 *   <tr><td>admission.cluster.commit.duration</td><td>histogram, s, cluster nodes only: from a
 *       proposal (one loop turn's commands) handed to Ratis until this node applied its entry —
 *       what a write's caller waits for — by group</td></tr>
 * </table>
 *
 * <p>Threads: every method runs on the loop thread (a {@link LoopObserver}), except {@link
 * #seed}, which Main calls before the loop starts, and the callbacks, which the metrics reader
 * runs. Every org the engine holds has its four per-org values from the start: {@link #seed} reads
 * them from a recovered engine, and the results of PutOrg, UpdateOrg, reservation changes and a
 * config file set them as they happen, so an org is reported before its first call.
 *
 * <p>Cost: the loop decides every call, so what it counts must cost next to nothing. Decisions,
 * dispatches and expiries are plain counts that only the loop thread writes (an ordered store: no
 * lock, no SDK call), read by the metrics reader when it collects; the per-org values likewise,
 * after one lookup of the org. Only the histograms go through the SDK, once per dispatch and once
 * per loop turn, never per request. Attribute sets are built once (per org: on first sight), so
 * recording allocates nothing.
 */
public final class AdmissionMetrics implements LoopObserver {
  /** The instrumentation scope. */
  public static final String SCOPE = "io.admission.server";

  static final AttributeKey<String> ORG = AttributeKey.stringKey("admission.org_id");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("admission.outcome");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("admission.reason");
  static final AttributeKey<String> CALL_TYPE = AttributeKey.stringKey("admission.call_type");
  static final AttributeKey<String> SLOT_KIND = AttributeKey.stringKey("admission.slot_kind");
  static final AttributeKey<String> NODE = AttributeKey.stringKey("admission.node_id");
  static final AttributeKey<String> ROLE = AttributeKey.stringKey("admission.node.role");
  static final AttributeKey<String> GROUP = AttributeKey.stringKey("admission.group");

  private static final List<Double> WAIT_BUCKETS = List.of(
      0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0);
  private static final List<Double> TURN_BUCKETS = List.of(
      0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05, 0.1, 0.25, 1.0);
  /** Commits cross the network and a disk sync on a majority: 0.5 ms to seconds (an election). */
  private static final List<Double> COMMIT_BUCKETS = List.of(
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0);
  private static final List<Long> BATCH_BUCKETS = List.of(
      0L, 1L, 2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 512L, 1024L);

  private static final int TYPES = CallType.values().length;

  private final DoubleHistogram waitDuration;
  private final LongHistogram batchSize;
  private final DoubleHistogram turnDuration;
  private final DoubleHistogram commitDuration;

  /** First answers to Acquire, one count per attribute set of {@link #decisionAttributes}. */
  private final Counts decisions;
  private final Attributes[] decisionAttributes;
  /** Where each outcome's attribute sets start in {@link #decisions}. */
  private final int heldAt;
  private final int deniedAt;
  private final int rejectedAt;
  private final Counts dispatches;
  private final Attributes[] dispatchAttributes;
  private final Attributes[] byCallType = new Attributes[TYPES];

  /**
   * The per-org values, moved by the loop thread and read by the metrics reader's callbacks. An
   * org's entry goes when DeleteOrg deletes it, so its series stop being reported: they are
   * observed values (asynchronous instruments), which a synchronous instrument could never drop.
   */
  private final Map<String, OrgValues> byOrg = new ConcurrentHashMap<>();

  /** One org's attributes (built once) and its values now; only the loop thread writes them. */
  private static final class OrgValues {
    final Attributes attributes;
    final AtomicLong waiters = new AtomicLong();
    final AtomicLong inUse = new AtomicLong();
    final AtomicLong limit = new AtomicLong();
    final AtomicLong reserved = new AtomicLong();
    final AtomicLong expiries = new AtomicLong();

    OrgValues(String orgId) {
      attributes = Attributes.of(ORG, orgId);
    }
  }

  /**
   * Counts that one thread (the loop) moves and another (the metrics reader) reads: a plain read
   * and an ordered store, since no other thread writes; no lock, no read-modify-write.
   */
  private static final class Counts {
    private final AtomicLongArray values;

    Counts(int size) {
      values = new AtomicLongArray(size);
    }

    void add(int i) {
      values.lazySet(i, values.getPlain(i) + 1);
    }

    /** Every count above 0 (a set never counted has no series, as with a synchronous counter). */
    void report(Attributes[] attributes, ObservableLongMeasurement m) {
      for (int i = 0; i < attributes.length; i++) {
        long v = values.get(i);
        if (v > 0) {
          m.record(v, attributes[i]);
        }
      }
    }
  }

  private static void add(AtomicLong value, long delta) {
    value.lazySet(value.get() + delta);
  }

  private final Meter meter;

  public AdmissionMetrics(OpenTelemetry openTelemetry) {
    meter = openTelemetry.getMeter(SCOPE);
    List<Attributes> d = new ArrayList<>();
    Attributes[] dispatched = new Attributes[TYPES * SlotKind.values().length];
    for (CallType type : CallType.values()) {
      String t = name(type);
      byCallType[type.ordinal()] = Attributes.of(CALL_TYPE, t);
      for (SlotKind kind : SlotKind.values()) {
        d.add(Attributes.of(OUTCOME, "granted", CALL_TYPE, t, SLOT_KIND, name(kind)));
        dispatched[type.ordinal() * SlotKind.values().length + kind.ordinal()] =
            Attributes.of(CALL_TYPE, t, SLOT_KIND, name(kind));
      }
    }
    heldAt = d.size();
    for (CallType type : CallType.values()) {
      for (HoldReason reason : HoldReason.values()) {
        d.add(Attributes.of(OUTCOME, "held", REASON, name(reason), CALL_TYPE, name(type)));
      }
    }
    deniedAt = d.size();
    for (CallType type : CallType.values()) {
      for (DenialReason reason : DenialReason.values()) {
        d.add(Attributes.of(OUTCOME, "denied", REASON, name(reason), CALL_TYPE, name(type)));
      }
    }
    rejectedAt = d.size();
    for (Rejection.Kind kind : Rejection.Kind.values()) {
      d.add(Attributes.of(OUTCOME, "rejected", REASON, name(kind)));
    }
    decisionAttributes = d.toArray(Attributes[]::new);
    decisions = new Counts(decisionAttributes.length);
    dispatchAttributes = dispatched;
    dispatches = new Counts(dispatched.length);

    meter.counterBuilder("admission.decisions").setUnit("{decision}")
        .setDescription("First answers to Acquire, by outcome and reason")
        .buildWithCallback(m -> decisions.report(decisionAttributes, m));
    meter.counterBuilder("admission.dispatches").setUnit("{call}")
        .setDescription("Held calls granted when capacity freed")
        .buildWithCallback(m -> dispatches.report(dispatchAttributes, m));
    meter.counterBuilder("admission.lease.expiries").setUnit("{lease}")
        .setDescription("Leases that expired without Renew (their slots were freed)")
        .buildWithCallback(m -> byOrg.values().forEach(o -> {
          if (o.expiries.get() > 0) {
            m.record(o.expiries.get(), o.attributes);
          }
        }));
    meter.upDownCounterBuilder("admission.queue.waiters").setUnit("{call}")
        .setDescription("Held calls waiting now, per org")
        .buildWithCallback(m -> byOrg.values().forEach(o -> m.record(o.waiters.get(), o.attributes)));
    meter.upDownCounterBuilder("admission.pool.in_use").setUnit("{call}")
        .setDescription("Granted calls running now, per org")
        .buildWithCallback(m -> byOrg.values().forEach(o -> m.record(o.inUse.get(), o.attributes)));
    meter.gaugeBuilder("admission.pool.limit").ofLongs().setUnit("{slot}")
        .setDescription("The org's concurrency limit")
        .buildWithCallback(m -> byOrg.values().forEach(o -> m.record(o.limit.get(), o.attributes)));
    meter.gaugeBuilder("admission.pool.reserved").ofLongs().setUnit("{slot}")
        .setDescription("Slots of the org's limit reserved for agents")
        .buildWithCallback(m -> byOrg.values().forEach(o -> m.record(o.reserved.get(), o.attributes)));
    waitDuration = meter.histogramBuilder("admission.wait.duration").setUnit("s")
        .setDescription("How long dispatched calls were held")
        .setExplicitBucketBoundariesAdvice(WAIT_BUCKETS).build();
    batchSize = meter.histogramBuilder("admission.loop.batch.size").ofLongs().setUnit("{task}")
        .setDescription("Tasks per loop turn")
        .setExplicitBucketBoundariesAdvice(BATCH_BUCKETS).build();
    turnDuration = meter.histogramBuilder("admission.loop.turn.duration").setUnit("s")
        .setDescription("Duration of one loop turn (the journal syncs on its own thread)")
        .setExplicitBucketBoundariesAdvice(TURN_BUCKETS).build();
    commitDuration = meter.histogramBuilder("admission.cluster.commit.duration").setUnit("s")
        .setDescription("From a proposal handed to the cluster's log until this node applied it")
        .setExplicitBucketBoundariesAdvice(COMMIT_BUCKETS).build();
  }

  /**
   * Counts background snapshot writes that failed, read from {@code failures} when metrics are
   * collected. Each failure is also logged; the journal keeps every record, so none loses data,
   * but replay at the next start grows until a snapshot succeeds.
   */
  public void snapshotFailures(LongSupplier failures) {
    meter.counterBuilder("admission.snapshot.failures").setUnit("{snapshot}")
        .setDescription("Background snapshot writes that failed (the journal still holds everything)")
        .buildWithCallback(m -> m.record(failures.getAsLong()));
  }

  /**
   * Reports this cluster node's role and applied index in each Raft group, read from {@code
   * groups} once per collection, on the metrics reader's thread: group {@code g}'s entry is the
   * GetClusterStatus answer group {@code g} alone would give (its own entry is the one {@code
   * answered_by} names). Only cluster nodes call this: a server alone has no such series.
   */
  public void clusterNode(Supplier<List<GetClusterStatusResponse>> groups) {
    ObservableLongMeasurement leader = meter.gaugeBuilder("admission.cluster.leader").ofLongs()
        .setUnit("1").setDescription("1 while this node leads the group, else 0; its role as an attribute")
        .buildObserver();
    ObservableLongMeasurement applied = meter.gaugeBuilder("admission.cluster.applied_index").ofLongs()
        .setUnit("{entry}").setDescription("The last entry of the group's log this node applied")
        .buildObserver();
    meter.batchCallback(() -> {
      List<GetClusterStatusResponse> all = groups.get();
      for (int g = 0; g < all.size(); g++) {
        GetClusterStatusResponse s = all.get(g);
        String group = Integer.toString(g);
        for (ClusterNode node : s.getNodesList()) {
          if (node.getNodeId().equals(s.getAnsweredBy())) {
            leader.record(node.getRole() == NodeRole.NODE_ROLE_LEADER ? 1 : 0, Attributes.of(
                NODE, node.getNodeId(), ROLE, role(node.getRole()), GROUP, group));
            applied.record(node.getAppliedIndex(), Attributes.of(NODE, node.getNodeId(), GROUP, group));
          }
        }
      }
    }, leader, applied);
  }

  /**
   * Records the commit latency of Raft group {@code group}: to observe that group's loop (its
   * {@link LoopObserver#committed} calls, on the loop thread). Attributes built once here.
   */
  public LoopObserver commitsOf(int group) {
    Attributes attributes = Attributes.of(GROUP, Integer.toString(group));
    return new LoopObserver() {
      @Override
      public void committed(long nanos) {
        commitDuration.record(nanos / 1e9, attributes);
      }
    };
  }

  private static String role(NodeRole role) {
    return switch (role) {
      case NODE_ROLE_LEADER -> "leader";
      case NODE_ROLE_FOLLOWER -> "follower";
      case NODE_ROLE_CANDIDATE -> "candidate";
      default -> "unspecified";
    };
  }

  /**
   * Starts the per-org values from a recovered engine: its running and held calls. Call before
   * the loop starts (the engine is not yet the loop's); costs one status per org, once.
   */
  public void seed(Engine engine, long now) {
    String after = "";
    while (true) {
      Results.OrgPage page = (Results.OrgPage) engine.listOrgs(after, 1000);
      for (var config : page.orgs()) {
        if (engine.status(config.orgId(), now) instanceof StatusView.Org s) {
          OrgValues org = org(s.orgId());
          add(org.inUse, s.inUse());
          add(org.waiters, s.queued());
          org.limit.set(s.limit());
          org.reserved.set(s.limit() - s.sharedCapacity());
        }
      }
      if (page.nextPageToken().isEmpty()) {
        return;
      }
      after = page.nextPageToken();
    }
  }

  // ---- LoopObserver (loop thread) ---------------------------------------------------------

  @Override
  public void applied(Commands.Command<?> command, Object result, long now) {
    if (command instanceof Commands.Acquire a) {
      decided(a, result);
    } else if (result instanceof Results.OrgView v) {
      configured(v);
    } else if (result instanceof Results.ConfigApplied c) {
      c.orgs().forEach(this::configured);
    } else if (result instanceof Results.OrgUpdated u) {
      org(u.after().orgId()).limit.set(u.after().concurrencyLimit());
    } else if (result instanceof Results.ReservationChanged r
        && command instanceof Commands.SetReservation s) {
      org(s.orgId()).reserved.set(r.reservedTotal());
    } else if (result instanceof Results.AgentRemoved r
        && command instanceof Commands.RemoveAgent c) {
      OrgValues org = org(c.orgId());
      org.reserved.set(org.limit.get() - r.sharedCapacity());
    } else if (result instanceof Results.OrgDeleted d && d.existed()) {
      byOrg.remove(d.orgId()); // no live calls (DeleteOrg refuses then): its values were 0
    }
  }

  private void decided(Commands.Acquire a, Object result) {
    int type = a.callType().ordinal();
    if (result instanceof Results.Granted g) {
      if (!g.retry()) {
        decisions.add(type * SlotKind.values().length + g.lease().slotKind().ordinal());
        add(org(a.orgId()).inUse, 1);
      }
    } else if (result instanceof Results.Held h) {
      if (!h.retry()) {
        decisions.add(heldAt + type * HoldReason.values().length + h.hold().reason().ordinal());
        add(org(a.orgId()).waiters, 1);
      }
    } else if (result instanceof Results.Denied d) {
      decisions.add(deniedAt + type * DenialReason.values().length + d.denial().reason().ordinal());
    } else if (result instanceof Rejection r) {
      decisions.add(rejectedAt + r.kind().ordinal());
    }
  }

  /** An org as PutOrg or a config file left it: its limit, and what its reservations add up to. */
  private void configured(Results.OrgView v) {
    OrgValues org = org(v.config().orgId());
    org.limit.set(v.config().concurrencyLimit());
    long reserved = 0;
    for (Results.Reservation r : v.reservations()) {
      reserved += r.slots();
    }
    org.reserved.set(reserved);
  }

  @Override
  public void event(Event event, long now) {
    if (event instanceof Event.Dispatched d) {
      Results.Lease lease = d.lease();
      int type = lease.callType().ordinal();
      dispatches.add(type * SlotKind.values().length + lease.slotKind().ordinal());
      waitDuration.record((lease.grantedAt() - d.heldSince()) / 1000.0, byCallType[type]);
      OrgValues org = org(d.orgId());
      add(org.waiters, -1);
      add(org.inUse, 1);
    } else if (event instanceof Event.WaitEnded w) {
      add(org(w.orgId()).waiters, -1);
    } else if (event instanceof Event.LeaseEnded l) {
      OrgValues org = org(l.orgId());
      add(org.inUse, -1);
      if (l.reason() == EndReason.EXPIRED) {
        add(org.expiries, 1);
      }
    }
  }

  @Override
  public void turn(int tasks, long nanos) {
    batchSize.record(tasks);
    turnDuration.record(nanos / 1e9);
  }

  private OrgValues org(String orgId) {
    OrgValues o = byOrg.get(orgId);
    if (o == null) {
      o = new OrgValues(orgId);
      byOrg.put(orgId, o);
    }
    return o;
  }

  private static String name(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }
}
