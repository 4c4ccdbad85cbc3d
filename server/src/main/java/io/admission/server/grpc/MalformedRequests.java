package io.admission.server.grpc;

import io.admission.server.auth.OnceClosed;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A request whose bytes are not its method's message answers INVALID_ARGUMENT naming the
 * request, and changes nothing. Left to gRPC, a marshaller that cannot parse ends the call with
 * UNKNOWN "Application error processing RPC" — a client's garbage reported as the server's
 * fault — and logs the parser's stack trace at SEVERE, once per such message.
 *
 * <p>gRPC turns anything its marshaller throws into that UNKNOWN, so the marshaller here does not
 * throw: it answers null for bytes it cannot parse, and the method's first listener, before the
 * service sees anything, closes the call instead of passing the null on. (The interceptors around
 * every call see the null first: access control refuses it to a caller limited to one org, since
 * it names none.) Parsing is the method's own marshaller's, so what it parses and how fast are
 * unchanged.
 */
final class MalformedRequests {
  private MalformedRequests() {}

  /** {@code service} with every method's requests parsed as described above. */
  static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor old = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(old.getName())
        .setSchemaDescriptor(old.getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guard(m);
      methods.add(guarded);
      descriptor.addMethod(guarded.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  private static <Q, A> ServerMethodDefinition<Q, A> guard(ServerMethodDefinition<Q, A> definition) {
    MethodDescriptor<Q, A> method = definition.getMethodDescriptor();
    MethodDescriptor<Q, A> lenient = method.toBuilder(
        new OrNull<>(method.getRequestMarshaller()), method.getResponseMarshaller()).build();
    ServerCallHandler<Q, A> handler = definition.getServerCallHandler();
    String refusal = "is not a valid protobuf message for " + method.getFullMethodName();
    return ServerMethodDefinition.create(lenient, (call, headers) -> {
      OnceClosed<Q, A> guarded = new OnceClosed<>(call);
      return new Refusing<>(handler.startCall(guarded, headers), guarded, refusal);
    });
  }

  /** The method's own marshaller, answering null where it would throw. */
  private record OrNull<T>(MethodDescriptor.Marshaller<T> parser) implements MethodDescriptor.Marshaller<T> {
    @Override
    public InputStream stream(T value) {
      return parser.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
      try {
        return parser.parse(stream);
      } catch (RuntimeException e) { // gRPC's protobuf marshaller: StatusRuntimeException
        return null;
      }
    }
  }

  /** Ends the call at the first request that did not parse; the service sees none after. */
  private static final class Refusing<Q, A>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final OnceClosed<Q, A> call;
    private final String refusal;
    /** On the thread that delivers the call's events; read only there. */
    private boolean refused;

    Refusing(ServerCall.Listener<Q> next, OnceClosed<Q, A> call, String refusal) {
      super(next);
      this.call = call;
      this.refusal = refusal;
    }

    @Override
    public void onMessage(Q message) {
      if (refused) {
        return;
      }
      if (message == null) {
        refused = true;
        StatusRuntimeException e = StatusMapper.invalid("request", refusal);
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
