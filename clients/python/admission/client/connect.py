"""A channel to the server with what a server started with ``--auth`` or TLS asks for."""

import collections
from typing import Optional

import grpc


def connect(target: str, token: Optional[str] = None,
            ca_file: Optional[str] = None) -> grpc.Channel:
    """A channel to ``target`` (``host:port``): over TLS when ``ca_file`` is given, trusting the
    server's certificate if that PEM CA signed it (a private CA), plaintext otherwise; every call
    carries ``authorization: Bearer <token>`` when ``token`` is given (a server started with
    ``--auth``). A wrong or missing token ends calls ``UNAUTHENTICATED``, a token used outside
    its role or org ``PERMISSION_DENIED`` — the ``grpc.RpcError`` that the call or the acquire's
    future fails with.

    The channel belongs to the caller, as any channel given to ``AdmissionClient``: close it (or
    use it as a context manager) when done.
    """
    if ca_file is None:
        channel = grpc.insecure_channel(target)
    else:
        with open(ca_file, "rb") as f:
            channel = grpc.secure_channel(
                target, grpc.ssl_channel_credentials(root_certificates=f.read()))
    if token is None:
        return channel
    # Metadata rather than call credentials: gRPC sends those over TLS only, and a server on
    # loopback may take tokens in plaintext.
    return grpc.intercept_channel(channel, _BearerToken(token))


class _CallDetails(
        collections.namedtuple(
            "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready",
                             "compression")),
        grpc.ClientCallDetails):
    pass


class _BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                   grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every call's metadata."""

    def __init__(self, token: str):
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or [])
        metadata.append(self._header)
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            getattr(details, "wait_for_ready", None),
                            getattr(details, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._with_token(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._with_token(details), request_iterator)
