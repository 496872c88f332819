"""Git smart HTTP for the lab's repositories: each platform authenticates the request and checks access,
then `git http-backend` runs as a CGI program and its output becomes the response.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import Protocol

from .core import Request, Response, text_response
from .repositories import git_environment
from .state import Repository, Token

# `NAME.git/info/refs`, `NAME.git/git-upload-pack` or `NAME.git/git-receive-pack`, after the platform prefix.
GIT_PATH = re.compile(r"^/(?P<name>.+?)\.git/(?P<service>info/refs|git-upload-pack|git-receive-pack)$")

CGI_TIMEOUT_SECONDS = 300


@dataclass
class GitAccess:
    token: Token
    login: str


class GitPlatform(Protocol):
    """Interface of a platform module that lets the lab serve the platform's repositories over Git."""

    name: str

    def git_authenticate(self, request: Request, repository_name: str) -> GitAccess | Response:
        """Return the caller's token and login, or the 401 or 403 response for a missing or bad credential."""
        ...

    def git_refusal(self, request: Request, access: GitAccess, repository: Repository | None,
                    repository_name: str, write: bool) -> Response | None:
        """Return the response that refuses the request (no access, read-only, SSO), or None to allow it."""
        ...


def is_git_request(subpath: str) -> bool:
    return GIT_PATH.match(subpath) is not None


def serve_git(request: Request, platform: GitPlatform, subpath: str) -> Response:
    """Authenticate and authorize one smart HTTP request, then run git http-backend for it.

    `subpath` is the request path after the platform prefix.
    """
    match = GIT_PATH.match(subpath)
    if match is None:
        return text_response(404, "Not Found\n")
    repository_name = match["name"]
    service = match["service"]
    if service == "info/refs":
        requested = request.query_value("service")
        if requested not in ("git-upload-pack", "git-receive-pack"):
            return text_response(403, "The lab serves the smart HTTP protocol only: add ?service=git-upload-pack "
                                      "or ?service=git-receive-pack.\n")
        write = requested == "git-receive-pack"
    else:
        if request.method != "POST":
            return text_response(405, f"{service} takes POST requests.\n")
        write = service == "git-receive-pack"

    access = platform.git_authenticate(request, repository_name)
    if isinstance(access, Response):
        return access
    state = request.lab.state
    repository = state.repository(platform.name, repository_name)
    refusal = platform.git_refusal(request, access, repository, repository_name, write)
    if refusal is not None:
        return refusal
    if repository is None:
        return text_response(404, "Repository not found.\n")

    response = run_http_backend(request, platform.name, repository_name, service, access.login)
    if service == "git-upload-pack" and response.status == 200 and b"PACK" in response.body:
        state.count_fetch(platform.name, repository_name)
    return response


def run_http_backend(request: Request, platform_name: str, repository_name: str, service: str,
                     login: str) -> Response:
    """Run `git http-backend` for one request and turn its CGI output into a response."""
    state = request.lab.state
    environment = git_environment()
    environment.update({
        "GIT_PROJECT_ROOT": str(state.repos_root / platform_name),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{repository_name}.git/{service}",
        "QUERY_STRING": request.raw_query,
        "REQUEST_METHOD": request.method,
        "CONTENT_TYPE": request.header("Content-Type") or "",
        "CONTENT_LENGTH": str(len(request.body)),
        "REMOTE_USER": login,
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "GATEWAY_INTERFACE": "CGI/1.1",
    })
    git_protocol = request.header("Git-Protocol")
    if git_protocol:
        environment["GIT_PROTOCOL"] = git_protocol

    try:
        completed = subprocess.run(["git", "http-backend"], input=request.body, capture_output=True,
                                   env=environment, timeout=CGI_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return text_response(504, f"git http-backend did not finish within {CGI_TIMEOUT_SECONDS} seconds.\n")
    return parse_cgi_output(completed.stdout, completed.stderr)


def parse_cgi_output(output: bytes, errors: bytes) -> Response:
    """Split CGI output into the Status header, the other headers and the body."""
    candidates = [(index, length) for index, length in ((output.find(b"\r\n\r\n"), 4), (output.find(b"\n\n"), 2))
                  if index >= 0]
    if not candidates:
        detail = errors.decode(errors="replace").strip() or "no output"
        return text_response(502, f"git http-backend sent no CGI headers: {detail}\n")
    separator, separator_length = min(candidates)

    status = 200
    headers: list[tuple[str, str]] = []
    for line in output[:separator].decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        value = value.strip()
        if name.lower() == "status":
            status = int(value.split(" ", 1)[0])
        elif name.lower() != "content-length":
            headers.append((name.strip(), value))
    return Response(status, headers, output[separator + separator_length:])
