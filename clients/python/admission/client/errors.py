"""Outcomes of an acquire that did not get a slot, as the server decided them.

These are outcomes, not transport failures: a gRPC failure arrives as the ``grpc.RpcError``
instead.
"""

from admission.v1.admission_service_pb2 import WaitCancelled, WaitExpired
from admission.v1.types_pb2 import Denial


class AdmissionError(Exception):
    """A call that did not get a slot: denied, its wait expired, or it was cancelled."""


class AdmissionDeniedError(AdmissionError):
    """The call was denied (a daily cap was reached); retry at ``denial.retry_at``."""

    def __init__(self, denial: Denial):
        super().__init__(f"denied: {denial.message}")
        #: The server's denial: reason, message and when to retry.
        self.denial = denial


class AdmissionWaitExpiredError(AdmissionError):
    """The held call's ``max_wait`` passed before a slot freed; it no longer waits."""

    def __init__(self, expiry: WaitExpired):
        super().__init__(f"wait expired: {expiry.message}")
        #: The server's event: when the call was held and when it stopped waiting.
        self.expiry = expiry


class AdmissionCancelledError(AdmissionError):
    """The held call was released before it was dispatched, by this client or anyone else."""

    def __init__(self, cancellation: WaitCancelled):
        super().__init__(f"cancelled: {cancellation.message}")
        #: The server's event, or one made by this client when it released the call itself.
        self.cancellation = cancellation
