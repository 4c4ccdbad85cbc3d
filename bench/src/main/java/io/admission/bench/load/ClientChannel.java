package io.admission.bench.load;

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

  Executor ioThread() {
    return io.next();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
