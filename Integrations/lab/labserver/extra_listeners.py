"""Extra TLS listeners that serve the lab's routes with certificates a client must reject.

The expired listener presents a certificate signed by the lab CA whose validity ended a day ago. The
wrong-host listener presents a certificate signed by the lab CA for `wrong.example.test` only, so a client
that connects to localhost or 127.0.0.1 finds no matching name. Both bind 127.0.0.1, share the main
server's state, routes and switches, and refuse admin commands.
"""

from __future__ import annotations

import datetime
import os
import ssl
import tempfile
import threading
from pathlib import Path

from .certificates import _openssl
from .core import LabRequestHandler, LabServer

WRONG_HOST_NAME = "wrong.example.test"
EXPIRED_FILES = ("expired.pem", "expired.key")
WRONG_HOST_FILES = ("wrong-host.pem", "wrong-host.key")

# `openssl ca` needs a configuration with a database. Dates come from the command line, because
# `openssl x509 -days` cannot make a certificate whose end lies in the past.
CA_CONFIGURATION = """\
[ca]
default_ca = lab_ca

[lab_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any_policy
copy_extensions = none
unique_subject = no

[any_policy]
commonName = supplied

[server_extensions]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
"""


def _signed_with_current_ca(state_dir: Path, files: tuple[str, str]) -> bool:
    """Return whether both files exist and are newer than ca.pem, which is made again when it expires."""
    paths = [state_dir / name for name in files]
    if not all(path.exists() for path in paths):
        return False
    ca_time = (state_dir / "ca.pem").stat().st_mtime
    return all(path.stat().st_mtime >= ca_time for path in paths)


def _make_expired_certificate(state_dir: Path) -> None:
    """Sign a certificate for localhost and 127.0.0.1 that was valid from three days ago until yesterday."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start = (now - datetime.timedelta(days=3)).strftime("%Y%m%d%H%M%SZ")
    end = (now - datetime.timedelta(days=1)).strftime("%Y%m%d%H%M%SZ")
    with tempfile.TemporaryDirectory(dir=state_dir, prefix="expired-ca-") as work:
        work_dir = Path(work)
        (work_dir / "ca.cnf").write_text(CA_CONFIGURATION)
        (work_dir / "index.txt").write_text("")
        (work_dir / "serial").write_text(os.urandom(8).hex() + "\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", "expired.key", "-out", "expired.csr",
                 "-subj", "/CN=localhost", cwd=work_dir)
        _openssl("ca", "-batch", "-notext", "-config", "ca.cnf", "-extensions", "server_extensions",
                 "-cert", str(state_dir / "ca.pem"), "-keyfile", str(state_dir / "ca.key"),
                 "-startdate", start, "-enddate", end, "-in", "expired.csr", "-out", "expired.pem", cwd=work_dir)
        os.replace(work_dir / "expired.key", state_dir / "expired.key")
        os.replace(work_dir / "expired.pem", state_dir / "expired.pem")


def _make_wrong_host_certificate(state_dir: Path) -> None:
    """Sign a certificate, valid for a year, that names only WRONG_HOST_NAME."""
    with tempfile.TemporaryDirectory(dir=state_dir, prefix="wrong-host-") as work:
        work_dir = Path(work)
        (work_dir / "wrong-host.ext").write_text(
            f"subjectAltName=DNS:{WRONG_HOST_NAME}\n"
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", "wrong-host.key",
                 "-out", "wrong-host.csr", "-subj", f"/CN={WRONG_HOST_NAME}", cwd=work_dir)
        _openssl("x509", "-req", "-sha256", "-days", "365", "-in", "wrong-host.csr",
                 "-CA", str(state_dir / "ca.pem"), "-CAkey", str(state_dir / "ca.key"), "-set_serial",
                 str(int.from_bytes(os.urandom(8), "big")), "-extfile", "wrong-host.ext", "-out", "wrong-host.pem",
                 cwd=work_dir)
        os.replace(work_dir / "wrong-host.key", state_dir / "wrong-host.key")
        os.replace(work_dir / "wrong-host.pem", state_dir / "wrong-host.pem")


def ensure_extra_certificates(state_dir: Path) -> None:
    """Create the expired and wrong-host certificates unless ones signed by the current CA exist.

    Call it after certificates.ensure_certificates, which makes the CA.
    """
    previous_umask = os.umask(0o077)
    try:
        if not _signed_with_current_ca(state_dir, EXPIRED_FILES):
            _make_expired_certificate(state_dir)
        if not _signed_with_current_ca(state_dir, WRONG_HOST_FILES):
            _make_wrong_host_certificate(state_dir)
    finally:
        os.umask(previous_umask)


class ExtraListener(LabServer):
    """A second HTTPS port of the main server with its own certificate.

    It skips LabServer.__init__ so that it gets no switches or stall port of its own. Requests see this
    listener's base URL in links, and the empty admin key makes the admin route reject every command.
    """

    def __init__(self, main: LabServer, certificate: Path, key: Path, port: int = 0):
        self.state = main.state
        self.switches = main.switches
        self.admin_key = ""
        self.routes = main.routes
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(str(certificate), str(key))
        try:
            super(LabServer, self).__init__(("127.0.0.1", port), LabRequestHandler)
        except OSError:
            super(LabServer, self).__init__(("127.0.0.1", 0), LabRequestHandler)

    def start(self, name: str) -> None:
        threading.Thread(target=self.serve_forever, name=name, daemon=True).start()


def start_extra_listeners(main: LabServer, state_dir: Path, expired_port: int = 0,
                          wrong_host_port: int = 0) -> tuple[ExtraListener, ExtraListener]:
    """Start the expired and the wrong-host listener, binding the given ports when they are free."""
    ensure_extra_certificates(state_dir)
    expired = ExtraListener(main, state_dir / "expired.pem", state_dir / "expired.key", expired_port)
    wrong_host = ExtraListener(main, state_dir / "wrong-host.pem", state_dir / "wrong-host.key", wrong_host_port)
    expired.start("expired-listener")
    wrong_host.start("wrong-host-listener")
    return expired, wrong_host
