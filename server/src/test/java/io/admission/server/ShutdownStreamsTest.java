package io.admission.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.admission.v1.AcquireRequest;
import io.admission.v1.AdmissionAdminServiceGrpc;
import io.admission.v1.AdmissionMonitorServiceGrpc;
import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.CallType;
import io.admission.v1.Org;
import io.admission.v1.PutOrgRequest;
import io.admission.v1.WaitForSlotRequest;
import io.admission.v1.WatchOrgRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A server told to stop ends its WaitForSlot and WatchOrg streams at once, UNAVAILABLE, so that
 * their clients reopen them on another node (or after the restart) without first waiting out the
 * grace a stopping server gives its calls in flight (5 s), which such streams never end within.
 */
class ShutdownStreamsTest {
  @Test
  void streamsEndAtOnceWhenTheServerStops() throws Exception {
    Running server = SecureDefaultTest.start("--in-memory", "--listen", "127.0.0.1:0");
    CompletableFuture<Void> closed = null;
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      AdmissionAdminServiceGrpc.newBlockingStub(channel).putOrg(PutOrgRequest.newBuilder()
          .setOrg(Org.newBuilder().setOrgId("acme").setConcurrencyLimit(1)).build());
      var calls = AdmissionServiceGrpc.newBlockingStub(channel);
      for (String id : new String[] {"c1", "c2"}) { // c2 is held behind c1
        calls.acquire(AcquireRequest.newBuilder().setOrgId("acme").setCallId(id)
            .setCallType(CallType.CALL_TYPE_OUTBOUND).build());
      }
      CompletableFuture<Long> slotEnded = new CompletableFuture<>();
      CompletableFuture<Long> watchEnded = new CompletableFuture<>();
      CompletableFuture<Boolean> watching = new CompletableFuture<>();
      AdmissionServiceGrpc.newStub(channel).waitForSlot(
          WaitForSlotRequest.newBuilder().setOrgId("acme").setCallId("c2").build(), endedAt(slotEnded, null));
      AdmissionMonitorServiceGrpc.newStub(channel).watchOrg(
          WatchOrgRequest.newBuilder().setOrgId("acme").build(), endedAt(watchEnded, watching));
      watching.get(10, TimeUnit.SECONDS); // the first status: the stream is open

      long stopping = System.nanoTime();
      closed = CompletableFuture.runAsync(server::close);

      for (CompletableFuture<Long> ended : List.of(slotEnded, watchEnded)) {
        long millis = TimeUnit.NANOSECONDS.toMillis(ended.get(10, TimeUnit.SECONDS) - stopping);
        assertTrue(millis < 2_500, "the stream ended " + millis + " ms after the stop began");
      }
    } finally {
      channel.shutdownNow();
      if (closed == null) {
        server.close();
      } else {
        closed.get(30, TimeUnit.SECONDS);
      }
    }
  }

  /** Completes {@code ended} with when the stream ended, after checking it ended UNAVAILABLE, saying why. */
  private static <T> StreamObserver<T> endedAt(CompletableFuture<Long> ended, CompletableFuture<Boolean> first) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        if (first != null) {
          first.complete(true);
        }
      }

      @Override
      public void onError(Throwable t) {
        long at = System.nanoTime();
        Status status = assertInstanceOf(StatusRuntimeException.class, t).getStatus();
        if (status.getCode() == Status.Code.UNAVAILABLE
            && String.valueOf(status.getDescription()).contains("server shutting down")) {
          ended.complete(at);
        } else {
          ended.completeExceptionally(new AssertionError("ended " + status));
        }
      }

      @Override
      public void onCompleted() {
        ended.completeExceptionally(new AssertionError("ended without an error"));
      }
    };
  }
}
