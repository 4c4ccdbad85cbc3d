package io.admission.server.grpc;

import static io.admission.server.grpc.GrpcFixture.assertInvalid;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.admission.v1.AdmissionServiceGrpc;
import io.admission.v1.Outcome;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bytes that are not the method's message: INVALID_ARGUMENT naming the request, for unary and
 * streaming methods, ours and gRPC's health alike — not gRPC's own UNKNOWN "Application error
 * processing RPC", which blames the server — and nothing changes; the server serves on.
 */
class MalformedRequestsGrpcTest {
  /** A field 2 (call_id) that says it is 100 bytes long, then ends. */
  private static final byte[] TRUNCATED = {0x12, 100, 'x'};

  private final GrpcFixture f = new GrpcFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aRequestThatDoesNotParseIsInvalidAndChangesNothing() {
    f.putOrg("acme", 1);
    for (MethodDescriptor<?, ?> m : List.of(AdmissionServiceGrpc.getAcquireMethod(),
        AdmissionServiceGrpc.getWaitForSlotMethod(), AdmissionServiceGrpc.getSessionMethod(),
        HealthGrpc.getCheckMethod())) {
      Status status = send(m, TRUNCATED);
      assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), m.getFullMethodName() + ": " + status);
      assertEquals("request: is not a valid protobuf message for " + m.getFullMethodName(),
          status.getDescription());
    }
    assertEquals(0, f.status("acme").getInUse());
    assertEquals(Outcome.OUTCOME_GRANTED, f.acquire("acme", "c-1").getOutcome(), "the server serves on");
  }

  @Test
  void theRefusalCarriesBadRequestDetailsLikeAnyInvalidArgument() {
    StatusRuntimeException e = f.awaitError(future(AdmissionServiceGrpc.getAcquireMethod(), TRUNCATED));
    assertInvalid(e, "request");
  }

  /** Sends {@code bytes} as the one request of {@code method}, half-closes, waits for the end. */
  private Status send(MethodDescriptor<?, ?> method, byte[] bytes) {
    try {
      f.await(future(method, bytes));
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  private CompletableFuture<List<byte[]>> future(MethodDescriptor<?, ?> method, byte[] bytes) {
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(method.getType()).setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    CompletableFuture<List<byte[]>> done = new CompletableFuture<>();
    List<byte[]> answers = new ArrayList<>();
    ClientCall<byte[], byte[]> call = f.channel.newCall(raw, CallOptions.DEFAULT);
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        answers.add(message);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (status.isOk()) {
          done.complete(answers);
        } else {
          done.completeExceptionally(status.asRuntimeException(trailers));
        }
      }
    }, new Metadata());
    call.request(10);
    call.sendMessage(bytes);
    call.halfClose();
    return done;
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
}
