package io.admission.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AcquireResponse;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.Outcome;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Servers.channel over two nodes on loopback: a node whose health says NOT_SERVING (a cluster
 * node cut off or catching up) gets no calls until it says SERVING again; while a node says it
 * leads, it gets every call.
 */
class ServersTest {
  /** A node: counts the Acquires it answers, and says what its health service is told. */
  private static final class Node {
    final AtomicInteger acquires = new AtomicInteger();
    /**
     * While set, the node answers UNAVAILABLE and says it no longer leads, as a leader does that
     * is going away.
     */
    volatile boolean dying;
    final HealthStatusManager health = new HealthStatusManager();
    final Server server;

    Node(ServingStatus status) throws Exception {
      health.setStatus("", status);
      server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
          .addService(health.getHealthService())
          .addService(new AdmissionServiceGrpc.AdmissionServiceImplBase() {
            @Override
            public void acquire(AcquireRequest request, StreamObserver<AcquireResponse> answer) {
              if (dying) {
                health.setStatus(Servers.LEADER, ServingStatus.NOT_SERVING);
                answer.onError(io.grpc.Status.UNAVAILABLE.withDescription("going away").asRuntimeException());
                return;
              }
              acquires.incrementAndGet();
              answer.onNext(AcquireResponse.newBuilder().setOutcome(Outcome.OUTCOME_GRANTED).build());
              answer.onCompleted();
            }
          })
          .build().start();
    }

    String address() {
      return "127.0.0.1:" + server.getPort();
    }
  }

  private Node refusing;
  private Node serving;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    channel.shutdownNow();
    refusing.server.shutdownNow();
    serving.server.shutdownNow();
  }

  @Test
  void theNodeThatSaysItLeadsGetsEveryCallAndTheOthersShareThemWhenNoneDoes() throws Exception {
    refusing = new Node(ServingStatus.SERVING); // here: a follower, serving
    serving = new Node(ServingStatus.SERVING); // the leader
    serving.health.setStatus(Servers.LEADER, ServingStatus.SERVING);
    refusing.health.setStatus(Servers.LEADER, ServingStatus.NOT_SERVING);
    channel = Servers.channel(refusing.address() + "," + serving.address(), InsecureChannelCredentials.create())
        .build();
    var stub = AdmissionServiceGrpc.newBlockingStub(channel);
    // The leader's channel connects on the first call; until it is ready calls go round robin.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (channel.getState(true) != io.grpc.ConnectivityState.READY && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    for (int i = 0; i < 200 && serving.acquires.get() < 20; i++) { // the leader's channel gets ready
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("w-" + i).build());
      Thread.sleep(5);
    }
    int before = refusing.acquires.get();
    for (int i = 0; i < 40; i++) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("c-" + i).build());
    }
    assertEquals(before, refusing.acquires.get(), "a call went to the node that does not lead");

    serving.health.setStatus(Servers.LEADER, ServingStatus.NOT_SERVING); // an election: nobody leads
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (refusing.acquires.get() == before && System.nanoTime() < deadline) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("again").build());
    }
    assertTrue(refusing.acquires.get() > before, "with no leader, the other node got no call in 10 s");
  }

  @Test
  void aCallToALeaderThatGoesAwayWaitsForTheNextLeaderAndNoLongerThanTenSeconds() throws Exception {
    serving = new Node(ServingStatus.SERVING); // leads first
    refusing = new Node(ServingStatus.SERVING); // leads next
    serving.health.setStatus(Servers.LEADER, ServingStatus.SERVING);
    refusing.health.setStatus(Servers.LEADER, ServingStatus.NOT_SERVING);
    channel = Servers.channel(serving.address() + "," + refusing.address(), InsecureChannelCredentials.create())
        .build();
    var stub = AdmissionServiceGrpc.newBlockingStub(channel);
    awaitLeaderChannel(stub, serving);

    // The leader goes away during the call; 1.5 s later the other node says it leads.
    serving.dying = true;
    var later = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    later.schedule(() -> refusing.health.setStatus(Servers.LEADER, ServingStatus.SERVING), 1500, TimeUnit.MILLISECONDS);
    long asked = System.nanoTime();
    stub.acquire(AcquireRequest.newBuilder().setCallId("through-the-election").build()); // no deadline
    long took = System.nanoTime() - asked;
    assertEquals(1, refusing.acquires.get(), "the call reached the next leader");
    assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(1400), "answered before the next leader said so: " + took);

    // With no leader at all, a call without a deadline gives up after 10 s, UNAVAILABLE, saying why.
    refusing.dying = true;
    asked = System.nanoTime();
    io.grpc.StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
        () -> stub.acquire(AcquireRequest.newBuilder().setCallId("no-leader").build()));
    took = System.nanoTime() - asked;
    later.shutdownNow();
    assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getDescription().contains("no node of the cluster answered as its leader within 10 s"),
        e.toString());
    assertTrue(took < TimeUnit.SECONDS.toNanos(12), took + " ns");
  }

  /** Calls until the leader's channel is ready and {@code leader} got 20 of them. */
  private void awaitLeaderChannel(AdmissionServiceGrpc.AdmissionServiceBlockingStub stub, Node leader)
      throws InterruptedException {
    for (int i = 0; i < 200 && leader.acquires.get() < 20; i++) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("w-" + i).build());
      Thread.sleep(5);
    }
  }

  @Test
  void aNodeThatSaysItCannotServeGetsNoCallsUntilItServesAgain() throws Exception {
    refusing = new Node(ServingStatus.NOT_SERVING);
    serving = new Node(ServingStatus.SERVING);
    channel = Servers.channel(refusing.address() + "," + serving.address(), InsecureChannelCredentials.create())
        .build();
    var stub = AdmissionServiceGrpc.newBlockingStub(channel);

    for (int i = 0; i < 40; i++) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("c-" + i).build());
    }
    assertEquals(0, refusing.acquires.get(), "calls went to the node that said NOT_SERVING");
    assertEquals(40, serving.acquires.get());

    refusing.health.setStatus("", ServingStatus.SERVING);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (refusing.acquires.get() == 0 && System.nanoTime() < deadline) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("again").build());
    }
    assertTrue(refusing.acquires.get() > 0, "the node that serves again got no call in 10 s");
  }
}
