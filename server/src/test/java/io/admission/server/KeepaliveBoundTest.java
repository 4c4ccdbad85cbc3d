package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WaitForSlotResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Keepalive enforcement: a client that pings more often than --min-client-keepalive allows is
 * disconnected (GOAWAY too_many_pings), and its open streams end RESOURCE_EXHAUSTED. Slow: grpc-java's
 * client pings at most every 10 s and the server tolerates two early pings, so this takes ~30 s.
 */
@Tag("slow")
class KeepaliveBoundTest {
  @Test
  void aClientPingingTooOftenIsDisconnected() throws Exception {
    try (Running server = SecureDefaultTest.start("--in-memory", "--listen", "127.0.0.1:0",
        "--min-client-keepalive", "5m")) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
          .usePlaintext().keepAliveTime(10, TimeUnit.SECONDS).build();
      try {
        AdmissionAdminServiceGrpc.newBlockingStub(channel).putOrg(PutOrgRequest.newBuilder()
            .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(1)).build());
        var calls = AdmissionServiceGrpc.newBlockingStub(channel);
        for (String id : new String[] {"c1", "c2"}) {
          calls.acquire(AcquireRequest.newBuilder().setOrgId("acme").setCallId(id)
              .setCallType(CallType.CALL_TYPE_OUTBOUND).build());
        }
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        AdmissionServiceGrpc.newStub(channel).waitForSlot(
            WaitForSlotRequest.newBuilder().setOrgId("acme").setCallId("c2").build(),
            new StreamObserver<WaitForSlotResponse>() {
              @Override
              public void onNext(WaitForSlotResponse r) {}

              @Override
              public void onError(Throwable t) {
                ended.complete(t);
              }

              @Override
              public void onCompleted() {
                ended.complete(null);
              }
            });

        Throwable t = ended.get(90, TimeUnit.SECONDS);

        assertNotNull(t, "the stream ended without an error");
        Status status = assertInstanceOf(StatusRuntimeException.class, t).getStatus();
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode()); // HTTP/2 ENHANCE_YOUR_CALM
        assertTrue(String.valueOf(status.getDescription()).contains("too_many_pings"),
            String.valueOf(status));
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
