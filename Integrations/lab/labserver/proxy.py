"""A small CONNECT proxy for tests: `python3 -m labserver.proxy --record FILE [--require-auth]`.

It binds 127.0.0.1 on a free port, prints `port N` on stdout once it listens, and tunnels CONNECT requests
to 127.0.0.1 or localhost only. Each CONNECT target is appended to the record file as one `host:port` line
before the proxy replies, so a test that reads the file after its request sees every tunnel that request
opened. With --require-auth the proxy replies 407 Proxy Authentication Required to every CONNECT. The proxy
exits after --lifetime-seconds (default 600) or when its stdin closes, so a test that dies leaves no proxy running.
"""

from __future__ import annotations

import argparse
import logging
import select
import socket
import socketserver
import sys
import threading

ALLOWED_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
MAX_HEAD_BYTES = 16 * 1024

log = logging.getLogger("lab.proxy")


class ProxyHandler(socketserver.BaseRequestHandler):
    """Reads one CONNECT head, then either refuses it or relays bytes both ways until one side closes."""

    def handle(self) -> None:
        head = self._read_head()
        if head is None:
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] != "CONNECT":
            self._reply(405, "Method Not Allowed", "this proxy only tunnels CONNECT requests")
            return

        target = parts[1]
        host, _, port_text = target.rpartition(":")
        self.server.record(target)

        if self.server.require_auth:
            self._reply(407, "Proxy Authentication Required", "this proxy needs credentials",
                        extra="Proxy-Authenticate: Basic realm=\"lab proxy\"\r\n")
            return
        if host not in ALLOWED_HOSTS or not port_text.isdigit():
            self._reply(403, "Forbidden", "this proxy only tunnels to 127.0.0.1 and localhost")
            return

        try:
            upstream = socket.create_connection(("127.0.0.1", int(port_text)), timeout=10)
        except OSError as error:
            log.info("CONNECT %s failed: %s", target, error)
            self._reply(502, "Bad Gateway", "the target did not accept the connection")
            return

        self.request.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        self._relay(upstream)

    def _read_head(self) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return None
            data += chunk
            if len(data) > MAX_HEAD_BYTES:
                self._reply(431, "Request Header Fields Too Large", "the request head is too large")
                return None
        return data

    def _reply(self, status: int, reason: str, text: str, extra: str = "") -> None:
        body = (text + "\n").encode()
        head = (f"HTTP/1.1 {status} {reason}\r\n{extra}Content-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        self.request.sendall(head.encode() + body)

    def _relay(self, upstream: socket.socket) -> None:
        sockets = [self.request, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 60)
                if not readable:
                    return
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is self.request else self.request).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, record_file: str, require_auth: bool) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.require_auth = require_auth
        self._record_file = record_file
        self._record_lock = threading.Lock()

    def record(self, target: str) -> None:
        with self._record_lock, open(self._record_file, "a", encoding="utf-8") as file:
            file.write(target + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python3 -m labserver.proxy", description="Run a recording CONNECT proxy.")
    parser.add_argument("--record", required=True, help="file that gets one host:port line per CONNECT")
    parser.add_argument("--require-auth", action="store_true", help="answer every CONNECT with 407")
    parser.add_argument("--lifetime-seconds", type=float, default=600, help="seconds after which the proxy exits")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s proxy %(message)s")

    server = ProxyServer(arguments.record, arguments.require_auth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"port {server.server_address[1]}", flush=True)

    # Stop at the end of the lifetime, or earlier when the parent closes stdin.
    stdin_closed = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        stdin_closed.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    stdin_closed.wait(arguments.lifetime_seconds)
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
