"""Endpoints under /_lab/ that misbehave on purpose, for testing an HTTP client's limits and error handling.

- `/_lab/echo`: a JSON object with the request's method, path, query, headers and body length.
- `/_lab/status/CODE`: an empty JSON object with that status code.
- `/_lab/redirect?to=URL&status=301|302|307`: a redirect to a URL on localhost or 127.0.0.1.
- `/_lab/big?bytes=N`: N bytes of text.
- `/_lab/endless-header`: a status line followed by header lines that never end.
- `/_lab/truncated`: a body that stops after 10 of the 1000 bytes announced in Content-Length.
- `/_lab/stall`: reads the request and sends nothing for ten minutes.
- `/_lab/malformed-json`: a 200 JSON response whose body is cut off mid-object.
"""

from __future__ import annotations

import time
import urllib.parse

from .core import STALL_SECONDS, LabRequestHandler, Request, Response, json_response

MAX_BIG_BYTES = 1 << 30
ENDLESS_HEADER_MAX_BYTES = 256 << 20


def handle(request: Request) -> Response:
    name = request.raw_path[len("/_lab/"):]
    if name == "ping":
        return json_response(200, {"lab": "xapi-git"})
    if name == "echo":
        return echo(request)
    if name.startswith("status/"):
        return status(name[len("status/"):])
    if name == "redirect":
        return redirect(request)
    if name == "big":
        return big(request)
    if name == "endless-header":
        return Response(200, raw_writer=write_endless_header)
    if name == "truncated":
        return Response(200, raw_writer=write_truncated)
    if name == "stall":
        return Response(200, raw_writer=lambda handler: time.sleep(STALL_SECONDS))
    if name == "malformed-json":
        return Response(200, [("Content-Type", "application/json; charset=utf-8")], b'{"login": "octocat", "id": ')
    return json_response(404, {"message": f"no lab endpoint /_lab/{name}"})


def echo(request: Request) -> Response:
    """Describe the request. `headers` maps lower-cased names to values (repeated headers joined by ", ");
    `raw_headers` keeps names, order and repeats as sent."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return json_response(200, {
        "method": request.method,
        "path": request.path,
        "raw_path": request.raw_path,
        "query": request.raw_query,
        "headers": headers,
        "raw_headers": [[name, value] for name, value in request.headers.items()],
        "body_length": len(request.body),
        "body": request.body.decode("utf-8", errors="replace"),
    })


def status(code_text: str) -> Response:
    if not code_text.isdigit() or not 200 <= int(code_text) <= 599:
        return json_response(400, {"message": f"invalid status {code_text!r}: give a code from 200 to 599"})
    code = int(code_text)
    if code in (204, 304):
        return Response(code)
    return json_response(code, {"status": code})


def redirect(request: Request) -> Response:
    target = request.query_value("to") or ""
    code_text = request.query_value("status") or "302"
    if code_text not in ("301", "302", "303", "307", "308"):
        return json_response(400, {"message": f"invalid redirect status {code_text!r}: use 301, 302, 303, 307 or 308"})
    parsed = urllib.parse.urlsplit(target)
    relative = not parsed.scheme and not parsed.netloc and target.startswith("/")
    local = parsed.scheme in ("http", "https") and parsed.hostname in ("localhost", "127.0.0.1")
    if not (relative or local):
        return json_response(400, {"message": f"invalid redirect target {target!r}: the lab redirects only to "
                                              f"localhost, 127.0.0.1 or a path on this server"})
    return Response(int(code_text), [("Location", target), ("Content-Type", "text/plain")],
                    f"Redirecting to {target}\n".encode())


def big(request: Request) -> Response:
    size_text = request.query_value("bytes") or "0"
    if not size_text.isdigit() or int(size_text) > MAX_BIG_BYTES:
        return json_response(400, {"message": f"invalid bytes {size_text!r}: give 0 to {MAX_BIG_BYTES}"})
    size = int(size_text)

    def write(handler: LabRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        line = b"0123456789abcdef" * 4 + b"\n"
        block = line * 1024
        remaining = size
        while remaining > 0:
            part = block[:remaining]
            handler.wfile.write(part)
            remaining -= len(part)
        handler.wfile.flush()

    return Response(200, raw_writer=write)


def write_endless_header(handler: LabRequestHandler) -> None:
    """Send header lines until the client hangs up, for ten minutes or 256 MiB at most."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
    deadline = time.monotonic() + STALL_SECONDS
    sent = 0
    number = 0
    try:
        while time.monotonic() < deadline and sent < ENDLESS_HEADER_MAX_BYTES:
            line = b"X-Endless-%d: %s\r\n" % (number, b"x" * 1000)
            handler.wfile.write(line)
            sent += len(line)
            number += 1
        handler.wfile.flush()
    except OSError:
        return


def write_truncated(handler: LabRequestHandler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789")
    handler.wfile.flush()
