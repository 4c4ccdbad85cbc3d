package io.admission.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Sends {@code authorization: Bearer <token>} with every call, as a server started with
 * {@code --auth} requires. Give it to {@link AdmissionClient#AdmissionClient(io.grpc.Channel,
 * CallCredentials)}, to a stub's {@code withCallCredentials}, or to a channel's credentials
 * ({@code CompositeChannelCredentials}) so that every call on it carries the token.
 *
 * <p>Sent over plaintext as well, for a server on loopback; across a network use TLS, or the token
 * can be read on the way.
 */
public final class BearerToken extends CallCredentials {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private final Metadata headers = new Metadata();

  public BearerToken(String token) {
    Objects.requireNonNull(token, "token");
    if (token.isBlank()) {
      throw new IllegalArgumentException("the token is empty");
    }
    headers.put(AUTHORIZATION, "Bearer " + token.strip());
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    Metadata copy = new Metadata();
    copy.merge(headers);
    applier.apply(copy);
  }

  /** Never the token: this object may end up in logs. */
  @Override
  public String toString() {
    return "BearerToken[hidden]";
  }
}
