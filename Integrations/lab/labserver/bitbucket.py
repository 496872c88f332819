"""Bitbucket Cloud emulation under /bitbucket: REST API at /bitbucket/2.0 and Git at /bitbucket/WORKSPACE/SLUG.git.

Three kinds of credentials log in differently:

| kind          | REST                          | Git                                                    |
|---------------|-------------------------------|--------------------------------------------------------|
| api-token     | Basic `email:token`           | Basic `x-bitbucket-api-token-auth:token` or `login:token` |
| access-token  | `Authorization: Bearer token` | Bearer, or Basic `x-token-auth:token`                  |
| app-password  | Basic `login:password`        | Basic `login:password`                                 |

Any other combination gets 401, as an e-mail address with an app password does on Bitbucket.

Endpoints: `GET /user`, `GET /repositories/{ws}?role=...&q=...`, `GET /repositories/{ws}/{slug}` and
`GET /repositories/{ws}/{slug}/refs/branches/{name}`, and pull requests (see bitbucket_pull_requests.py).
"""

from __future__ import annotations

import math
import time
import urllib.parse

from .core import Request, Response, json_response, text_response
from .credentials import Credential, read_credential
from .git_backend import GitAccess, is_git_request, serve_git
from .bitbucket_pull_requests import cloud_pull_requests
from .repositories import branch_heads
from .state import Repository, Token, User

PREFIX = "/bitbucket"
REALM = [("WWW-Authenticate", 'Basic realm="Bitbucket.org HTTP"')]

ACCOUNT_SCOPES = {"account", "read:user:bitbucket"}
# API tokens need the read scope itself; for app passwords and access tokens a write scope implies read.
API_TOKEN_READ_SCOPES = {"read:repository:bitbucket"}
API_TOKEN_WRITE_SCOPES = {"write:repository:bitbucket", "admin:repository:bitbucket"}
LEGACY_READ_SCOPES = {"repository", "repository:write", "repository:admin"}
LEGACY_WRITE_SCOPES = {"repository:write", "repository:admin"}


def _error(status: int, message: str, headers: list[tuple[str, str]] | None = None, **extra: object) -> Response:
    return json_response(status, {"type": "error", "error": {"message": message, **extra}}, headers or [])


def can_read(token: Token) -> bool:
    scopes = set(token.scopes)
    if token.kind == "api-token":
        return bool(API_TOKEN_READ_SCOPES & scopes)
    return bool(LEGACY_READ_SCOPES & scopes)


def can_write(token: Token) -> bool:
    scopes = set(token.scopes)
    if token.kind == "api-token":
        return bool(API_TOKEN_READ_SCOPES & scopes) and bool(API_TOKEN_WRITE_SCOPES & scopes)
    return bool(LEGACY_WRITE_SCOPES & scopes)


