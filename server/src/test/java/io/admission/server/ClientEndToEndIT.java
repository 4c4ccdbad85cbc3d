package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.admission.client.AdmissionClient;
import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.Hold;
import io.admission.v1.Lease;
import io.admission.v1.RenewRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Java client library against the real jar: held, dispatched on release, renewed, released. */
class ClientEndToEndIT {
  @Test
  void clientWaitsForTheDispatchAndKeepsTheLeaseRenewed() throws Exception {
    try (ServerProcess server = ServerProcess.start(
        "--in-memory", "--config", Path.of("..", "config", "demo.json").toString())) {
      ManagedChannel channel =
          Grpc.newChannelBuilder(server.target(), InsecureChannelCredentials.create()).build();
      try (AdmissionClient admission = new AdmissionClient(channel)) {
        Lease first = admission.acquire(request("java-1")).get(10, TimeUnit.SECONDS);
        admission.acquire(request("java-2")).get(10, TimeUnit.SECONDS);

        List<Hold> holds = new CopyOnWriteArrayList<>();
        CompletableFuture<Lease> third = admission.acquire(request("java-3"), holds::add);
        // The call is held ("tiny" has 2 slots) until a slot frees.
        assertFalse(waitUntil(third::isDone, 500), "held while the pool is full");
        admission.release(first.getOrgId(), first.getCallId()).get(10, TimeUnit.SECONDS);
        Lease dispatched = third.get(10, TimeUnit.SECONDS);
        assertEquals("java-3", dispatched.getCallId());
        assertFalse(holds.isEmpty(), "the hold was reported to the listener");

        // Real time must pass in the real server: 4.5 s is 1.5 TTLs. Unrenewed, the lease would
        // have expired and Renew below would list it as unknown.
        Thread.sleep(4500);
        var stub = AdmissionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
        var renewed = stub.renew(RenewRequest.newBuilder().setOrgId("tiny").addCallIds("java-3").build());
        assertEquals(List.of(), renewed.getUnknownCallIdsList(), "the client kept java-3's lease alive");

        admission.release("tiny", "java-2").get(10, TimeUnit.SECONDS);
        admission.release("tiny", "java-3").get(10, TimeUnit.SECONDS);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static AcquireRequest request(String callId) {
    return AcquireRequest.newBuilder()
        .setOrgId("tiny").setCallId(callId).setCallType(CallType.CALL_TYPE_OUTBOUND)
        .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(3)).build();
  }

  /** Polls {@code condition} for up to {@code millis}; true as soon as it holds. */
  private static boolean waitUntil(java.util.function.BooleanSupplier condition, long millis)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return condition.getAsBoolean();
  }
}
