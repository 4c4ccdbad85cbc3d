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
   */
  @Override
  public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
    if (leader.getState(true) != ConnectivityState.READY) {
      return any.newCall(method, options);
    }
    if (method.getType() != MethodDescriptor.MethodType.UNARY) {
      return leader.newCall(method, options);
    }
    Deadline wait = Deadline.after(LEADER_WAIT_SECONDS, TimeUnit.SECONDS);
    Deadline callers = options.getDeadline();
    if (callers != null && callers.isBefore(wait)) {
      return leader.newCall(method, options.withWaitForReady());
    }
    ClientCall<Q, R> call = leader.newCall(method, options.withWaitForReady().withDeadline(wait));
    return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
          @Override
          public void onClose(Status status, Metadata trailers) {
            // The deadline that ran out is this channel's wait, not the caller's.
            super.onClose(status.getCode() != Status.Code.DEADLINE_EXCEEDED ? status
                : Status.UNAVAILABLE.withDescription("no node of the cluster answered as its leader within "
                    + LEADER_WAIT_SECONDS + " s; send again, with the same call_id"), trailers);
          }
        }, headers);
      }
    };
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
    leader.shutdown();
    any.shutdown();
    return this;
  }

  @Override
  public ManagedChannel shutdownNow() {
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