class Bitbucket:
    name = "bitbucket"

    def handle(self, request: Request) -> Response:
        subpath = request.raw_path[len(PREFIX):]
        if is_git_request(subpath):
            return serve_git(request, self, subpath)
        if subpath.startswith("/2.0/"):
            return self.api(request, subpath[len("/2.0"):])
        return _error(404, "Resource not found")

    # Credentials

    def _token_for(self, request: Request, credential: Credential | None, git: bool) -> Token | None:
        """Return the valid token that `credential` logs in with, or None when the login does not work."""
        if credential is None:
            return None
        state = request.lab.state
        token = state.token(credential.secret)
        if token is None or token.platform != self.name or token.status(time.time()) != "valid":
            return None
        if credential.scheme == "bearer":
            return token if token.kind == "access-token" else None
        if credential.scheme != "basic":
            return None
        username = credential.username or ""
        if token.kind == "app-password":
            return token if username == token.login else None
        if token.kind == "api-token":
            if git:
                return token if username in ("x-bitbucket-api-token-auth", token.login) else None
            return token if username == token.email else None
        if token.kind == "access-token" and git:
            return token if username == "x-token-auth" else None
        return None

    # REST API

    def api(self, request: Request, path: str) -> Response:
        state = request.lab.state
        now = time.time()
        segments = [urllib.parse.unquote(part) for part in path.strip("/").split("/")]
        credential = read_credential(request)
        token = self._token_for(request, credential, git=False)
        if token is None:
            if credential is None and segments[:1] == ["repositories"]:
                return _error(404, "Resource not found")
            return _error(401, "Token is invalid, expired, or not supported for this endpoint.", REALM)

        limited = state.active_rate_limit(token.value, now)
        state.count_api_call(token.value, now)
        if limited is not None:
            reset_at = int(math.ceil(limited["reset_at"]))
            retry_after = max(math.ceil(limited["reset_at"] - now), 1)
            return _error(429, "Rate limit for this resource has been exceeded",
                          [("X-RateLimit-Reset", str(reset_at)), ("Retry-After", str(retry_after))])

        pull_request_post = request.method == "POST" and segments[:1] == ["repositories"] \
            and segments[3:] == ["pullrequests"]
        if request.method not in ("GET", "HEAD") and not pull_request_post:
            response = _error(405, "Method not allowed")
            accepted = ""
        elif segments == ["user"]:
            response = self._user(request, token)
            accepted = "account"
        elif segments[0] == "repositories" and len(segments) >= 2:
            response = self._repositories(request, token, segments[1:])
            accepted = "repository"
        else:
            response = _error(404, "Resource not found")
            accepted = ""
        response.headers += [("x-oauth-scopes", ", ".join(token.scopes)), ("x-accepted-oauth-scopes", accepted)]
        return response

    def _user(self, request: Request, token: Token) -> Response:
        if token.kind == "access-token":
            return _error(403, "This API is not accessible by this authentication mechanism.")
        if not ACCOUNT_SCOPES & set(token.scopes):
            return _error(403, "Your credentials lack one or more required privilege scopes.",
                          detail={"granted": token.scopes, "required": ["account"]})
        user = request.lab.state.user(self.name, token.login)
        if user is None:
            return _error(401, "Token is invalid, expired, or not supported for this endpoint.", REALM)
        return json_response(200, self._user_json(request, user))

    def _user_json(self, request: Request, user: User) -> dict:
        return {"type": "user", "uuid": user.uuid, "account_id": user.account_id, "username": user.login,
                "nickname": user.login, "display_name": user.name,
                "links": {"html": {"href": f"{request.lab.base_url}{PREFIX}/{user.login}/"}}}

    def _repositories(self, request: Request, token: Token, segments: list[str]) -> Response:
        state = request.lab.state
        if not can_read(token):
            required = "read:repository:bitbucket" if token.kind == "api-token" else "repository"
            return _error(403, "Your credentials lack one or more required privilege scopes.",
                          detail={"granted": token.scopes, "required": [required]})
        workspace = segments[0]
        if len(segments) == 1:
            return self._workspace_repositories(request, token, workspace)

        name = f"{workspace}/{segments[1]}"
        repository = state.repository(self.name, name)
        if repository is None or repository.role_of(token.login) is None:
            return _error(404, f"Repository {name} not found")
        rest = segments[2:]
        if not rest:
            return json_response(200, self._repository_json(request, repository))
        if rest[:2] == ["refs", "branches"] and len(rest) >= 3:
            branch = "/".join(rest[2:])
            heads = branch_heads(state.repository_path(self.name, repository.name))
            if branch not in heads:
                return _error(404, f"Branch \"{branch}\" not found in {name}")
            return json_response(200, {"type": "branch", "name": branch,
                                       "target": {"type": "commit", "hash": heads[branch]}})
        if rest == ["pullrequests"]:
            return cloud_pull_requests(request, token, repository, can_write(token))
        return _error(404, "Resource not found")

    def _workspace_repositories(self, request: Request, token: Token, workspace: str) -> Response:
        """List a workspace's repositories where the token's user has at least the requested `role`.

        Supports `q` clauses of the form `name="x"`, `slug="x"` or `full_name="ws/x"` joined by AND.
        """
        role = request.query_value("role")
        allowed_roles = {
            None: ("owner", "writer", "reader"),
            "member": ("owner", "writer", "reader"),
            "contributor": ("owner", "writer"),
            "admin": ("owner",),
        }.get(role)
        if allowed_roles is None:
            return _error(400, f"Invalid role {role!r}: use admin, contributor or member")
        filters = _parse_query(request.query_value("q") or "")
        if filters is None:
            return _error(400, "Invalid query: the lab supports name=\"x\", slug=\"x\" and full_name=\"x\" "
                               "joined by AND")

        matches = []
        for repository in sorted(request.lab.state.repositories_of(self.name, workspace), key=lambda item: item.name):
            if repository.role_of(token.login) not in allowed_roles:
                continue
            fields = {"name": repository.slug, "slug": repository.slug, "full_name": repository.name}
            if all(fields.get(key) == value for key, value in filters):
                matches.append(repository)

        page_text = request.query_value("page") or "1"
        length_text = request.query_value("pagelen") or "10"
        valid = page_text.isdigit() and length_text.isdigit() and int(page_text) >= 1 and 1 <= int(length_text) <= 100
        if not valid:
            return _error(400, "Invalid page or pagelen: page starts at 1 and pagelen is 1 to 100")
        page, length = int(page_text), int(length_text)
        values = [self._repository_json(request, repository)
                  for repository in matches[(page - 1) * length: page * length]]
        body = {"values": values, "pagelen": length, "size": len(matches), "page": page}
        if page * length < len(matches):
            query = urllib.parse.parse_qs(request.raw_query, keep_blank_values=True)
            query["page"] = [str(page + 1)]
            body["next"] = (f"{request.lab.base_url}{request.raw_path}?"
                            f"{urllib.parse.urlencode(query, doseq=True)}")
        return json_response(200, body)

    def _repository_json(self, request: Request, repository: Repository) -> dict:
        return {
            "type": "repository",
            "uuid": "{%08x-0000-4000-9000-%012x}" % (repository.id, repository.id),
            "full_name": repository.name,
            "name": repository.slug,
            "slug": repository.slug,
            "is_private": True,
            "mainbranch": {"type": "branch", "name": "main"},
            "workspace": {"type": "workspace", "slug": repository.owner},
            "links": {"clone": [{"name": "https", "href": f"{request.lab.base_url}{PREFIX}/{repository.name}.git"}]},
        }

    # Git

    def git_authenticate(self, request: Request, repository_name: str) -> GitAccess | Response:
        token = self._token_for(request, read_credential(request), git=True)
        if token is None:
            return text_response(401, "Invalid credentials. Use an API token, an access token or an app password.\n",
                                 REALM)
        return GitAccess(token, token.login)

    def git_refusal(self, request: Request, access: GitAccess, repository: Repository | None,
                    repository_name: str, write: bool) -> Response | None:
        if repository is None or repository.role_of(access.login) is None:
            return text_response(404, "You may not have access to this repository or it no longer exists in this "
                                      "workspace.\n")
        if not can_read(access.token) or (write and not can_write(access.token)):
            return text_response(403, "Your credentials lack one or more required privilege scopes.\n")
        if write and not repository.can_write(access.login):
            return text_response(403, f"You do not have write access to {repository.name}.\n")
        return None


def _parse_query(text: str) -> list[tuple[str, str]] | None:
    """Parse `field="value" AND field="value"` into pairs, or return None for any other form."""
    if not text.strip():
        return []
    pairs = []
    for clause in text.split(" AND "):
        field, separator, value = clause.strip().partition("=")
        value = value.strip()
        if not separator or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            return None
        pairs.append((field.strip(), value[1:-1]))
    return pairs
