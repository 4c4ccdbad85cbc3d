"""The real Admission server for the tests: the jar, started in memory on a free port."""

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path


from admission.client import connect
from admission.v1.admin_service_pb2 import PutOrgRequest
from admission.v1.admin_service_pb2_grpc import AdmissionAdminServiceStub
from admission.v1.types_pb2 import Org

ROOT = Path(__file__).resolve().parents[3]
JAR = Path(os.environ.get("ADMISSION_SERVER_JAR", ROOT / "server/target/admission-server.jar"))
LISTENING = re.compile(r"listening on .*:(\d+)$", re.MULTILINE)


class Server:
    """Starts ``java -jar admission-server.jar --listen 127.0.0.1:0 --in-memory`` (and ``args``)
    and reads the port it picked from its "listening on" line. Its own channel, for setting up,
    carries ``token`` and trusts ``ca_file`` (``connect``)."""

    def __init__(self, args=(), token=None, ca_file=None):
        if not JAR.is_file():
            raise RuntimeError(f"{JAR} is missing: build it with mvn -B -q package -DskipTests")
        self._log = tempfile.NamedTemporaryFile(prefix="admission-server-", suffix=".log")
        self._process = subprocess.Popen(
            ["java", "-Xmx256m", "-jar", str(JAR), "--listen", "127.0.0.1:0", "--in-memory",
             *args],
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            match = LISTENING.search(self.log())
            if match:
                self.target = f"127.0.0.1:{match.group(1)}"
                break
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start:\n{self.log()}")
            time.sleep(0.05)
        self.channel = connect(self.target, token=token, ca_file=ca_file)
        self.admin = AdmissionAdminServiceStub(self.channel)

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def put_org(self, org_id: str, concurrency_limit: int, **fields) -> None:
        self.admin.PutOrg(PutOrgRequest(
            org=Org(org_id=org_id, concurrency_limit=concurrency_limit, **fields)))

    def stop(self) -> None:
        if hasattr(self, "channel"):
            self.channel.close()
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._log.close()
