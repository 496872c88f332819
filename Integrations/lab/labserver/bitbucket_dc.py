"""Bitbucket Data Center emulation under /bitbucket-dc: REST API at /bitbucket-dc/rest/api/1.0 and Git at
/bitbucket-dc/scm/PROJECT/REPO.git.

Personal tokens log in with Basic `login:token` or as a bearer token; project and repository tokens only as
a bearer token. For those, the token's user is the bot user named when the token was added. Every
authenticated response carries `X-AUSERNAME` with the user's slug.

Endpoints: `GET /application-properties`, `GET /repos?permission=...`, `GET /projects/{key}/repos/{slug}`,
`GET /projects/{key}/repos/{slug}/branches?filterText=...`, `GET .../branches/default`, and pull requests (see
bitbucket_pull_requests.py).
"""

from __future__ import annotations

import math
import time
import urllib.parse
import zlib

from .core import Request, Response, json_response, text_response
from .credentials import read_credential
from .git_backend import GitAccess, is_git_request, serve_git
from .bitbucket_pull_requests import data_center_pull_requests
from .repositories import branch_heads
from .state import Repository, Token

PREFIX = "/bitbucket-dc"
REALM = [("WWW-Authenticate", 'Basic realm="Bitbucket"')]
VERSION = "8.19.1"
WRITE_PERMISSIONS = {"REPO_WRITE", "REPO_ADMIN", "PROJECT_WRITE", "PROJECT_ADMIN", "ADMIN", "SYS_ADMIN"}


def _errors(status: int, message: str, exception: str | None = None,
            headers: list[tuple[str, str]] | None = None) -> Response:
    return json_response(status, {"errors": [{"context": None, "message": message, "exceptionName": exception}]},
                         headers or [])


def _authentication_failed() -> Response:
    return _errors(401, "Authentication failed. Please check your credentials and try again.",
                   "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException", REALM)


def can_write(token: Token) -> bool:
    return bool(WRITE_PERMISSIONS & set(token.scopes))


def _int_query(request: Request, name: str, default: int) -> int | None:
    text = request.query_value(name) or str(default)
    return int(text) if text.isdigit() else None


