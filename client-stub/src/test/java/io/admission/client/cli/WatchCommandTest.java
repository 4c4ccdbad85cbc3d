package io.admission.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.OrgStatus;
import io.admission.v1.WatchOrgRequest;
import io.admission.v1.WatchOrgResponse;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * watch when its stream is cut off: reopened, on another node of --server if need be, until no
 * node answers for --timeout; an error reopening cannot fix still ends it.
 */
@Timeout(20) // a watch that does not give up would otherwise hang the build
class WatchCommandTest {
  private static final String LOST_MAJORITY = "this node lost contact with the cluster's majority;"
      + " reopen the stream on another node";

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final List<Server> servers = new ArrayList<>();
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    servers.forEach(Server::shutdownNow);
  }

  private static WatchOrgResponse inUse(int n) {
    return WatchOrgResponse.newBuilder()
        .setStatus(OrgStatus.newBuilder().setOrgId("acme").setLimit(20).setInUse(n)).build();
  }

  /** Serves each WatchOrg stream with the next script; the last one serves every stream after. */
  private static final class ScriptedMonitor
      extends AdmissionMonitorServiceGrpc.AdmissionMonitorServiceImplBase {
    final AtomicInteger opened = new AtomicInteger();
    private final List<Consumer<StreamObserver<WatchOrgResponse>>> scripts;

    ScriptedMonitor(List<Consumer<StreamObserver<WatchOrgResponse>>> scripts) {
      this.scripts = scripts;
    }

    @Override
    public void watchOrg(WatchOrgRequest request, StreamObserver<WatchOrgResponse> observer) {
      int i = opened.getAndIncrement();
      scripts.get(Math.min(i, scripts.size() - 1)).accept(observer);
    }
  }

  private static Consumer<StreamObserver<WatchOrgResponse>> send(int... inUse) {
    return o -> {
      for (int n : inUse) {
        o.onNext(inUse(n));
      }
    };
  }

  private static Consumer<StreamObserver<WatchOrgResponse>> sendThenEnd(int inUse, Status end) {
    return o -> {
      o.onNext(inUse(inUse));
      o.onError(end.asRuntimeException());
    };
  }

  private static Consumer<StreamObserver<WatchOrgResponse>> refuse(Status status) {
    return o -> o.onError(status.asRuntimeException());
  }

  private int runInProcess(ScriptedMonitor monitor, String... args) throws Exception {
    String name = InProcessServerBuilder.generateName();
    servers.add(InProcessServerBuilder.forName(name).directExecutor().addService(monitor).build().start());
    channel = InProcessChannelBuilder.forName(name).build();
    return new AdmissionCli(channel).commandLine()
        .setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
  }

  private List<String> lines() {
    return out.toString().lines().toList();
  }

  @Test
  void aStreamCutOffOnOneNodeGoesOnOnTheOtherWithTheNextStatuses() throws Exception {
    // Two nodes on loopback, reached as the CLI reaches a cluster (--server a,b). The node that
    // serves the stream first loses the majority: it ends the stream and refuses from then on.
    AtomicInteger streams = new AtomicInteger();
    List<AtomicInteger> served = new ArrayList<>();
    StringBuilder addresses = new StringBuilder();
    for (int i = 0; i < 2; i++) {
      AtomicInteger mine = new AtomicInteger();
      served.add(mine);
      boolean[] cutOff = {false};
      Server node = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
          .addService(new AdmissionMonitorServiceGrpc.AdmissionMonitorServiceImplBase() {
            @Override
            public synchronized void watchOrg(WatchOrgRequest request, StreamObserver<WatchOrgResponse> o) {
              if (cutOff[0]) {
                o.onError(Status.UNAVAILABLE.withDescription("this node could not learn the cluster's"
                    + " latest writes").asRuntimeException());
                return;
              }
              mine.incrementAndGet();
              if (streams.getAndIncrement() == 0) {
                cutOff[0] = true;
                o.onNext(inUse(1));
                o.onError(Status.UNAVAILABLE.withDescription(LOST_MAJORITY).asRuntimeException());
              } else {
                o.onNext(inUse(2)); // a reopened stream starts with the org's current status
                o.onNext(inUse(3));
              }
            }
          })
          .build().start();
      servers.add(node);
      addresses.append(i == 0 ? "" : ",").append("127.0.0.1:").append(node.getPort());
    }
    AdmissionCli cli = new AdmissionCli();
    int exit;
    try {
      exit = cli.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
          .execute("--server", addresses.toString(), "watch", "--org", "acme", "--updates", "3");
    } finally {
      cli.shutdown();
    }

    assertEquals(0, exit, err.toString());
    List<String> lines = lines();
    assertEquals(3, lines.size(), out.toString());
    for (int i = 0; i < 3; i++) {
      assertTrue(lines.get(i).contains("\"inUse\":" + (i + 1)), lines.get(i));
    }
    assertTrue(served.get(0).get() == 1 && served.get(1).get() == 1,
        "each node served one stream: " + served);
    assertTrue(err.toString().startsWith("watch: WatchOrg ended (UNAVAILABLE: " + LOST_MAJORITY
        + "); reconnecting in "), err.toString());
  }

  @Test
  void aServerShutDownUnderTheStreamIsLeftForTheOtherNode() throws Exception {
    // The node that serves the stream first is shut down right after its first status.
    AtomicInteger streams = new AtomicInteger();
    Server[] nodes = new Server[2];
    StringBuilder addresses = new StringBuilder();
    for (int i = 0; i < 2; i++) {
      int self = i;
      nodes[i] = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
          .addService(new AdmissionMonitorServiceGrpc.AdmissionMonitorServiceImplBase() {
            @Override
            public void watchOrg(WatchOrgRequest request, StreamObserver<WatchOrgResponse> o) {
              if (streams.getAndIncrement() == 0) {
                o.onNext(inUse(1));
                new Thread(nodes[self]::shutdownNow).start();
              } else {
                o.onNext(inUse(2));
              }
            }
          })
          .build().start();
      servers.add(nodes[i]);
      addresses.append(i == 0 ? "" : ",").append("127.0.0.1:").append(nodes[i].getPort());
    }
    AdmissionCli cli = new AdmissionCli();
    int exit;
    try {
      exit = cli.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
          .execute("--server", addresses.toString(), "watch", "--org", "acme", "--updates", "2");
    } finally {
      cli.shutdown();
    }

    assertEquals(0, exit, err.toString());
    List<String> lines = lines();
    assertEquals(2, lines.size(), out.toString());
    assertTrue(lines.get(1).contains("\"inUse\":2"), lines.get(1));
    assertTrue(err.toString().contains("reconnecting in"), err.toString());
  }

  @Test
  void jsonOutputSaysItReconnectsOnStderrOnlyAndCountsUpdatesAcrossStreams() throws Exception {
    ScriptedMonitor monitor = new ScriptedMonitor(List.of(
        sendThenEnd(1, Status.UNAVAILABLE.withDescription(LOST_MAJORITY)),
        sendThenEnd(2, Status.UNAVAILABLE.withDescription("server shutting down; reopen WatchOrg")),
        send(3, 4, 5)));
    assertEquals(0, runInProcess(monitor, "watch", "--org", "acme", "--updates", "4"), err.toString());

    List<String> lines = lines();
    assertEquals(4, lines.size(), out.toString());
    for (int i = 0; i < 4; i++) {
      assertTrue(lines.get(i).startsWith("{") && lines.get(i).contains("\"inUse\":" + (i + 1)),
          lines.get(i));
    }
    List<String> said = err.toString().lines().toList();
    assertEquals(2, said.size(), err.toString());
    assertTrue(said.get(0).contains(LOST_MAJORITY), said.get(0));
    assertTrue(said.get(1).contains("server shutting down"), said.get(1));
    assertEquals(3, monitor.opened.get());
  }

  @Test
  void aRedrawnScreenShowsTheLastFrameAndWhyItReconnects() throws Exception {
    ScriptedMonitor monitor = new ScriptedMonitor(List.of(
        sendThenEnd(1, Status.UNAVAILABLE.withDescription(LOST_MAJORITY)), send(2)));
    assertEquals(0, runInProcess(monitor, "watch", "--org", "acme", "--redraw", "always",
        "--updates", "2"), err.toString());

    String[] screens = out.toString().split(java.util.regex.Pattern.quote(WatchCommand.REDRAW), -1);
    assertEquals(4, screens.length, out.toString()); // "", first frame, it again with why, second
    assertTrue(screens[2].startsWith(screens[1]), screens[2]);
    assertTrue(screens[2].contains(WatchCommand.YELLOW + "WatchOrg ended (UNAVAILABLE: "
        + LOST_MAJORITY + "); reconnecting in "), screens[2]);
    assertTrue(screens[3].contains("Pool: 2/20 in use"), screens[3]);
    assertFalse(screens[3].contains("reconnecting"), screens[3]);
    assertEquals("", err.toString());
  }

  @Test
  void notFoundEndsTheCommandWithItsErrorEvenAfterAReconnection() throws Exception {
    ScriptedMonitor monitor = new ScriptedMonitor(List.of(
        sendThenEnd(1, Status.UNAVAILABLE.withDescription(LOST_MAJORITY)),
        refuse(Status.NOT_FOUND.withDescription("org acme does not exist"))));
    assertEquals(AdmissionCli.GRPC_ERROR, runInProcess(monitor, "watch", "--org", "acme"));

    assertTrue(err.toString().strip().endsWith("NOT_FOUND: org acme does not exist"), err.toString());
    assertEquals(2, monitor.opened.get(), "NOT_FOUND was reopened");
    assertEquals(1, lines().size(), out.toString());
  }

  @Test
  void permissionDeniedEndsTheCommandAtOnce() throws Exception {
    ScriptedMonitor monitor = new ScriptedMonitor(List.of(
        refuse(Status.PERMISSION_DENIED.withDescription("this token may not read org acme"))));
    assertEquals(AdmissionCli.GRPC_ERROR, runInProcess(monitor, "watch", "--org", "acme"));

    assertEquals("PERMISSION_DENIED: this token may not read org acme", err.toString().strip());
    assertEquals(1, monitor.opened.get());
  }

  @Test
  void givesUpWhenNoNodeSendsAStatusForTheTimeoutSayingWhatFailed() throws Exception {
    ScriptedMonitor monitor = new ScriptedMonitor(List.of(
        sendThenEnd(1, Status.UNAVAILABLE.withDescription(LOST_MAJORITY)),
        refuse(Status.UNAVAILABLE.withDescription("no node reachable"))));
    assertEquals(AdmissionCli.GRPC_ERROR,
        runInProcess(monitor, "--timeout", "1s", "watch", "--org", "acme"));

    List<String> said = err.toString().lines().toList();
    assertEquals("UNAVAILABLE: watch --org acme: no node sent the org's status for 1.0 s (--timeout);"
        + " the last stream ended UNAVAILABLE: no node reachable", said.get(said.size() - 1));
    assertTrue(monitor.opened.get() > 2, "it tried again before giving up: " + monitor.opened.get());
    assertEquals(1, lines().size(), out.toString());
  }

  @Test
  void givesUpOnAStreamThatOpensButNeverSendsAStatus() throws Exception {
    ScriptedMonitor monitor = new ScriptedMonitor(List.of(o -> { }));
    assertEquals(AdmissionCli.GRPC_ERROR,
        runInProcess(monitor, "--timeout", "1s", "watch", "--org", "acme"));

    assertEquals("UNAVAILABLE: watch --org acme: no node sent the org's status for 1.0 s (--timeout);"
        + " none answered, not even with an error", err.toString().strip());
  }
}
