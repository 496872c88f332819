"""Tests of the lab's extra TLS listeners: one with an expired certificate, one with a certificate for another host.

They start a lab of their own in a temporary state directory and stop it at the end. Run:
`python3 -m unittest discover Integrations/lab/tests`.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import unittest
import urllib.parse
from pathlib import Path

LABCTL = Path(__file__).resolve().parent.parent / "labctl"

work_dir: Path
environment: dict[str, str]
exports: dict[str, str]


def setUpModule() -> None:
    global work_dir, environment, exports
    work_dir = Path(tempfile.mkdtemp(prefix="lab-listener-test-"))
    environment = {key: value for key, value in os.environ.items()
                   if key.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    environment["XAPI_LAB_STATE"] = str(work_dir / "state")
    output = labctl("start")
    exports = dict(line.removeprefix("export ").split("=", 1) for line in output.splitlines())


def tearDownModule() -> None:
    labctl("stop")
    shutil.rmtree(work_dir, ignore_errors=True)


def labctl(*arguments: str) -> str:
    completed = subprocess.run([str(LABCTL), *arguments], capture_output=True, text=True, env=environment,
                               timeout=60)
    if completed.returncode != 0:
        raise AssertionError(f"labctl {' '.join(arguments)} failed: {completed.stderr}")
    return completed.stdout.strip()


def port_of(name: str) -> int:
    port = urllib.parse.urlsplit(exports[name]).port
    assert port is not None, f"{name} has no port: {exports[name]}"
    return port


def lab_context() -> ssl.SSLContext:
    """A client context that trusts only the lab CA and checks host names."""
    return ssl.create_default_context(cafile=exports["XAPI_GIT_CA_FILE"])


def get(host: str, port: int, path: str, context: ssl.SSLContext) -> tuple[int, bytes]:
    client = http.client.HTTPSConnection(host, port, context=context, timeout=10)
    try:
        client.request("GET", path)
        response = client.getresponse()
        return response.status, response.read()
    finally:
        client.close()


def handshake_error(host: str, port: int) -> ssl.SSLCertVerificationError:
    """Return the verification error of a request to the listener, failing the test if there is none."""
    try:
        get(host, port, "/_lab/ping", lab_context())
    except ssl.SSLCertVerificationError as error:
        return error
    raise AssertionError(f"https://{host}:{port} passed certificate verification")


class ExtraListenerTests(unittest.TestCase):
    def test_start_prints_both_urls(self):
        for name in ("XAPI_LAB_EXPIRED_URL", "XAPI_LAB_WRONG_HOST_URL"):
            self.assertTrue(exports[name].startswith("https://localhost:"), exports[name])
        ports = {port_of(name) for name in ("XAPI_LAB_URL", "XAPI_LAB_STALL_URL", "XAPI_LAB_EXPIRED_URL",
                                            "XAPI_LAB_WRONG_HOST_URL")}
        self.assertEqual(len(ports), 4)

    def test_second_start_prints_same_urls(self):
        again = dict(line.removeprefix("export ").split("=", 1) for line in labctl("start").splitlines())
        self.assertEqual(again, exports)

    def test_expired_certificate_fails_verification(self):
        error = handshake_error("localhost", port_of("XAPI_LAB_EXPIRED_URL"))
        self.assertEqual(error.verify_code, 10, error.verify_message)  # X509_V_ERR_CERT_HAS_EXPIRED

    def test_expired_listener_serves_lab_routes(self):
        # Without verification the same routes answer, so a client's rejection comes from the certificate alone.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        status, body = get("127.0.0.1", port_of("XAPI_LAB_EXPIRED_URL"), "/_lab/echo", context)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["path"], "/_lab/echo")

    def test_wrong_host_certificate_fails_verification(self):
        # 62 is X509_V_ERR_HOSTNAME_MISMATCH and 64 is X509_V_ERR_IP_ADDRESS_MISMATCH.
        for host, code in (("localhost", 62), ("127.0.0.1", 64)):
            error = handshake_error(host, port_of("XAPI_LAB_WRONG_HOST_URL"))
            self.assertEqual(error.verify_code, code, error.verify_message)

    def test_wrong_host_certificate_names_other_host(self):
        # The certificate is valid and chains to the lab CA: only the name differs.
        context = lab_context()
        context.check_hostname = False
        status, _ = get("127.0.0.1", port_of("XAPI_LAB_WRONG_HOST_URL"), "/_lab/ping", context)
        self.assertEqual(status, 200)
        certificate = (work_dir / "state" / "wrong-host.pem").read_text()
        completed = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=certificate,
                                   capture_output=True, text=True, timeout=30)
        self.assertIn("DNS:wrong.example.test", completed.stdout)
        self.assertNotIn("localhost", completed.stdout)

    def test_admin_commands_rejected_on_extra_listeners(self):
        key = (work_dir / "state" / "admin.key").read_text().strip()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        for name in ("XAPI_LAB_EXPIRED_URL", "XAPI_LAB_WRONG_HOST_URL"):
            client = http.client.HTTPSConnection("127.0.0.1", port_of(name), context=context, timeout=10)
            try:
                client.request("POST", "/_lab/admin/status", body=b"{}",
                               headers={"X-Lab-Admin-Key": key, "Content-Type": "application/json"})
                response = client.getresponse()
                response.read()
                self.assertEqual(response.status, 403, name)
            finally:
                client.close()


if __name__ == "__main__":
    unittest.main()
