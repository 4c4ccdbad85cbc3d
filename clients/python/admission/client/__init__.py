"""A client of ``admission.v1.AdmissionService``: acquire a slot for a call, wait while it is
held, and keep its lease renewed until released.

    with grpc.insecure_channel(target) as channel, AdmissionClient(channel) as admission:
        lease = admission.acquire(request, on_held=lambda hold: print(hold.message)).result()
        ...  # the call runs; the lease is renewed in the background
        admission.release(lease.org_id, lease.call_id).result()

The generated messages and stubs are in ``admission.v1`` (``make clients``).
"""

from admission.client.client import AdmissionClient
from admission.client.errors import (
    AdmissionCancelledError,
    AdmissionDeniedError,
    AdmissionError,
    AdmissionWaitExpiredError,
)

__all__ = [
    "AdmissionClient",
    "AdmissionError",
    "AdmissionDeniedError",
    "AdmissionWaitExpiredError",
    "AdmissionCancelledError",
]
