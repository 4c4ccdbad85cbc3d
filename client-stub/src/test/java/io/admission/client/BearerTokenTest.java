package io.admission.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.admission.v1.AcquireRequest;
import io.admission.v1.CallType;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every call of a client given a BearerToken carries {@code authorization: Bearer <token>}. */
class BearerTokenTest {
  @Test
  void everyCallOfTheClientCarriesTheToken() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    Metadata.Key<String> authorization = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    ServerInterceptor record = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        seen.add(call.getMethodDescriptor().getBareMethodName() + " " + headers.get(authorization));
        return next.startCall(call, headers);
      }
    };
    FakeAdmissionService fake = new FakeAdmissionService();
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(fake, record)).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try (AdmissionClient client = new AdmissionClient(channel, new BearerToken("t0k3n"))) {
      var lease = client.acquire(AcquireRequest.newBuilder().setOrgId("org").setCallId("c1")
          .setCallType(CallType.CALL_TYPE_CHAT).build()).get(10, TimeUnit.SECONDS);
      client.release(lease.getOrgId(), lease.getCallId()).get(10, TimeUnit.SECONDS);
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
    assertEquals(List.of("Acquire Bearer t0k3n", "Release Bearer t0k3n"), seen);
  }

  @Test
  void itNeverShowsTheTokenAndRefusesAnEmptyOne() {
    assertFalse(new BearerToken("t0k3n").toString().contains("t0k3n"));
    assertThrows(IllegalArgumentException.class, () -> new BearerToken(" "));
  }
}
