"""AdmissionClient against the real server: every way an acquire can end, and renewal."""

import threading
import time
import unittest
from concurrent.futures import CancelledError

import grpc
from google.protobuf.duration_pb2 import Duration

from admission.client import (
    AdmissionCancelledError,
    AdmissionClient,
    AdmissionDeniedError,
    AdmissionWaitExpiredError,
)
from admission.v1.admission_service_pb2 import (
    RELEASE_EFFECT_CANCELLED,
    RELEASE_EFFECT_RELEASED,
    AcquireRequest,
    ReleaseRequest,
    RenewRequest,
)
from admission.v1.admission_service_pb2_grpc import AdmissionServiceStub
from admission.v1.types_pb2 import (
    CALL_TYPE_OUTBOUND,
    DENIAL_REASON_DAILY_CAP,
    HOLD_REASON_ORG_POOL_FULL,
    SLOT_KIND_SHARED,
    DailyCap,
)
from tests.proxy import Proxy
from tests.server import Server

TIMEOUT = 10  # seconds; every wait below ends far sooner unless something is broken
server: Server


def setUpModule():
    global server
    server = Server()


def tearDownModule():
    server.stop()


def seconds(value: float) -> Duration:
    duration = Duration()
    duration.FromNanoseconds(int(value * 1e9))
    return duration