class BitbucketDataCenter:
    name = "bitbucket-dc"

    def handle(self, request: Request) -> Response:
        subpath = request.raw_path[len(PREFIX):]
        if subpath.startswith("/scm/") and is_git_request(subpath[len("/scm"):]):
            return serve_git(request, self, subpath[len("/scm"):])
        if subpath.startswith("/rest/api/1.0/") or subpath.startswith("/rest/api/latest/"):
            return self.api(request, subpath.split("/", 4)[4])
        return _errors(404, f"No resource at {request.raw_path}")

    def _token_for(self, request: Request) -> Token | None | Response:
        """Return the valid token of the request, None when it sends no credential, or a 401 response."""
        credential = read_credential(request)
        if credential is None:
            return None
        token = request.lab.state.token(credential.secret)
        if token is None or token.platform != self.name or token.status(time.time()) != "valid":
            return _authentication_failed()
        if credential.scheme == "basic" and (token.kind != "personal" or credential.username != token.login):
            return _authentication_failed()
        if credential.scheme not in ("basic", "bearer"):
            return _authentication_failed()
        return token

    # REST API

    def api(self, request: Request, path: str) -> Response:
        state = request.lab.state
        now = time.time()
        segments = [urllib.parse.unquote(part) for part in path.strip("/").split("/")]
        token = self._token_for(request)
        if isinstance(token, Response):
            return token

        if token is not None:
            limited = state.active_rate_limit(token.value, now)
            state.count_api_call(token.value, now)
            if limited is not None:
                retry_after = max(math.ceil(limited["reset_at"] - now), 1)
                return _errors(429, "You have been rate limited: too many requests. Try again later.", None,
                               [("Retry-After", str(retry_after))])

        pull_request_post = request.method == "POST" and segments[:1] == ["projects"] \
            and segments[2:3] == ["repos"] and segments[4:] == ["pull-requests"]
        if request.method not in ("GET", "HEAD") and not pull_request_post:
            response = _errors(405, "Method not allowed")
        elif segments == ["application-properties"]:
            response = json_response(200, {"version": VERSION, "buildNumber": VERSION.replace(".", "") + "000",
                                           "buildDate": "1735689600000", "displayName": "Bitbucket"})
        elif token is None:
            response = _errors(401, "You are not permitted to access this resource",
                               "com.atlassian.bitbucket.AuthorisationException", REALM)
        elif segments == ["repos"]:
            response = self._writable_repositories(request, token)
        elif segments[0] == "projects" and len(segments) >= 4 and segments[2] == "repos":
            response = self._repository_api(request, token, segments[1], segments[3], segments[4:])
        else:
            response = _errors(404, f"No resource at /rest/api/1.0/{path.strip('/')}")
        if token is not None:
            response.headers.append(("X-AUSERNAME", token.login))
        return response

    def _repository_api(self, request: Request, token: Token, key: str, slug: str, rest: list[str]) -> Response:
        state = request.lab.state
        repository = state.repository(self.name, f"{key}/{slug}")
        if repository is None or repository.role_of(token.login) is None:
            return _errors(404, f"Repository {slug} of project {key} does not exist.",
                           "com.atlassian.bitbucket.repository.NoSuchRepositoryException")
        if not rest:
            return json_response(200, self._repository_json(request, repository))
        if rest == ["pull-requests"]:
            return data_center_pull_requests(request, token, repository, can_write(token), self._page)
        if rest[0] != "branches":
            return _errors(404, "No such resource")

        heads = branch_heads(state.repository_path(self.name, repository.name))
        if rest == ["branches", "default"]:
            if "main" not in heads:
                return _errors(404, f"Repository {slug} of project {key} has no default branch.",
                               "com.atlassian.bitbucket.repository.NoDefaultBranchException")
            return json_response(200, self._branch_json("main", heads["main"]))
        if len(rest) != 1:
            return _errors(404, "No such resource")
        filter_text = (request.query_value("filterText") or "").lower()
        branches = [self._branch_json(name, commit) for name, commit in sorted(heads.items())
                    if filter_text in name.lower()]
        return self._page(request, branches)

    def _writable_repositories(self, request: Request, token: Token) -> Response:
        """`GET /repos`: repositories the token may use with the given permission, filtered by project and name."""
        permission = request.query_value("permission") or "REPO_READ"
        if permission not in ("REPO_READ", "REPO_WRITE", "REPO_ADMIN"):
            return _errors(400, f"Invalid permission {permission!r}: use REPO_READ, REPO_WRITE or REPO_ADMIN")
        project_key = request.query_value("projectkey") or request.query_value("projectname")
        name = (request.query_value("name") or "").strip().lower()

        matches = []
        for repository in sorted(request.lab.state.repositories_of(self.name), key=lambda item: item.name):
            role = repository.role_of(token.login)
            allowed = {
                "REPO_READ": role is not None,
                "REPO_WRITE": repository.can_write(token.login) and can_write(token),
                "REPO_ADMIN": role == "owner" and can_write(token),
            }[permission]
            if not allowed or (project_key and repository.owner.lower() != project_key.lower()):
                continue
            if name and repository.slug.lower() != name:
                continue
            matches.append(self._repository_json(request, repository))
        return self._page(request, matches)

    def _page(self, request: Request, values: list[dict]) -> Response:
        start = _int_query(request, "start", 0)
        limit = _int_query(request, "limit", 25)
        if start is None or limit is None or limit < 1:
            return _errors(400, "Invalid start or limit: give whole numbers, limit at least 1")
        limit = min(limit, 1000)
        page = values[start:start + limit]
        last = start + limit >= len(values)
        body = {"size": len(page), "limit": limit, "isLastPage": last, "start": start, "values": page}
        if not last:
            body["nextPageStart"] = start + limit
        return json_response(200, body)

    def _branch_json(self, name: str, commit: str) -> dict:
        return {"id": f"refs/heads/{name}", "displayId": name, "type": "BRANCH", "latestCommit": commit,
                "latestChangeset": commit, "isDefault": name == "main"}

    def _repository_json(self, request: Request, repository: Repository) -> dict:
        key = repository.owner
        base = f"{request.lab.base_url}{PREFIX}"
        return {
            "slug": repository.slug,
            "id": repository.id,
            "name": repository.slug,
            "scmId": "git",
            "state": "AVAILABLE",
            "forkable": True,
            "public": False,
            "archived": repository.archived,
            "project": {"key": key, "id": zlib.crc32(key.encode()) % 100000, "name": key,
                        "type": "PERSONAL" if key.startswith("~") else "NORMAL"},
            "links": {
                "clone": [{"href": f"{base}/scm/{repository.name}.git", "name": "http"}],
                "self": [{"href": f"{base}/projects/{key}/repos/{repository.slug}/browse"}],
            },
        }

    # Git

    def git_authenticate(self, request: Request, repository_name: str) -> GitAccess | Response:
        token = self._token_for(request)
        if token is None or isinstance(token, Response):
            return text_response(401, "Authentication failed. Please check your credentials and try again.\n", REALM)
        return GitAccess(token, token.login)

    def git_refusal(self, request: Request, access: GitAccess, repository: Repository | None,
                    repository_name: str, write: bool) -> Response | None:
        if repository is None or repository.role_of(access.login) is None:
            return text_response(404, f"Repository {repository_name} does not exist or you may not see it.\n")
        if write and (not repository.can_write(access.login) or not can_write(access.token)):
            return text_response(403, f"You are not permitted to push to {repository_name}: it needs REPO_WRITE.\n")
        if write and repository.archived:
            return text_response(403, f"Repository {repository_name} is archived and cannot be pushed to.\n")
        return None
