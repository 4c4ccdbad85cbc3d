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
    /** The deadline the last Acquire answered came with (gRPC's {@code grpc-timeout}), or null. */
    volatile io.grpc.Deadline lastDeadline;
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
              lastDeadline = io.grpc.Context.current().getDeadline();
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
    serving = new Node(ServingStatus.SERVING); // the leader
    refusing = new Node(ServingStatus.SERVING); // here: a follower, serving
    var stub = leaderFirst(refusing.address() + "," + serving.address());
    int before = refusing.acquires.get();
    for (int i = 0; i < 40; i++) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("c-" + i).build());
    }
    assertEquals(before, refusing.acquires.get(), "a call went to the node that does not lead");

    serving.health.setStatus(Servers.LEADER, ServingStatus.NOT_SERVING); // nobody leads any more
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (refusing.acquires.get() == before && System.nanoTime() < deadline) {
      try {
        stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("again").build());
      } catch (io.grpc.StatusRuntimeException e) {
        // Sent to the leader before the client heard it no longer leads: it waited for a leader, in vain.
        assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      }
    }
    assertTrue(refusing.acquires.get() > before, "with no leader, the other node got no call in 10 s");
  }

  @Test
  void aCallToALeaderThatGoesAwayWaitsForTheNextLeaderAndNoLongerThanFourSeconds() throws Exception {
    serving = new Node(ServingStatus.SERVING); // leads first
    refusing = new Node(ServingStatus.SERVING); // leads next
    var stub = leaderFirst(serving.address() + "," + refusing.address());

    // The leader goes away during the call; 1.5 s later the other node says it leads.
    serving.dying = true;
    var later = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
    later.schedule(() -> refusing.health.setStatus(Servers.LEADER, ServingStatus.SERVING), 1500, TimeUnit.MILLISECONDS);
    int before = refusing.acquires.get(); // round robin may have sent it some before the leader's channel was ready
    long asked = System.nanoTime();
    stub.acquire(AcquireRequest.newBuilder().setCallId("through-the-election").build()); // no deadline
    long took = System.nanoTime() - asked;
    assertEquals(before + 1, refusing.acquires.get(), "the call reached the next leader");
    assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(1400), "answered before the next leader said so: " + took);

    // With no leader at all, a call gives up after 4 s, UNAVAILABLE, saying why (even with a longer deadline).
    refusing.dying = true;
    asked = System.nanoTime();
    io.grpc.StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
        () -> stub.withDeadlineAfter(30, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("no-leader").build()));
    took = System.nanoTime() - asked;
    later.shutdownNow();
    assertEquals(io.grpc.Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getDescription().contains("no node of the cluster answered as its leader within 4 s"),
        e.toString());
    assertTrue(took < TimeUnit.SECONDS.toNanos(6), took + " ns");
  }

  @Test
  void theWaitForALeaderSendsNoDeadlineTheCallerDidNotSet() throws Exception {
    serving = new Node(ServingStatus.SERVING);
    refusing = new Node(ServingStatus.SERVING);
    var stub = leaderFirst(serving.address() + "," + refusing.address());

    // A deadline is a header that differs on every call and a timer on both sides; the wait for
    // a leader is kept by the channel instead.
    stub.acquire(AcquireRequest.newBuilder().setCallId("no-deadline").build());
    assertEquals(null, serving.lastDeadline, "the call carried a deadline its caller did not set");

    stub.withDeadlineAfter(60, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("own").build());
    assertTrue(serving.lastDeadline != null && serving.lastDeadline.timeRemaining(TimeUnit.SECONDS) > 50,
        "the caller's own deadline of 60 s did not reach the server: " + serving.lastDeadline);
  }

  /**
   * A channel to {@code addresses} with {@link #serving} saying it leads and {@link #refusing} not,
   * once calls reach the leader: until the leader's channel is ready (the first call connects it)
   * they go round robin, one node then the other, so it calls until 10 in a row reached the leader.
   */
  private AdmissionServiceGrpc.AdmissionServiceBlockingStub leaderFirst(String addresses) throws InterruptedException {
    serving.health.setStatus(Servers.LEADER, ServingStatus.SERVING);
    refusing.health.setStatus(Servers.LEADER, ServingStatus.NOT_SERVING);
    channel = Servers.channel(addresses, InsecureChannelCredentials.create()).build();
    var stub = AdmissionServiceGrpc.newBlockingStub(channel);
    int inARow = 0;
    for (int i = 0; i < 1000 && inARow < 10; i++) {
      int before = serving.acquires.get();
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).acquire(AcquireRequest.newBuilder().setCallId("w-" + i).build());
      inARow = serving.acquires.get() > before ? inARow + 1 : 0;
      Thread.sleep(5);
    }
    assertEquals(10, inARow, "calls never settled on the node that says it leads");
    return stub;
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
