package io.admission.server;

import io.admission.server.audit.AuditLog;
import io.admission.server.cluster.RaftGroups;
import io.admission.server.auth.AccessControl;
import io.admission.server.grpc.BoundSessions;
import io.admission.server.http.WebServer;
import io.admission.server.loop.CommandLog;
import io.admission.server.loop.EventLoop;
import io.admission.server.metrics.Telemetry;
import io.grpc.Server;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@link Main} has started so far, stopped in the reverse order: by the shutdown hook of a
 * running server, or at once when a later step of the start fails — so that a server that cannot
 * start lets go of its ports, threads and data-directory lock before it says why.
 *
 * <p>Filled and closed by the thread that runs {@code Main} (or the shutdown hook, after).
 */
final class Running implements AutoCloseable {
  Telemetry telemetry;
  CommandLog log;
  /** This node's replicas of the cluster's groups, or null on a server that runs alone. */
  RaftGroups replicas;
  AuditLog audit;
  /** One loop per group; one on a server that runs alone. */
  final List<EventLoop> loops = new ArrayList<>();
  Transport transport;
  HealthStatusManager health;
  /**
   * Set once a loop stopped applying (its log failed, or a command threw): health stays
   * NOT_SERVING from then on, whatever the node's role in the cluster does.
   */
  volatile boolean halted;
  Server server;
  WebServer web;
  /** The sessions calls are bound to; their timer stops first, so a shutdown releases nothing. */
  BoundSessions sessions;
  /** Who may do what; {@link AccessControl#off} without --auth. */
  AccessControl access = AccessControl.off();
  /** Null without --tls-cert. */
  ServerTls tls;

  /** The gRPC port (the real one when 0 was asked for). */
  int port() {
    return server.getPort();
  }

  void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() {
    if (sessions != null) {
      sessions.close();
    }
    if (health != null) {
      health.enterTerminalState();
    }
    if (server != null) {
      server.shutdown();
      // No new call is taken now; the streams are told to reopen elsewhere (or after the restart)
      // at once, rather than after the wait below.
      loops.forEach(EventLoop::endStreamsForShutdown);
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (web != null) {
      web.close();
    }
    // Before the loops: Ratis snapshots each group's state machine as it stops, through its loop.
    closeQuietly(replicas, "the cluster's replicas");
    replicas = null;
    loops.forEach(EventLoop::close);
    if (transport != null) {
      transport.close();
    }
    closeQuietly(audit, "the audit log");
    if (telemetry != null) {
      telemetry.close();
    }
    closeQuietly(log, "the journal");
  }

  private static void closeQuietly(AutoCloseable c, String what) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      System.err.println("admission: closing " + what + " failed: " + e);
    }
  }
}
