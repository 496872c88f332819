"""The lab's test CA and server certificate, made with the openssl command line on first start.

The CA (RSA 2048, one year) signs a server certificate for DNS:localhost and IP:127.0.0.1. Both are made
again when the server certificate is missing or expires within a day. The keys stay in the state directory
with mode 0600.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

OPENSSL = "/usr/bin/openssl"
VALID_DAYS = "365"


def _openssl(*arguments: str, cwd: Path) -> None:
    completed = subprocess.run([OPENSSL, *arguments], cwd=cwd, capture_output=True, timeout=120)
    if completed.returncode != 0:
        raise RuntimeError(f"openssl {arguments[0]} failed: {completed.stderr.decode(errors='replace').strip()}")


def certificates_valid(state_dir: Path) -> bool:
    """Return whether the CA and server certificate exist and stay valid for at least one more day."""
    needed = ["ca.pem", "ca.key", "server.pem", "server.key"]
    if not all((state_dir / name).exists() for name in needed):
        return False
    completed = subprocess.run([OPENSSL, "x509", "-checkend", "86400", "-noout", "-in", str(state_dir / "server.pem")],
                               capture_output=True, timeout=60)
    return completed.returncode == 0


def ensure_certificates(state_dir: Path) -> None:
    """Create the CA and the server certificate unless valid ones exist."""
    if certificates_valid(state_dir):
        return
    previous_umask = os.umask(0o077)
    try:
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", VALID_DAYS,
                 "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=xapi-git lab test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=state_dir)
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", "server.key", "-out", "server.csr",
                 "-subj", "/CN=localhost", cwd=state_dir)
        (state_dir / "server.ext").write_text(
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid\n")
        _openssl("x509", "-req", "-sha256", "-days", VALID_DAYS, "-in", "server.csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-CAcreateserial", "-extfile", "server.ext", "-out", "server.pem", cwd=state_dir)
    finally:
        os.umask(previous_umask)
    # The CA certificate is public; clients in other users' processes may read it.
    (state_dir / "ca.pem").chmod(0o644)
