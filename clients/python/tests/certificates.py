"""Certificates made for a test by openssl, never kept: a private CA and a server certificate
for 127.0.0.1, as the server's own TLS tests make them."""

import hashlib
import subprocess
from pathlib import Path


def make(directory: Path) -> None:
    """Writes ca.pem, server.pem and server.key into ``directory``."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    (directory / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
            "-subj", "/CN=Admission test CA")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "server.ext")


def tokens_file(path: Path, roles: dict) -> None:
    """An --auth file: each token's SHA-256 with its role."""
    path.write_text("".join(
        f"{hashlib.sha256(token.encode()).hexdigest()} {role} {role.replace(':', '-')}\n"
        for token, role in roles.items()))
