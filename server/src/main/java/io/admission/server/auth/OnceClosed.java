package io.admission.server.auth;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;

/**
 * A call that an interceptor may close while the service still sends on it (a Session answering
 * from the loop thread): sends and the close are serialised, and nothing is sent once it is
 * closed — the service learns of the end through its cancellation, as for a client that went
 * away. Shared by the interceptors that refuse one message of a stream (access, malformed bytes).
 */
public final class OnceClosed<Q, A> extends ForwardingServerCall.SimpleForwardingServerCall<Q, A> {
  private boolean closed;

  public OnceClosed(ServerCall<Q, A> call) {
    super(call);
  }

  @Override
  public synchronized void sendHeaders(Metadata headers) {
    if (!closed) {
      super.sendHeaders(headers);
    }
  }

  @Override
  public synchronized void sendMessage(A message) {
    if (!closed) {
      super.sendMessage(message);
    }
  }

  @Override
  public synchronized void close(Status status, Metadata trailers) {
    if (!closed) {
      closed = true;
      super.close(status, trailers);
    }
  }
}
