"""Keeps granted leases alive until they are released."""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from admission.v1.admission_service_pb2 import RenewRequest, RenewResponse
from admission.v1.admission_service_pb2_grpc import AdmissionServiceStub
from admission.v1.types_pb2 import Lease

LOG = logging.getLogger(__name__)

#: The server takes at most this many ids per Renew.
MAX_BATCH = 1000
#: TTL assumed for a lease that states none (the server's own default).
DEFAULT_TTL = 3600.0
MIN_INTERVAL = 0.010
MAX_RETRY = 5.0

OnLeaseLost = Callable[[Lease], None]


def ttl_seconds(lease: Lease, previous: float) -> float:
    """The lease's TTL; when it states none, the one it had before, else what its times imply."""
    if lease.HasField("ttl") and lease.ttl.ToNanoseconds() > 0:
        return lease.ttl.ToNanoseconds() / 1e9
    if previous > 0:
        return previous
    if lease.HasField("granted_at") and lease.HasField("expires_at"):
        nanos = lease.expires_at.ToNanoseconds() - lease.granted_at.ToNanoseconds()
        if nanos > 0:
            return nanos / 1e9
    return DEFAULT_TTL


@dataclass(eq=False)
class _Tracked:
    """One lease being renewed; times are ``time.monotonic()`` values."""

    lease: Lease
    on_lease_lost: Optional[OnLeaseLost]
    ttl: float = 0.0
    renew_at: float = 0.0
    in_flight: bool = False

    def renewed(self, lease: Lease, now: float) -> None:
        self.lease = lease
        self.ttl = ttl_seconds(lease, self.ttl)
        self.renew_at = now + self.interval()
        self.in_flight = False

    def interval(self) -> float:
        return max(MIN_INTERVAL, self.ttl / 3)


class LeaseRenewer:
    """Renews each lease a third of its TTL after it was granted or last renewed, with all leases
    of one org that are due in one ``Renew`` call.

    Batching: when an org's earliest lease falls due, every lease of that org due within the
    next sixth of its own TTL rides along, so leases granted close together settle into one
    batch instead of one Renew each. A lease the server no longer knows (listed in
    ``unknown_call_ids``) is dropped and reported to its ``on_lease_lost``; a failed Renew, or a
    lease neither renewed nor unknown, is asked for again after a tenth of its TTL (at most 5 s).

    Threads: one daemon thread, started with the first lease, sends the Renews (asynchronously);
    their answers arrive on gRPC's threads, which also call ``on_lease_lost``. All state is
    guarded by one condition, never held while calling gRPC or a callback.
    """

    def __init__(self, stub: AdmissionServiceStub):
        self._stub = stub
        self._cond = threading.Condition()
        # org_id -> call_id -> _Tracked, in the order the leases were granted.
        self._orgs: Dict[str, Dict[str, _Tracked]] = {}
        self._thread: Optional[threading.Thread] = None
        self._closed = False

    def track(self, lease: Lease, on_lease_lost: Optional[OnLeaseLost]) -> None:
        """Starts renewing ``lease`` (replacing an earlier lease of the same call)."""
        with self._cond:
            if self._closed:
                return
            tracked = _Tracked(lease, on_lease_lost)
            tracked.renewed(lease, time.monotonic())
            self._orgs.setdefault(lease.org_id, {})[lease.call_id] = tracked
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="admission-lease-renewer", daemon=True)
                self._thread.start()
            self._cond.notify()

    def untrack(self, org_id: str, call_id: str) -> None:
        """Stops renewing the call; a Renew already on its way is ignored when it answers."""
        with self._cond:
            leases = self._orgs.get(org_id)
            if leases is not None and leases.pop(call_id, None) is not None and not leases:
                del self._orgs[org_id]

    def close(self) -> None:
        """Stops all renewals; leases are not released."""
        with self._cond:
            self._closed = True
            self._orgs.clear()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            batches = []
            with self._cond:
                if self._closed:
                    return
                now = time.monotonic()
                wake = None
                for org_id, leases in self._orgs.items():
                    waiting = [t for t in leases.values() if not t.in_flight]
                    if not waiting:
                        continue
                    first = min(t.renew_at for t in waiting)
                    if first > now:
                        wake = first if wake is None else min(wake, first)
                        continue
                    due = [t for t in waiting if t.renew_at - now <= t.ttl / 6]
                    for t in due:
                        t.in_flight = True
                    later = [t.renew_at for t in waiting if not t.in_flight]
                    if later:
                        wake = min(later) if wake is None else min(wake, *later)
                    for start in range(0, len(due), MAX_BATCH):
                        batches.append((org_id, due[start:start + MAX_BATCH]))
                if not batches:
                    self._cond.wait(None if wake is None else wake - now)
                    continue
            for org_id, batch in batches:
                self._send(org_id, batch)

    def _send(self, org_id: str, batch: List[_Tracked]) -> None:
        request = RenewRequest(org_id=org_id, call_ids=[t.lease.call_id for t in batch])
        # An answer later than the next renewal is of no use: the retry will ask again.
        answer = self._stub.Renew.future(request, timeout=min(t.interval() for t in batch))
        answer.add_done_callback(lambda done: self._answered(org_id, batch, done))

    def _answered(self, org_id: str, batch: List[_Tracked], done) -> None:
        """gRPC thread: the Renew answered or failed."""
        error = done.exception()
        if error is not None:
            with self._cond:
                now = time.monotonic()
                for t in batch:
                    self._retry_later(org_id, t, now)
            LOG.warning("Renew of %d lease(s) of org %s failed, will retry: %s",
                        len(batch), org_id, error)
            return
        response: RenewResponse = done.result()
        lost = []
        with self._cond:
            leases = self._orgs.get(org_id)
            if leases is None:
                return  # closed, or its leases were released meanwhile
            now = time.monotonic()
            sent = {t.lease.call_id: t for t in batch}
            for lease in response.leases:
                t = sent.pop(lease.call_id, None)
                if t is not None and leases.get(lease.call_id) is t:
                    t.renewed(lease, now)
            for call_id in response.unknown_call_ids:
                t = sent.pop(call_id, None)
                if t is not None and leases.get(call_id) is t:
                    del leases[call_id]
                    lost.append(t)
            # Neither renewed nor unknown (held, or left out of the answer): ask again soon.
            for t in sent.values():
                self._retry_later(org_id, t, now)
            if not leases:
                del self._orgs[org_id]
            self._cond.notify()
        for t in lost:
            if t.on_lease_lost is None:
                continue
            try:
                t.on_lease_lost(t.lease)
            except Exception:  # a listener's bug must not stop the renewals of other leases
                LOG.exception("on_lease_lost callback failed")

    def _retry_later(self, org_id: str, t: _Tracked, now: float) -> None:
        if self._orgs.get(org_id, {}).get(t.lease.call_id) is t:
            t.in_flight = False
            t.renew_at = now + min(MAX_RETRY, max(MIN_INTERVAL, t.ttl / 10))
            self._cond.notify()
