"""``connect`` against the real server started with --auth and TLS: the token and the CA."""

import tempfile
import unittest
from pathlib import Path

import grpc

from admission.client import AdmissionClient, connect
from admission.v1.admission_service_pb2 import AcquireRequest
from admission.v1.admission_service_pb2_grpc import AdmissionServiceStub
from admission.v1.types_pb2 import CALL_TYPE_OUTBOUND
from tests import certificates
from tests.server import Server

TIMEOUT = 10  # seconds
ADMIN, DIALER = "admin-token-for-the-test", "dialer-token-for-the-test"


class ConnectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="admission-tls-")
        d = Path(cls.dir.name)
        certificates.make(d)
        certificates.tokens_file(d / "tokens", {ADMIN: "admin", DIALER: "org:acme"})
        cls.ca = str(d / "ca.pem")
        cls.server = Server(
            ["--auth", str(d / "tokens"), "--tls-cert", str(d / "server.pem"),
             "--tls-key", str(d / "server.key")],
            token=ADMIN, ca_file=cls.ca)
        cls.server.put_org("acme", 3)
        cls.server.put_org("other", 3)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.dir.cleanup()

    def acquire(self, org_id, call_id, **connect_args):
        with connect(self.server.target, **connect_args) as channel, \
                AdmissionClient(channel) as admission:
            lease = admission.acquire(AcquireRequest(
                org_id=org_id, call_id=call_id, call_type=CALL_TYPE_OUTBOUND)).result(TIMEOUT)
            admission.release(lease.org_id, lease.call_id).result(TIMEOUT)
            return lease

    def test_the_right_token_over_tls_acquires(self):
        lease = self.acquire("acme", "c-right", token=DIALER, ca_file=self.ca)
        self.assertEqual("c-right", lease.call_id)

    def test_a_wrong_or_missing_token_is_unauthenticated(self):
        for token in ("not-a-token", None):
            with self.subTest(token=token), self.assertRaises(grpc.RpcError) as failed:
                self.acquire("acme", "c-wrong", token=token, ca_file=self.ca)
            self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, failed.exception.code())

    def test_a_token_outside_its_org_is_permission_denied(self):
        with self.assertRaises(grpc.RpcError) as failed:
            self.acquire("other", "c-other", token=DIALER, ca_file=self.ca)
        self.assertEqual(grpc.StatusCode.PERMISSION_DENIED, failed.exception.code())

    def test_plaintext_to_a_tls_server_does_not_connect(self):
        with connect(self.server.target, token=DIALER) as channel, \
                self.assertRaises(grpc.RpcError) as failed:
            AdmissionServiceStub(channel).Acquire(AcquireRequest(
                org_id="acme", call_id="c-plain", call_type=CALL_TYPE_OUTBOUND), timeout=TIMEOUT)
        self.assertEqual(grpc.StatusCode.UNAVAILABLE, failed.exception.code())


class PlaintextTokenTest(unittest.TestCase):
    """A server on loopback with --auth and no TLS: the token goes in plaintext."""

    def test_the_token_is_sent_without_tls(self):
        with tempfile.TemporaryDirectory(prefix="admission-auth-") as d:
            tokens = Path(d) / "tokens"
            certificates.tokens_file(tokens, {ADMIN: "admin"})
            server = Server(["--auth", str(tokens)], token=ADMIN)
            try:
                server.put_org("acme", 1)
                with connect(server.target, token=ADMIN) as channel, \
                        AdmissionClient(channel) as admission:
                    lease = admission.acquire(AcquireRequest(
                        org_id="acme", call_id="c-1", call_type=CALL_TYPE_OUTBOUND)).result(TIMEOUT)
                    self.assertEqual("c-1", lease.call_id)
                    admission.release("acme", "c-1").result(TIMEOUT)
                with connect(server.target, token="wrong") as channel, \
                        self.assertRaises(grpc.RpcError) as failed:
                    AdmissionServiceStub(channel).Acquire(AcquireRequest(
                        org_id="acme", call_id="c-2", call_type=CALL_TYPE_OUTBOUND), timeout=TIMEOUT)
                self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, failed.exception.code())
            finally:
                server.stop()

if __name__ == "__main__":
    unittest.main()