class AdmissionClientTest(unittest.TestCase):
    def setUp(self):
        # One org per test, named after it, so tests never share a pool.
        self.org = self.id().rsplit(".", 1)[-1].replace("_", "-")
        self.admission = AdmissionClient(server.channel)
        self.stub = AdmissionServiceStub(server.channel)

    def tearDown(self):
        self.admission.close()

    def request(self, call_id: str, **fields) -> AcquireRequest:
        return AcquireRequest(
            org_id=self.org, call_id=call_id, call_type=CALL_TYPE_OUTBOUND, **fields)

    def hold_call_2(self, **fields):
        """call-1 takes the org's one slot; call-2 is held. Returns call-2's future and holds."""
        self.admission.acquire(self.request("call-1")).result(TIMEOUT)
        holds, held = [], threading.Event()

        def on_held(hold):
            holds.append(hold)
            held.set()

        waiting = self.admission.acquire(self.request("call-2", **fields), on_held=on_held)
        self.assertTrue(held.wait(TIMEOUT), "on_held was not called")
        self.assertFalse(waiting.done())
        return waiting, holds

    def test_granted_at_once(self):
        server.put_org(self.org, 1)

        lease = self.admission.acquire(self.request("call-1")).result(TIMEOUT)

        self.assertEqual((self.org, "call-1"), (lease.org_id, lease.call_id))
        self.assertEqual(SLOT_KIND_SHARED, lease.slot_kind)
        self.assertTrue(lease.HasField("expires_at"))
        released = self.admission.release(self.org, "call-1").result(TIMEOUT)
        self.assertEqual(RELEASE_EFFECT_RELEASED, released.effect)

    def test_held_then_dispatched_when_the_slot_frees(self):
        server.put_org(self.org, 1)
        waiting, holds = self.hold_call_2()
        self.assertEqual(HOLD_REASON_ORG_POOL_FULL, holds[0].reason)
        self.assertEqual(1, holds[0].position)

        self.admission.release(self.org, "call-1").result(TIMEOUT)

        lease = waiting.result(TIMEOUT)
        self.assertEqual("call-2", lease.call_id)
        self.assertEqual(1, len(holds), "one hold, reported once")
        self.assertEqual(RELEASE_EFFECT_RELEASED,
                         self.admission.release(self.org, "call-2").result(TIMEOUT).effect)

    def test_denied_at_once_by_the_daily_cap(self):
        server.put_org(self.org, 5, daily_cap=DailyCap(cap=1))
        self.admission.acquire(self.request("call-1")).result(TIMEOUT)

        with self.assertRaises(AdmissionDeniedError) as denied:
            self.admission.acquire(self.request("call-2")).result(TIMEOUT)

        self.assertEqual(DENIAL_REASON_DAILY_CAP, denied.exception.denial.reason)
        self.assertTrue(denied.exception.denial.HasField("retry_at"))
        self.assertIn("denied: ", str(denied.exception))

    def test_denied_when_a_held_call_comes_up_past_the_daily_cap(self):
        server.put_org(self.org, 1, daily_cap=DailyCap(cap=1))
        waiting, _ = self.hold_call_2()

        self.admission.release(self.org, "call-1").result(TIMEOUT)

        with self.assertRaises(AdmissionDeniedError) as denied:
            waiting.result(TIMEOUT)
        self.assertEqual(DENIAL_REASON_DAILY_CAP, denied.exception.denial.reason)

    def test_wait_expired_after_max_wait(self):
        server.put_org(self.org, 1)
        waiting, holds = self.hold_call_2(max_wait=seconds(0.3))
        self.assertTrue(holds[0].HasField("wait_deadline"))

        with self.assertRaises(AdmissionWaitExpiredError) as expired:
            waiting.result(TIMEOUT)

        self.assertTrue(expired.exception.expiry.HasField("expired_at"))

    def test_cancelled_by_this_clients_release(self):
        server.put_org(self.org, 1)
        waiting, _ = self.hold_call_2()

        released = self.admission.release(self.org, "call-2")

        with self.assertRaises(AdmissionCancelledError) as cancelled:
            waiting.result(0)  # at once, not when the server answers
        self.assertIn("released by this client", cancelled.exception.cancellation.message)
        self.assertEqual(RELEASE_EFFECT_CANCELLED, released.result(TIMEOUT).effect)

    def test_cancelled_by_a_release_elsewhere(self):
        server.put_org(self.org, 1)
        waiting, _ = self.hold_call_2()

        self.stub.Release(ReleaseRequest(org_id=self.org, call_id="call-2"))

        with self.assertRaises(AdmissionCancelledError) as cancelled:
            waiting.result(TIMEOUT)
        self.assertTrue(cancelled.exception.cancellation.HasField("cancelled_at"))

    def test_renewal_keeps_the_lease_past_its_ttl(self):
        server.put_org(self.org, 2)
        renewed = self.admission.acquire(self.request("renewed", lease_ttl=seconds(1)))
        renewed.result(TIMEOUT)
        # The same lease taken without the client: nothing renews it.
        self.stub.Acquire(self.request("not-renewed", lease_ttl=seconds(1)))

        time.sleep(2.5)

        answer = self.stub.Renew(RenewRequest(org_id=self.org, call_ids=["renewed", "not-renewed"]))
        self.assertEqual(["renewed"], [lease.call_id for lease in answer.leases])
        self.assertEqual(["not-renewed"], list(answer.unknown_call_ids))
        self.assertEqual(RELEASE_EFFECT_RELEASED,
                         self.admission.release(self.org, "renewed").result(TIMEOUT).effect)

    def test_lease_lost_when_ended_elsewhere(self):
        server.put_org(self.org, 1)
        lost = []
        lost_event = threading.Event()

        def on_lease_lost(lease):
            lost.append(lease)
            lost_event.set()

        self.admission.acquire(
            self.request("call-1", lease_ttl=seconds(1)), on_lease_lost=on_lease_lost
        ).result(TIMEOUT)
        self.stub.Release(ReleaseRequest(org_id=self.org, call_id="call-1"))

        self.assertTrue(lost_event.wait(TIMEOUT), "on_lease_lost was not called")
        self.assertEqual(["call-1"], [lease.call_id for lease in lost])

    def test_acquire_fails_with_the_servers_error(self):
        with self.assertRaises(grpc.RpcError) as failed:
            self.admission.acquire(self.request("call-1")).result(TIMEOUT)  # no such org

        self.assertEqual(grpc.StatusCode.NOT_FOUND, failed.exception.code())

    def test_one_waiting_acquire_per_call(self):
        server.put_org(self.org, 1)
        waiting, _ = self.hold_call_2()

        with self.assertRaises(RuntimeError):
            self.admission.acquire(self.request("call-2")).result(TIMEOUT)
        self.assertFalse(waiting.done())

    def test_close_cancels_waiting_acquires(self):
        server.put_org(self.org, 1)
        waiting, _ = self.hold_call_2()

        self.admission.close()

        with self.assertRaises(CancelledError):
            waiting.result(0)

    def test_await_dispatch_of_a_call_held_elsewhere(self):
        server.put_org(self.org, 1)
        self.stub.Acquire(self.request("call-1"))
        self.stub.Acquire(self.request("call-2"))

        waiting = self.admission.await_dispatch(self.org, "call-2")
        self.stub.Release(ReleaseRequest(org_id=self.org, call_id="call-1"))

        self.assertEqual("call-2", waiting.result(TIMEOUT).call_id)

    def test_a_broken_wait_stream_is_reopened_and_the_dispatch_still_arrives(self):
        server.put_org(self.org, 1)
        proxy = Proxy(int(server.target.rsplit(":", 1)[1]))
        self.addCleanup(proxy.close)
        channel = grpc.insecure_channel(proxy.target)
        self.addCleanup(channel.close)
        self.admission.close()
        self.admission = AdmissionClient(channel)
        waiting, holds = self.hold_call_2()

        proxy.cut()
        time.sleep(1)  # the stream broke and was reopened: its first event repeats the hold
        self.assertFalse(waiting.done())
        self.stub.Release(ReleaseRequest(org_id=self.org, call_id="call-1"))

        self.assertEqual("call-2", waiting.result(TIMEOUT).call_id)
        self.assertEqual(1, len(holds), "the repeated hold is not reported again")


if __name__ == "__main__":
    unittest.main()
