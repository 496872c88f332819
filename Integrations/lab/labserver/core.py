"""The lab's TLS server: connection handling, request parsing, routing to the platforms, and the switches
(latency, stall) that tests turn on through the admin API.

Every response carries Content-Length so connections stay alive, Nagle's algorithm is off, and each TLS
handshake runs in the connection's own thread so one slow client cannot hold up the accept loop.
"""

from __future__ import annotations

import gzip
import http.server
import json
import logging
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from email.message import Message
from typing import Callable, Iterable

from .state import LabState

log = logging.getLogger("lab")

MAX_REQUEST_BODY_BYTES = 256 << 20
STALL_SECONDS = 600


@dataclass
class Request:
    method: str
    raw_path: str
    """The path without the query, still percent-encoded (GitLab project paths depend on that)."""
    raw_query: str
    headers: Message
    body: bytes
    lab: "LabServer"

    @property
    def path(self) -> str:
        return urllib.parse.unquote(self.raw_path)

    @property
    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(self.raw_query, keep_blank_values=True)

    def query_value(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # When set, the handler calls it with the raw output stream instead of sending status, headers and body.
    raw_writer: Callable[["LabRequestHandler"], None] | None = None
    close: bool = False

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def json_response(status: int, payload: object, headers: Iterable[tuple[str, str]] = ()) -> Response:
    body = json.dumps(payload, indent=None, separators=(",", ":")).encode()
    return Response(status, [("Content-Type", "application/json; charset=utf-8"), *headers], body)


def text_response(status: int, text: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response(status, [("Content-Type", "text/plain; charset=utf-8"), *headers], text.encode())


class Switches:
    """Latency and stall rules, each for the requests under one path prefix.

    Tests run in parallel against one lab, so each test sets rules for its own prefix and removes only
    those; a rule for another prefix stays. Clearing with the prefix "/" removes every rule.
    """

    def __init__(self, latency_ms: int = 0):
        self.condition = threading.Condition()
        self.latency_rules: dict[str, int] = {"/": latency_ms} if latency_ms else {}
        self.stall_prefixes: set[str] = set()

    @property
    def latency_ms(self) -> int:
        with self.condition:
            return self.latency_rules.get("/", 0)

    @property
    def stall_prefix(self) -> str | None:
        with self.condition:
            return ", ".join(sorted(self.stall_prefixes)) or None

    def set_latency(self, milliseconds: int, prefix: str = "/") -> None:
        with self.condition:
            if milliseconds:
                self.latency_rules[prefix] = milliseconds
            elif prefix == "/":
                self.latency_rules.clear()
            else:
                self.latency_rules.pop(prefix, None)

    def set_stall(self, prefix: str | None, on: bool = True) -> None:
        with self.condition:
            if prefix is None or (not on and prefix == "/"):
                self.stall_prefixes.clear()
            elif on:
                self.stall_prefixes.add(prefix)
            else:
                self.stall_prefixes.discard(prefix)
            self.condition.notify_all()

    def latency_for(self, path: str) -> float:
        """The delay of the longest matching latency rule, in seconds."""
        with self.condition:
            matches = [prefix for prefix in self.latency_rules if path.startswith(prefix)]
            return self.latency_rules[max(matches, key=len)] / 1000 if matches else 0.0

    def _stalled(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.stall_prefixes)

    def stalls(self, path: str) -> bool:
        with self.condition:
            return self._stalled(path)

    def wait_while_stalled(self, path: str) -> None:
        """Block until no stall rule matches `path`, or for at most ten minutes."""
        deadline = time.monotonic() + STALL_SECONDS
        with self.condition:
            while self._stalled(path):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self.condition.wait(remaining)


class HandshakeFailed(Exception):
    """A client closed the connection or spoke no TLS; logged in one line instead of a traceback."""


class LabRequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "xapi-lab/1.0"
    disable_nagle_algorithm = True
    # Idle keep-alive connections close after this many seconds without a request.
    timeout = 120
    server: "LabServer"

    def setup(self) -> None:
        connection = self.request
        connection.settimeout(30)
        try:
            connection.do_handshake()
        except (ssl.SSLError, OSError) as error:
            raise HandshakeFailed(str(error)) from error
        super().setup()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, ssl.SSLError) as error:
            log.debug("connection from %s ended: %s", self.client_address, error)
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def log_error(self, format: str, *args: object) -> None:
        """Log the error responses that http.server sends itself (431 for more than 100 header fields, 400
        for a bad request line) at warning level, because they never reach `_dispatch` and its log line.
        An idle keep-alive connection timing out stays at debug level."""
        level = logging.WARNING if format.startswith("code ") else logging.DEBUG
        log.log(level, "%s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes | None:
        """Read the request body, decoding chunked transfer coding and gzip or deflate content coding.

        Returns None after sending an error response for a body that cannot be read.
        """
        transfer_encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in transfer_encoding:
            body = self._read_chunked()
        else:
            length_text = self.headers.get("Content-Length")
            length = int(length_text) if length_text and length_text.isdigit() else 0
            if length > MAX_REQUEST_BODY_BYTES:
                self._send_plain(413, f"request body of {length} bytes exceeds the lab's limit")
                return None
            body = self.rfile.read(length) if length else b""
        if body is None:
            self._send_plain(400, "malformed chunked request body")
            return None

        encoding = (self.headers.get("Content-Encoding") or "").lower()
        try:
            if encoding in ("gzip", "x-gzip"):
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
        except (OSError, zlib.error, EOFError):
            self._send_plain(400, f"request body is not valid {encoding} data")
            return None
        return body

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024)
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                # Skip trailer fields up to the blank line that ends the message.
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_REQUEST_BODY_BYTES:
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _send_plain(self, status: int, text: str) -> None:
        self._send(text_response(status, text + "\n"))
        self.close_connection = True

    def _dispatch(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        raw_path, _, raw_query = self.path.partition("?")
        request = Request(self.command, raw_path, raw_query, self.headers, body, self.server)

        switches = self.server.switches
        if switches.stalls(raw_path) and not raw_path.startswith("/_lab/admin/"):
            log.info("stalling %s %s", self.command, raw_path)
            switches.wait_while_stalled(raw_path)
            self.close_connection = True
            return

        try:
            response = self.server.route(request)
        except Exception:
            log.exception("request %s %s failed", self.command, raw_path)
            response = json_response(500, {"message": "lab server error: see server.log"})

        delay = switches.latency_for(raw_path)
        if delay:
            time.sleep(delay)
        self._send(response)
        elapsed_ms = (time.monotonic() - started) * 1000
        # Body sizes, so benchmarks can add up what a client sent and received (scripts/bench-sync reads them).
        sent = len(response.body) if response.raw_writer is None and self.command != "HEAD" else 0
        log.info("%s %s -> %d (%.0f ms, %d bytes in, %d bytes out)", self.command, raw_path, response.status,
                 elapsed_ms, len(body), sent)

    # BaseHTTPRequestHandler calls do_<METHOD>; every method goes to the one dispatcher.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _dispatch

    def _send(self, response: Response) -> None:
        if response.raw_writer is not None:
            self.close_connection = True
            response.raw_writer(self)
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.header("Content-Length") is None:
            self.send_header("Content-Length", str(len(response.body)))
        if response.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)
        self.wfile.flush()


class StallListener:
    """A TCP port that accepts connections and never sends a byte, for connect and handshake timeouts."""

    MAX_HELD_CONNECTIONS = 256

    def __init__(self, port: int = 0) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(("127.0.0.1", port))
        except OSError:
            self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.held: list[tuple[float, socket.socket]] = []

    def serve_forever(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            now = time.monotonic()
            self.held.append((now, connection))
            # Close connections held for ten minutes, and the oldest ones beyond the cap.
            while self.held and (now - self.held[0][0] > STALL_SECONDS or len(self.held) > self.MAX_HELD_CONNECTIONS):
                self.held.pop(0)[1].close()


class LabServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, state: LabState, certificate: str, key: str, latency_ms: int = 0, port: int = 0,
                 stall_port: int = 0):
        self.state = state
        self.switches = Switches(latency_ms)
        self.admin_key = ""
        self.routes: list[tuple[str, Callable[[Request], Response]]] = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(certificate, key)
        super().__init__(("127.0.0.1", port), LabRequestHandler)
        self.stall_listener = StallListener(stall_port)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}"

    def get_request(self):
        connection, address = self.socket.accept()
        wrapped = self.context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def handle_error(self, request, client_address) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (HandshakeFailed, ConnectionError, TimeoutError)):
            log.debug("connection from %s failed: %s", client_address, error)
        else:
            log.exception("connection from %s failed", client_address)

    def add_route(self, prefix: str, handler: Callable[[Request], Response]) -> None:
        """Send requests whose raw path is `prefix` or starts with `prefix/` to `handler`."""
        self.routes.append((prefix, handler))

    def route(self, request: Request) -> Response:
        for prefix, handler in self.routes:
            if request.raw_path == prefix or request.raw_path.startswith(prefix + "/"):
                return handler(request)
        return json_response(404, {"message": f"no lab route for {request.raw_path}"})

    def start_stall_listener(self) -> None:
        threading.Thread(target=self.stall_listener.serve_forever, name="stall-listener", daemon=True).start()
