"""A client of ``admission.v1.AdmissionService``: acquire a slot for a call, wait while it is
held, and keep its lease renewed until released.

    with grpc.insecure_channel(target) as channel, AdmissionClient(channel) as admission:
        lease = admission.acquire(request, on_held=lambda hold: print(hold.message)).result()
        ...  # the call runs; the lease is renewed in the background
        admission.release(lease.org_id, lease.call_id).result()

For a server started with ``--auth`` or TLS, ``connect(target, token=..., ca_file=...)`` makes
the channel: every call carries the token, over TLS trusting that CA.

The generated messages and stubs are in ``admission.v1`` (``make clients``).
"""

from admission.client.client import AdmissionClient
from admission.client.connect import connect
from admission.client.errors import (
    AdmissionCancelledError,
    AdmissionDeniedError,
    AdmissionError,
    AdmissionWaitExpiredError,
)

__all__ = [
    "AdmissionClient",
    "connect",
    "AdmissionError",
    "AdmissionDeniedError",
    "AdmissionWaitExpiredError",
    "AdmissionCancelledError",
]
