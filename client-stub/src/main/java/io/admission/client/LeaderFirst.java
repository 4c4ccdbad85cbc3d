package io.admission.client;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Deadline;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingChannelBuilder2;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A channel that sends each call to the cluster's leader while one says it leads, and otherwise
 * round robin over every node that serves: two channels built from one builder, one health-checked
 * on the leader's health name, the other on the server's. Every node serves every RPC, but a write
 * a follower takes costs it a hop to the leader and a wait until it has applied the entry itself:
 * measured with three nodes sharing two cores, 256 callers got about twice the pairs a second
 * through the leader alone as spread over all three nodes, at half the server CPU per pair.
 */
final class LeaderFirst extends ManagedChannel {
  private final ManagedChannel leader;
  private final ManagedChannel any;

  private LeaderFirst(ManagedChannel leader, ManagedChannel any) {
    this.leader = leader;
    this.any = any;
    this.sweeping = SWEEPER.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Builds the two channels from {@code builder}, each with its own service config. */
  static final class Builder extends ForwardingChannelBuilder2<Builder> {
    private final ManagedChannelBuilder<?> builder;
    private final Map<String, ?> leaderConfig;
    private final Map<String, ?> anyConfig;

    Builder(ManagedChannelBuilder<?> builder, Map<String, ?> leaderConfig, Map<String, ?> anyConfig) {
      this.builder = builder;
      this.leaderConfig = leaderConfig;
      this.anyConfig = anyConfig;
    }

    @Override
    protected ManagedChannelBuilder<?> delegate() {
      return builder;
    }

    @Override
    public ManagedChannel build() {
      ManagedChannel toLeader = builder.defaultServiceConfig(leaderConfig).build();
      return new LeaderFirst(toLeader, builder.defaultServiceConfig(anyConfig).build());
    }
  }

  /**
   * How long a unary call to the leader that finds it gone waits for a node to say it leads: a
   * leader's death is over in one to two and a half seconds (docs/BENCHMARKS.md); past this, no
   * leader is coming soon (no majority, or with several groups no node leads them all any more),
   * and the call is refused UNAVAILABLE so that its caller can send it again, through the other
   * nodes.
   */
  static final long LEADER_WAIT_SECONDS = 4;
  private static final long LEADER_WAIT_NANOS = TimeUnit.SECONDS.toNanos(LEADER_WAIT_SECONDS);
  /** How often the calls on the leader's channel are looked over for one past its wait. */
  static final long SWEEP_MILLIS = 250;

  /**
   * Looks over every such channel's calls: one daemon thread for the process, idle but for a
   * glance at each channel's calls in flight four times a second.
   */
  private static final ScheduledExecutorService SWEEPER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "admission-client-leader-wait");
    t.setDaemon(true);
    return t;
  });

  /** The unary calls on the leader's channel that have not closed yet. */
  private final Set<Capped<?, ?>> onLeader = ConcurrentHashMap.newKeySet();
  private final ScheduledFuture<?> sweeping;

  /**
   * The leader's channel while it is ready (a node says it leads, and answers); otherwise the
   * other. Asking for the state also starts connecting the leader's channel when it is idle.
   *
   * <p>A unary call sent to the leader waits for the channel to be ready again rather than fail
   * (gRPC's wait-for-ready), for at most {@link #LEADER_WAIT_SECONDS}: when the leader dies, the
   * calls in flight go to the node that says it leads next, at once, instead of at their next
   * retry, which gRPC's backoff puts up to 2 s later (measured under 256 callers: 3.3 s without a
   * completed call after the leader's kill, 1.5 s with). Streams are not held: their callers reopen
   * them, and a reopened one goes to a node that answers.
   *
   * <p>The wait is not a gRPC deadline on each call: a deadline sends a different {@code
   * grpc-timeout} header with every call and arms a timer on both sides. Measured with three nodes
   * and 256 callers on two cores, the deadline cost a fifth of the client's throughput and a third
   * of its CPU per call (docs/BENCHMARKS.md); here each call joins a set, and one sweep a quarter of
   * a second cancels those past their wait.
   */
  @Override
  public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
    if (leader.getState(true) != ConnectivityState.READY) {
      return any.newCall(method, options);
    }
    if (method.getType() != MethodDescriptor.MethodType.UNARY) {
      return leader.newCall(method, options);
    }
    Deadline callers = options.getDeadline();
    if (callers != null && callers.timeRemaining(TimeUnit.NANOSECONDS) < LEADER_WAIT_NANOS) {
      return leader.newCall(method, options.withWaitForReady());
    }
    return new Capped<>(leader.newCall(method, options.withWaitForReady()));
  }

  /** A unary call on the leader's channel, cancelled once it has waited {@link #LEADER_WAIT_SECONDS}. */
  private final class Capped<Q, R> extends ForwardingClientCall.SimpleForwardingClientCall<Q, R> {
    private final long startedAt = System.nanoTime();
    /** Set by the sweep before it cancels the call, so that its close says why. */
    private volatile boolean waitedTooLong;

    Capped(ClientCall<Q, R> call) {
      super(call);
    }

    @Override
    public void start(Listener<R> listener, Metadata headers) {
      onLeader.add(this);
      boolean started = false;
      try {
        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            onLeader.remove(Capped.this);
            // A call that closed as the sweep reached it keeps its own answer.
            super.onClose(!waitedTooLong || status.getCode() != Status.Code.CANCELLED ? status
                : Status.UNAVAILABLE.withDescription("no node of the cluster answered as its leader within "
                    + LEADER_WAIT_SECONDS + " s; send again, with the same call_id"), trailers);
          }
        }, headers);
        started = true;
      } finally {
        if (!started) {
          onLeader.remove(this);
        }
      }
    }

    void cancelIfWaitedSince(long now) {
      if (now - startedAt >= LEADER_WAIT_NANOS) {
        waitedTooLong = true;
        cancel("waited " + LEADER_WAIT_SECONDS + " s for a leader", null);
      }
    }
  }

  private void sweep() {
    if (onLeader.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    for (Capped<?, ?> call : onLeader) {
      call.cancelIfWaitedSince(now);
    }
  }

  @Override
  public String authority() {
    return any.authority();
  }

  @Override
  public ConnectivityState getState(boolean requestConnection) {
    ConnectivityState toLeader = leader.getState(requestConnection);
    return toLeader == ConnectivityState.READY ? toLeader : any.getState(requestConnection);
  }

  @Override
  public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
    any.notifyWhenStateChanged(source, callback);
  }

  @Override
  public void resetConnectBackoff() {
    leader.resetConnectBackoff();
    any.resetConnectBackoff();
  }

  @Override
  public void enterIdle() {
    leader.enterIdle();
    any.enterIdle();
  }

  @Override
  public ManagedChannel shutdown() {
    sweeping.cancel(false);
    leader.shutdown();
    any.shutdown();
    return this;
  }

  @Override
  public ManagedChannel shutdownNow() {
    sweeping.cancel(false);
    leader.shutdownNow();
    any.shutdownNow();
    return this;
  }

  @Override
  public boolean isShutdown() {
    return leader.isShutdown() && any.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return leader.isTerminated() && any.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    return leader.awaitTermination(timeout, unit)
        && any.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
  }
}
