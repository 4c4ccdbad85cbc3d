package io.admission.server.grpc;

import com.google.protobuf.Message;
import io.admission.server.api.IdLengths;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;

/**
 * The server's bound on id length ({@code --max-id-bytes}), when the operator sets it below the
 * 128 bytes every id may have: each id of each request message — org, call, agent and login ids
 * and caller numbers, in requests and in a Session's requests alike — is checked before any
 * service sees it, and the first one over the bound is INVALID_ARGUMENT naming the field and the
 * bound. Only installed when the bound is lower than the API's own limit, which the request
 * translation already checks. A Session stream is not ended for one bad request: there the
 * bound rides in the call's {@link Context} ({@link #current}) and the session answers that
 * request with the error, as it answers any refused request.
 *
 * <p>Runs on the transport thread that delivers the message; the check itself is {@link
 * IdLengths}, which the web page's API shares.
 */
public final class IdBound implements ServerInterceptor {
  /** The flag that sets the bound, as refusals name it. */
  public static final String FLAG = IdLengths.FLAG;

  private final IdLengths ids;

  public IdBound(int maxBytes) {
    this.ids = new IdLengths(maxBytes);
  }

  private static final Context.Key<IdBound> KEY = Context.key("admission-id-bound");

  /** The bound of the call being served, or null when there is none beyond the API's. */
  static IdBound current() {
    return KEY.get();
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (!call.getMethodDescriptor().getType().clientSendsOneMessage()) {
      return Contexts.interceptCall(Context.current().withValue(KEY, this), call, headers, next);
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
        next.startCall(call, headers)) {
      /** Set once a message was refused: the call is closed, and the service hears no more. */
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        String over = message instanceof Message m ? ids.overBound(m) : null;
        if (over == null) {
          super.onMessage(message);
          return;
        }
        refused = true;
        StatusRuntimeException e = refusal(over);
        call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }

      @Override
      public void onReady() {
        if (!refused) {
          super.onReady();
        }
      }
    };
  }

  /** The refusal of a request whose id at {@code field} is over the bound. */
  StatusRuntimeException refusal(String field) {
    return StatusMapper.invalid(ids.refusal(field));
  }

  /** The path of the first id over the bound in {@code m}, or null. */
  String overBound(Message m) {
    return ids.overBound(m);
  }
}
