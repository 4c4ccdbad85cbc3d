package io.admission.server.grpc;

import com.google.protobuf.Message;
import io.admission.server.auth.OnceClosed;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A request whose bytes are not its method's message answers INVALID_ARGUMENT naming the
 * request, and one larger than the server's bound ({@code --max-message-bytes}) answers
 * RESOURCE_EXHAUSTED naming the flag and its value; neither changes anything. Left to gRPC, a
 * marshaller that cannot parse ends the call with UNKNOWN "Application error processing RPC" — a
 * client's garbage reported as the server's fault — and logs the parser's stack trace at SEVERE,
 * once per such message.
 *
 * <p>gRPC turns anything its marshaller throws into that UNKNOWN, so the marshaller here does not
 * throw: it answers null for bytes it cannot parse, and the method's first listener, before the
 * service sees anything, closes the call instead of passing the null on. (The interceptors around
 * every call see the null first: access control refuses it to a caller limited to one org, since
 * it names none.) Parsing is the method's own marshaller's, so what it parses and how fast are
 * unchanged.
 *
 * <p>The size is checked here rather than left to the transport's own limit, whose refusal
 * ("gRPC message exceeds maximum size") names no flag and cannot be reworded: the transport's
 * limit is set above the bound (Main), and a message between the two reaches the marshaller,
 * which answers a stand-in — an empty message of the method's type, never one that was parsed —
 * instead of parsing it. Its length is known before parsing (the transport has the whole
 * message); a compressed one is counted as it is inflated, and refused past the bound.
 */
final class MalformedRequests {
  private MalformedRequests() {}

  /** {@code service} with every method's requests parsed as described above, of any size. */
  static ServerServiceDefinition guard(ServerServiceDefinition service) {
    return guard(service, Integer.MAX_VALUE);
  }

  /** The same, refusing a request larger than {@code maxBytes}. */
  static ServerServiceDefinition guard(ServerServiceDefinition service, int maxBytes) {
    ServiceDescriptor old = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(old.getName())
        .setSchemaDescriptor(old.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guard(m, maxBytes);
      methods.add(guarded);
      descriptor.addMethod(guarded.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  private static <Q, A> ServerMethodDefinition<Q, A> guard(
      ServerMethodDefinition<Q, A> definition, int maxBytes) {
    MethodDescriptor<Q, A> method = definition.getMethodDescriptor();
    OrNull<Q> lenient = new OrNull<>(method.getRequestMarshaller(), maxBytes,
        standIn(method.getRequestMarshaller()));
    MethodDescriptor<Q, A> guardedMethod =
        method.toBuilder(lenient, method.getResponseMarshaller()).build();
    ServerCallHandler<Q, A> handler = definition.getServerCallHandler();
    Refusals<Q> refusals = new Refusals<>(
        StatusMapper.invalid("request", "is not a valid protobuf message for " + method.getFullMethodName()),
        lenient.tooLarge(), StatusMapper.tooLarge(maxBytes));
    return ServerMethodDefinition.create(guardedMethod, (call, headers) -> {
      OnceClosed<Q, A> guarded = new OnceClosed<>(call);
      return new Refusing<>(handler.startCall(guarded, headers), guarded, refusals);
    });
  }

  /**
   * A new empty message of the marshaller's type: equal to the default instance, yet not the
   * same object, so that it stands for "too large" by identity alone. Null when the marshaller
   * is not protobuf's (then a message over the bound is refused as malformed).
   */
  @SuppressWarnings("unchecked")
  private static <T> T standIn(MethodDescriptor.Marshaller<T> marshaller) {
    if (marshaller instanceof MethodDescriptor.PrototypeMarshaller<T> p
        && p.getMessagePrototype() instanceof Message m) {
      return (T) m.newBuilderForType().build();
    }
    return null;
  }

  /** How a call answers a message that did not parse, and one over the size bound. */
  private record Refusals<Q>(StatusRuntimeException malformed, Q tooLarge,
      StatusRuntimeException overBound) {}

  /**
   * The method's own marshaller, answering null where it would throw, and {@code tooLarge} for a
   * message over {@code maxBytes}.
   */
  private record OrNull<T>(MethodDescriptor.Marshaller<T> parser, int maxBytes, T tooLarge)
      implements MethodDescriptor.Marshaller<T> {
    @Override
    public InputStream stream(T value) {
      return parser.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
      try {
        if (maxBytes == Integer.MAX_VALUE) {
          return parser.parse(stream);
        }
        if (stream instanceof KnownLength) { // the transport's buffer: nothing read yet
          return stream.available() > maxBytes ? tooLarge : parser.parse(stream);
        }
        return parser.parse(new Bounded(stream, maxBytes));
      } catch (Bounded.Over e) {
        return tooLarge;
      } catch (IOException | RuntimeException e) { // protobuf's marshaller: StatusRuntimeException
        return null;
      }
    }
  }

  /** A stream that ends parsing, with {@link Over}, once more than its bound was read. */
  private static final class Bounded extends FilterInputStream {
    /** Thrown through the parser, which passes runtime exceptions on. */
    static final class Over extends RuntimeException {
      private static final long serialVersionUID = 1L;

      Over() {
        super(null, null, false, false);
      }
    }

    private long left;

    Bounded(InputStream in, int maxBytes) {
      super(in);
      this.left = maxBytes;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count(1);
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      count(skipped);
      return skipped;
    }

    private void count(long n) {
      left -= n;
      if (left < 0) {
        throw new Over();
      }
    }
  }

  /** Ends the call at the first request that did not parse; the service sees none after. */
  private static final class Refusing<Q, A>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final OnceClosed<Q, A> call;
    private final Refusals<Q> refusals;
    /** On the thread that delivers the call's events; read only there. */
    private boolean refused;

    Refusing(ServerCall.Listener<Q> next, OnceClosed<Q, A> call, Refusals<Q> refusals) {
      super(next);
      this.call = call;
      this.refusals = refusals;
    }

    @Override
    public void onMessage(Q message) {
      if (refused) {
        return;
      }
      if (message == null || message == refusals.tooLarge()) {
        refused = true;
        StatusRuntimeException e = message == null ? refusals.malformed() : refusals.overBound();
        call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
        super.onCancel(); // the service lets go of the call as if the client had gone
        return;
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        super.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (!refused) {
        super.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (!refused) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        super.onReady();
      }
    }
  }
}
