package io.admission.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.IoHandlerFactory;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server's own Netty threads, for a loop that runs on the transport: one thread that
 * reads and writes every connection and, between reads, runs the loop's turns. gRPC creates such
 * threads itself otherwise; here they are ours so the loop can be handed the one that does the
 * I/O. Epoll where the platform has it, as gRPC's defaults choose, NIO elsewhere.
 *
 * <p>With several groups of orgs (--groups) there is one such thread per group's loop; Netty
 * spreads connections over them, so a request read on one thread may be for another's loop (it
 * is queued there, as from any thread).
 */
final class Transport implements AutoCloseable {
  private final EventLoopGroup boss;
  private final EventLoopGroup worker;
  private final Class<? extends ServerChannel> channelType;

  /** One I/O thread; {@code ioThreads} of them for as many loops (one per group). */
  Transport() {
    this(1);
  }

  Transport(int ioThreads) {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("admission-accept", true), io);
    worker = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("admission-io", true), io);
    channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** Serves every connection on the I/O threads. */
  NettyServerBuilder configure(NettyServerBuilder builder) {
    return builder.bossEventLoopGroup(boss).workerEventLoopGroup(worker).channelType(channelType);
  }

  /** The next I/O thread, to run a loop on: each in turn, so loops get threads of their own. */
  ScheduledExecutorService ioThread() {
    return worker.next();
  }

  /** After the server and the loop have stopped. */
  @Override
  public void close() {
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    worker.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
