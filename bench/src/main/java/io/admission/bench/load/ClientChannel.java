package io.admission.bench.load;

import io.admission.client.Servers;
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
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel (one HTTP/2 connection) on a one-thread Netty group of its own, callbacks on that thread
 * ({@code directExecutor}) to spend as little client CPU as can be, the thread handed out for callers to send
 * from too. Epoll where the platform has it, as gRPC's default client group would choose.
 */
final class ClientChannel implements AutoCloseable {
  /** Null for a cluster's channel, which runs on gRPC's shared threads. */
  private final EventLoopGroup io;
  final ManagedChannel channel;

  ClientChannel(String address) {
    boolean epoll = Epoll.isAvailable();
    io = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("client-io", true),
        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    channel = NettyChannelBuilder.forTarget(address).eventLoopGroup(io)
        .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
        .usePlaintext().directExecutor().disableRetry().build();
  }

  /**
   * A cluster's nodes ("host:port,host:port,...") as the Java client reaches them: {@link
   * Servers#channel}, which sends calls to the leader while a node says it leads, with its retries.
   */
  static ClientChannel javaClient(String addresses) {
    return new ClientChannel(null, Servers.channel(addresses, InsecureChannelCredentials.create()).directExecutor().build());
  }

  private ClientChannel(EventLoopGroup io, ManagedChannel channel) {
    this.io = io;
    this.channel = channel;
  }

  Executor ioThread() {
    return io == null ? Runnable::run : io.next();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (io != null) {
      io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }
}
