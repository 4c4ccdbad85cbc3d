"""README's "From Python" example, as written, against a fresh server with the org walk."""

import os
import re
import subprocess
import sys
import unittest

import grpc

from admission.v1.admission_service_pb2 import AcquireRequest
from admission.v1.admission_service_pb2_grpc import AdmissionServiceStub
from admission.v1.types_pb2 import CALL_TYPE_OUTBOUND
from tests.server import ROOT, Server


def readme_block(marker: str, language: str) -> str:
    """The fenced ``language`` code between <!-- marker --> and <!-- /marker --> in README.md."""
    readme = (ROOT / "README.md").read_text()
    section = re.search(f"<!-- {marker} -->(.*?)<!-- /{marker} -->", readme, re.DOTALL)
    if section is None:
        raise AssertionError(f"README.md has no <!-- {marker} --> section")
    code = re.search(f"```{language}\n(.*?)```", section.group(1), re.DOTALL)
    if code is None:
        raise AssertionError(f"README.md's {marker} section has no {language} block")
    return code.group(1)


class ReadmeExampleTest(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.addCleanup(self.server.stop)
        self.server.put_org("walk", 3)

    def test_the_python_example_acquires_and_releases(self):
        code = readme_block("python-client", "python").replace(
            "127.0.0.1:50051", self.server.target)

        run = subprocess.run(
            [sys.executable, "-"], input=code, capture_output=True, text=True, timeout=60,
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "clients/python")})

        self.assertEqual(0, run.returncode, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"^granted py-1 until \d{4}-\d\d-\d\dT")
        # Granted, then ended: a retry of the same Acquire is refused instead of granted again.
        with self.assertRaises(grpc.RpcError) as retry:
            AdmissionServiceStub(self.server.channel).Acquire(AcquireRequest(
                org_id="walk", call_id="py-1", call_type=CALL_TYPE_OUTBOUND))
        self.assertEqual(grpc.StatusCode.FAILED_PRECONDITION, retry.exception.code())


if __name__ == "__main__":
    unittest.main()
