"""AdmissionClient: acquire, wait while held, renew in the background, release."""

import logging
import random
import threading
from concurrent.futures import Future, InvalidStateError
from typing import Callable, Dict, Optional, Tuple

import grpc

from admission.client.errors import (
    AdmissionCancelledError,
    AdmissionDeniedError,
    AdmissionWaitExpiredError,
)
from admission.client.renewer import LeaseRenewer, OnLeaseLost
from admission.v1.admission_service_pb2 import (
    AcquireRequest,
    AcquireResponse,
    ReleaseRequest,
    WaitCancelled,
    WaitForSlotRequest,
)
from admission.v1.admission_service_pb2_grpc import AdmissionServiceStub
from admission.v1.types_pb2 import OUTCOME_DENIED, OUTCOME_GRANTED, OUTCOME_HELD, Hold, Lease

LOG = logging.getLogger(__name__)

OnHeld = Callable[[Hold], None]

#: Errors that reopening the wait stream cannot fix: the wait ends with them. Any other reopens.
FINAL_ERRORS = frozenset({
    grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNIMPLEMENTED,
})


class AdmissionClient:
    """A client of ``admission.v1.AdmissionService``.

    ``acquire`` asks for a slot and returns a ``concurrent.futures.Future`` of the lease: it
    completes when the call is granted at once or later dispatched, and from then on the lease is
    renewed at a third of its TTL until ``release``. It fails with ``AdmissionDeniedError``,
    ``AdmissionWaitExpiredError`` or ``AdmissionCancelledError`` when the server decides so; with
    the ``grpc.RpcError`` when Acquire fails, or when the wait stream fails in a way reopening
    cannot fix (``FINAL_ERRORS``); any other stream failure reopens the stream with backoff
    (100 ms doubling to 5 s). ``close`` cancels it.

    The channel belongs to the caller and is never closed here. No method blocks: each starts
    RPCs and returns. Futures complete, and ``on_held`` / ``on_lease_lost`` run, on gRPC's threads
    or on the client's own daemon threads (one per open wait stream, one for renewals): callbacks
    must return quickly. All methods are thread-safe; the client is a context manager that
    ``close``\\ s on exit.
    """

    def __init__(self, channel: grpc.Channel):
        self._stub = AdmissionServiceStub(channel)
        self._renewer = LeaseRenewer(self._stub)
        self._lock = threading.Lock()
        self._waits: Dict[Tuple[str, str], "_SlotWait"] = {}
        self._closed = False

    def acquire(self, request: AcquireRequest, on_held: Optional[OnHeld] = None,
                on_lease_lost: Optional[OnLeaseLost] = None) -> "Future[Lease]":
        """Asks for a slot for one call and waits for it as long as the call is held.

        ``on_held`` is called for the held answer and for every ``held`` event that differs from
        the previous one; ``on_lease_lost`` when a Renew finds the lease unknown (it expired or was
        ended elsewhere: the call should end). Cancelling the future only stops waiting: the call
        stays held at the server until released. Only one acquire per call may wait at a time; a
        second one fails with ``RuntimeError``.
        """
        wait = self._register(request.org_id, request.call_id, on_held, on_lease_lost)
        if not wait.future.done():
            answer = self._stub.Acquire.future(request)
            answer.add_done_callback(wait.answered)
        return wait.future

    def await_dispatch(self, org_id: str, call_id: str, on_held: Optional[OnHeld] = None,
                       on_lease_lost: Optional[OnLeaseLost] = None) -> "Future[Lease]":
        """Waits for a call that an earlier Acquire left held (by this process before a restart,
        or by another tool) without asking again: goes on as ``acquire`` does after a held
        answer, renewal included."""
        wait = self._register(org_id, call_id, on_held, on_lease_lost)
        wait.watch()
        return wait.future

    def release(self, org_id: str, call_id: str) -> grpc.Future:
        """Ends a call: stops renewing its lease and sends Release, which frees a granted call's
        slot or cancels a held one (idempotent at the server). An acquire of this call still
        waiting here fails at once with ``AdmissionCancelledError``. Works after ``close`` too.
        Returns the Release's future (its result is the ``ReleaseResponse``)."""
        self._renewer.untrack(org_id, call_id)
        with self._lock:
            wait = self._waits.get((org_id, call_id))
        if wait is not None:
            wait.fail(AdmissionCancelledError(
                WaitCancelled(message="released by this client while waiting")))
        return self._stub.Release.future(ReleaseRequest(org_id=org_id, call_id=call_id))

    def close(self) -> None:
        """Stops all renewals and cancels the acquires still waiting. Leases are not released
        (they expire at the server unless released) and the channel is not closed."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            waiting = list(self._waits.values())
        self._renewer.close()
        for wait in waiting:
            wait.future.cancel()

    def __enter__(self) -> "AdmissionClient":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _register(self, org_id, call_id, on_held, on_lease_lost) -> "_SlotWait":
        key = (org_id, call_id)
        wait = _SlotWait(key, self._stub, self._renewer, on_held, on_lease_lost)
        with self._lock:
            if self._closed:
                wait.fail(RuntimeError("AdmissionClient is closed"))
                return wait
            if key in self._waits:
                wait.fail(RuntimeError(
                    f"call {call_id} of org {org_id} is already being acquired"))
                return wait
            self._waits[key] = wait
        wait.future.add_done_callback(lambda _: self._unregister(key, wait))
        return wait

    def _unregister(self, key, wait) -> None:
        with self._lock:
            if self._waits.get(key) is wait:
                del self._waits[key]


class _Backoff:
    """Delays between attempts to reopen a broken stream: 100 ms doubling to 5 s, each with up
    to 20 % jitter so that the clients cut off by one server restart do not all come back at
    once. Not thread-safe: its owner guards it."""

    FIRST = 0.1
    MAX = 5.0

    def __init__(self):
        self._next = self.FIRST

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self.MAX, self._next * 2)
        return delay - random.uniform(0, delay / 5)

    def reset(self) -> None:
        self._next = self.FIRST


class _SlotWait:
    """One call on its way to a lease: the Acquire answer and, while the call is held, a
    WaitForSlot stream reopened with backoff whenever it breaks, until the call is dispatched,
    denied, expired or cancelled. Reopening loses nothing: the server's first event on a stream
    is always the call's current state.

    Whoever completes ``future`` first decides the outcome (a final event, a release, a close,
    the caller cancelling); completing it also cancels the open stream. A lease that arrives
    after that has no owner and is released at once rather than left to expire.
    """

    def __init__(self, key, stub: AdmissionServiceStub, renewer: LeaseRenewer,
                 on_held: Optional[OnHeld], on_lease_lost: Optional[OnLeaseLost]):
        self.future: "Future[Lease]" = Future()
        self._org_id, self._call_id = key
        self._stub = stub
        self._renewer = renewer
        self._on_held = on_held
        self._on_lease_lost = on_lease_lost
        self._lock = threading.Lock()
        self._backoff = _Backoff()
        self._stream = None
        self._last_hold: Optional[Hold] = None
        self.future.add_done_callback(lambda _: self._stop_stream())

    def succeed(self, lease: Lease) -> bool:
        try:
            self.future.set_result(lease)
            return True
        except InvalidStateError:  # already decided, or cancelled by the caller
            return False

    def fail(self, error: BaseException) -> bool:
        try:
            self.future.set_exception(error)
            return True
        except InvalidStateError:
            return False

    def answered(self, answer: grpc.Future) -> None:
        """gRPC thread: the Acquire answered or failed."""
        error = answer.exception()
        if error is not None:
            self.fail(error)
            return
        response: AcquireResponse = answer.result()
        if response.outcome == OUTCOME_GRANTED:
            self._granted(response.lease)
        elif response.outcome == OUTCOME_HELD:
            self._held(response.hold)
            self.watch()
        elif response.outcome == OUTCOME_DENIED:
            self.fail(AdmissionDeniedError(response.denial))
        else:
            self.fail(RuntimeError(f"Acquire answered without a known outcome: {response}"))

    def watch(self) -> None:
        """Opens a WaitForSlot stream for the call, unless the wait is already over."""
        if self.future.done():
            return
        stream = self._stub.WaitForSlot(
            WaitForSlotRequest(org_id=self._org_id, call_id=self._call_id))
        with self._lock:
            self._stream = stream
        if self.future.done():
            stream.cancel()  # the wait ended while the stream was starting
            return
        threading.Thread(target=self._read, args=(stream,), daemon=True,
                         name=f"admission-wait-{self._org_id}/{self._call_id}").start()

    def _read(self, stream) -> None:
        """Its own thread: the stream's events, until one ends the wait or the stream breaks."""
        try:
            for event in stream:
                with self._lock:
                    self._backoff.reset()
                kind = event.WhichOneof("event")
                if kind == "held":
                    self._held(event.held)
                elif kind == "dispatched":
                    self._granted(event.dispatched)
                elif kind == "denied":
                    self.fail(AdmissionDeniedError(event.denied))
                elif kind == "expired":
                    self.fail(AdmissionWaitExpiredError(event.expired))
                elif kind == "cancelled":
                    self.fail(AdmissionCancelledError(event.cancelled))
                # else: an event this client does not know yet; keep waiting
                if self.future.done():
                    return
            if not self.future.done():
                self._reopen_later()  # the stream ended without a final event: treat it as broken
        except grpc.RpcError as error:
            if self.future.done():
                return
            if error.code() in FINAL_ERRORS:
                self.fail(error)
            else:
                self._reopen_later()

    def _granted(self, lease: Lease) -> None:
        self._renewer.track(lease, self._on_lease_lost)
        if not self.succeed(lease):
            self._renewer.untrack(self._org_id, self._call_id)
            LOG.info("lease %s/%s arrived after its wait ended; releasing it",
                     self._org_id, self._call_id)
            self._stub.Release.future(ReleaseRequest(org_id=self._org_id, call_id=self._call_id))

    def _held(self, hold: Hold) -> None:
        with self._lock:
            if self.future.done() or hold == self._last_hold:
                return
            self._last_hold = hold
        if self._on_held is None:
            return
        try:
            self._on_held(hold)
        except Exception:  # a listener's bug must not end the wait
            LOG.exception("on_held callback failed")

    def _reopen_later(self) -> None:
        with self._lock:
            delay = self._backoff.next_delay()
        timer = threading.Timer(delay, self.watch)
        timer.daemon = True
        timer.start()

    def _stop_stream(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.cancel()
