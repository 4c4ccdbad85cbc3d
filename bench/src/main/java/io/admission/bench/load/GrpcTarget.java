package io.admission.bench.load;

import com.google.protobuf.Duration;
import io.admission.client.Servers;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc.AdmissionServiceStub;
import io.admission.v1.CallType;
import io.admission.v1.ReleaseRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.Context;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The generated AdmissionService client, unary calls, on one gRPC channel (one HTTP/2 connection) per server:
 * Admission or the no-op service (same requests and responses), or a cluster's nodes: {@code cluster@} spreads
 * calls over them by call id, as from a client of all of them (every node serves every request, a follower
 * handing writes to the leader; a Release goes where its Acquire went); {@code client@} goes through the Java
 * client's channel ({@link Servers#channel}), to the leader while one says it leads, with its retries.
 *
 * <p>Each of its own channels runs on a one-thread Netty group, callbacks on that thread ({@code
 * directExecutor}) to spend as little client CPU as can be, the thread handed out for callers to send from
 * too. Epoll where the platform has it, as gRPC's default client group would choose.
 */
public class GrpcTarget implements LoadTarget {
  /** The lease a benchmark call asks for: long enough never to expire during a run. */
  private static final Duration LEASE_TTL = Duration.newBuilder().setSeconds(3600).build();
  private static final boolean EPOLL = Epoll.isAvailable();

  /** One per channel; none for the Java client's, which runs on gRPC's shared threads. */
  private final List<EventLoopGroup> groups = new ArrayList<>();
  final List<ManagedChannel> channels = new ArrayList<>();
  private final AdmissionServiceStub[] stubs;
  /** The orgs the calls are spread over (one, usually). */
  private final String[] orgIds;
  /** Each request's deadline in seconds, the channel's retries included; none (0) but the failover client's. */
  long deadlineSeconds;

  /** {@code addresses}: HOST:PORT, or a cluster's, comma-separated; {@code orgIds}: one org id, or several likewise. */
  GrpcTarget(String addresses, String orgIds, boolean javaClient) {
    if (javaClient) {
      channels.add(Servers.channel(addresses, InsecureChannelCredentials.create()).directExecutor().build());
    } else {
      for (String address : addresses.split(",")) {
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("client-io", true),
            EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        groups.add(io);
        channels.add(NettyChannelBuilder.forTarget(address).eventLoopGroup(io)
            .channelType(EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
            .usePlaintext().directExecutor().disableRetry().build());
      }
    }
    this.stubs = channels.stream().map(AdmissionServiceGrpc::newStub).toArray(AdmissionServiceStub[]::new);
    this.orgIds = orgIds.split(",");
  }

  private AdmissionServiceStub stub(String callId) {
    AdmissionServiceStub stub = stubs[Math.floorMod(callId.hashCode(), stubs.length)];
    return deadlineSeconds == 0 ? stub : stub.withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS);
  }

  /** A call's org, by its id; the bits reversed so that the choice does not follow the choice of node. */
  String orgOf(String callId) {
    return orgIds[Math.floorMod(Integer.reverse(callId.hashCode()), orgIds.length)];
  }

  static AcquireRequest acquireRequest(String orgId, String callId) {
    return AcquireRequest.newBuilder().setOrgId(orgId).setCallId(callId).setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(LEASE_TTL).build();
  }

  /** GRANTED or HELD to {@code done}; any other outcome of {@code response} is a failure. */
  static void outcome(AcquireResponse response, Consumer<Outcome> done, Consumer<Throwable> failed) {
    switch (response.getOutcome()) {
      case OUTCOME_GRANTED -> done.accept(Outcome.GRANTED);
      case OUTCOME_HELD -> done.accept(Outcome.HELD);
      default -> failed.accept(new IllegalStateException("unexpected answer: " + response));
    }
  }

  @Override
  public void acquire(String callId, Consumer<Outcome> done, Consumer<Throwable> failed) {
    AcquireRequest request = acquireRequest(orgOf(callId), callId);
    Context.ROOT.run(() -> stub(callId).acquire(request, unary(response -> outcome(response, done, failed), failed)));
  }

  @Override
  public void release(String callId, Runnable done, Consumer<Throwable> failed) {
    ReleaseRequest request = ReleaseRequest.newBuilder().setOrgId(orgOf(callId)).setCallId(callId).build();
    Context.ROOT.run(() -> stub(callId).release(request, unary(response -> done.run(), failed)));
  }

  /**
   * A unary call's observer: its response once the call completed, or its error. Calls start in {@code
   * Context.ROOT}, not in the previous call's callback context: with OpenTelemetry's context bridge on the
   * classpath each caller's chain of contexts grew by a link per request.
   */
  static <R> StreamObserver<R> unary(Consumer<R> answered, Consumer<Throwable> failed) {
    return new StreamObserver<>() {
      private R response;

      @Override
      public void onNext(R value) {
        response = value;
      }

      @Override
      public void onError(Throwable t) {
        failed.accept(t);
      }

      @Override
      public void onCompleted() {
        answered.accept(response);
      }
    };
  }

  /** Dispatched the moment the lease arrives, not at the stream's end, which follows it. */
  @Override
  public void waitForSlot(String callId, Runnable dispatched, Consumer<Throwable> failed) {
    WaitForSlotRequest request = WaitForSlotRequest.newBuilder().setOrgId(orgOf(callId)).setCallId(callId).build();
    stub(callId).waitForSlot(request, new StreamObserver<WaitForSlotResponse>() {
      @Override
      public void onNext(WaitForSlotResponse event) {
        if (event.hasDispatched()) {
          dispatched.run();
        } else if (!event.hasHeld()) {
          failed.accept(new IllegalStateException("wait ended without a lease: " + event));
        }
      }

      @Override
      public void onError(Throwable t) {
        failed.accept(t);
      }

      @Override
      public void onCompleted() {}
    });
  }

  /** The first server's transport thread: only the contended run sends from it, to one server. */
  @Override
  public Executor ioThread() {
    return groups.isEmpty() ? Runnable::run : groups.get(0).next();
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    try {
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    groups.forEach(io -> io.shutdownGracefully(0, 1, TimeUnit.SECONDS));
  }
}
