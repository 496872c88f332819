"""GitLab emulation under /gitlab: REST API at /gitlab/api/v4 and Git at /gitlab/GROUP/SUB/PROJECT.git.

Errors follow GitLab's API guard: an unknown token gets 401 "401 Unauthorized", an expired or revoked one
gets 401 `invalid_token`, a token without the needed scope gets 403 `insufficient_scope`, and a blocked user
gets 403. Project paths in the API are URL-encoded once (`group%2Fsub%2Fproject`).

Endpoints: `GET /version`, `GET /user`, `GET /personal_access_tokens/self`, `GET /projects/:id`,
`GET /projects/:id/members/all/:user_id`, `GET /projects/:id/repository/branches/:branch`, and `POST` and
`GET /projects/:id/merge_requests`.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import math
import time
import urllib.parse

from .core import Request, Response, json_response, text_response
from .credentials import read_credential
from .git_backend import GitAccess, is_git_request, serve_git
from .repositories import branch_heads
from .state import Repository, Token, User, public_fields

PREFIX = "/gitlab"
RATE_LIMIT = 2000
VERSION = "17.5.0-ee"

EXPIRED_DESCRIPTION = "Token is expired. You can either do re-authorization or token refresh."
REVOKED_DESCRIPTION = "Token was revoked. You have to re-authorize from the user."

ACCESS_LEVELS = {"owner": 50, "writer": 30, "group-writer": 30, "reader": 20}

READ_API_SCOPES = {"api", "read_api"}
READ_USER_SCOPES = {"api", "read_api", "read_user"}
GIT_READ_SCOPES = {"api", "read_repository", "write_repository"}
GIT_WRITE_SCOPES = {"api", "write_repository"}


def _date(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).date().isoformat()


def _iso(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _invalid_token(description: str) -> Response:
    challenge = f'Bearer realm="",error="invalid_token",error_description="{description}"'
    return json_response(401, {"error": "invalid_token", "error_description": description},
                         [("WWW-Authenticate", challenge)])


def _insufficient_scope(required: set[str]) -> Response:
    return json_response(403, {"error": "insufficient_scope",
                               "error_description": "The request requires higher privileges than provided by the "
                                                    "access token.",
                               "scope": " ".join(sorted(required))})


class GitLab:
    name = "gitlab"

    def handle(self, request: Request) -> Response:
        subpath = request.raw_path[len(PREFIX):]
        if is_git_request(subpath):
            return serve_git(request, self, subpath)
        if subpath.startswith("/api/v4/"):
            return self.api(request, subpath[len("/api/v4"):])
        return json_response(404, {"error": "404 Not Found"})

    # REST API

    def _authenticate(self, request: Request, now: float) -> tuple[Token, User] | Response:
        state = request.lab.state
        value = request.header("PRIVATE-TOKEN")
        if not value:
            credential = read_credential(request)
            value = credential.secret if credential and credential.scheme == "bearer" else None
        token = state.token(value) if value else None
        user = state.user(self.name, token.login) if token else None
        if token is None or user is None or token.platform != self.name:
            return json_response(401, {"message": "401 Unauthorized"})
        status = token.status(now)
        if status == "expired":
            return _invalid_token(EXPIRED_DESCRIPTION)
        if status == "revoked":
            return _invalid_token(REVOKED_DESCRIPTION)
        if user.blocked:
            return json_response(403, {"message": "403 Forbidden - Your account has been blocked."})
        return token, user

    def api(self, request: Request, path: str) -> Response:
        state = request.lab.state
        now = time.time()
        raw_segments = path.strip("/").split("/")

        authenticated = self._authenticate(request, now)
        if isinstance(authenticated, Response):
            return authenticated
        token, user = authenticated
        if raw_segments == ["version"]:
            return json_response(200, {"version": VERSION, "revision": "lab"})

        limited = state.active_rate_limit(token.value, now)
        used, reset_at = state.count_api_call(token.value, now)
        if limited is not None:
            return self._rate_limited(limited, now)
        rate_headers = [("RateLimit-Name", "throttle_authenticated_api"), ("RateLimit-Limit", str(RATE_LIMIT)),
                        ("RateLimit-Observed", str(used)),
                        ("RateLimit-Remaining", str(max(RATE_LIMIT - used, 0))),
                        ("RateLimit-Reset", str(int(reset_at)))]

        merge_request_post = request.method == "POST" and raw_segments[2:] == ["merge_requests"]
        if request.method not in ("GET", "HEAD") and not merge_request_post:
            response = json_response(405, {"error": "405 Method Not Allowed"})
        elif raw_segments == ["user"]:
            response = self._user(token, user, request)
        elif raw_segments == ["personal_access_tokens", "self"]:
            response = self._token_self(token, user)
        elif raw_segments[0] == "projects" and len(raw_segments) >= 2:
            response = self._project_api(request, token, user, raw_segments[1], raw_segments[2:])
        else:
            response = json_response(404, {"error": "404 Not Found"})
        response.headers += rate_headers
        return response

    def _rate_limited(self, limited: dict, now: float) -> Response:
        reset_at = int(math.ceil(limited["reset_at"]))
        return text_response(429, "Retry later\n", [
            ("Retry-After", str(max(math.ceil(limited["reset_at"] - now), 1))),
            ("RateLimit-Name", "throttle_authenticated_api"),
            ("RateLimit-Limit", str(RATE_LIMIT)),
            ("RateLimit-Observed", str(RATE_LIMIT + 1)),
            ("RateLimit-Remaining", "0"),
            ("RateLimit-Reset", str(reset_at)),
            ("RateLimit-ResetTime", email.utils.formatdate(reset_at, usegmt=True)),
        ])

    def _user(self, token: Token, user: User, request: Request) -> Response:
        if not READ_USER_SCOPES & set(token.scopes):
            return _insufficient_scope(READ_USER_SCOPES)
        return json_response(200, {
            "id": user.id,
            "username": user.login,
            "name": user.name,
            "email": user.email,
            "commit_email": user.email,
            "state": "active",
            "web_url": f"{request.lab.base_url}{PREFIX}/{user.login}",
        })

    def _token_self(self, token: Token, user: User) -> Response:
        # NOTE: GitLab may require a particular scope for this endpoint; the lab accepts any valid token.
        if not token.self_endpoint:
            return json_response(404, {"error": "404 Not Found"})
        now = time.time()
        return json_response(200, {
            "id": token.id,
            "name": f"lab token {token.id}",
            "revoked": token.revoked,
            "created_at": _iso(token.created_at),
            "description": None,
            "scopes": token.scopes,
            "user_id": user.id,
            "last_used_at": _iso(now),
            "active": token.status(now) == "valid",
            "expires_at": _date(token.expires_at) if token.expires_at is not None else None,
        })

    def _project_api(self, request: Request, token: Token, user: User, raw_id: str,
                     rest: list[str]) -> Response:
        state = request.lab.state
        if not READ_API_SCOPES & set(token.scopes):
            return _insufficient_scope(READ_API_SCOPES)
        # The id is numeric or the project path URL-encoded exactly once.
        if raw_id.isdigit():
            repository = state.repository_by_id(self.name, int(raw_id))
        else:
            repository = state.repository(self.name, urllib.parse.unquote(raw_id))
        if repository is None or repository.role_of(user.login) is None:
            return json_response(404, {"message": "404 Project Not Found"})

        if not rest:
            return json_response(200, self._project_json(request, repository, user))
        if rest == ["merge_requests"] and request.method == "POST":
            return self._create_merge_request(request, token, user, repository)
        if rest == ["merge_requests"]:
            return self._list_merge_requests(request, repository)
        if rest[:2] == ["members", "all"] and len(rest) == 3:
            return self._member(request, repository, rest[2])
        if rest[:2] == ["repository", "branches"] and len(rest) >= 3:
            branch = urllib.parse.unquote("/".join(rest[2:]))
            heads = branch_heads(state.repository_path(self.name, repository.name))
            if branch not in heads:
                return json_response(404, {"message": "404 Branch Not Found"})
            protected = branch in repository.protected
            return json_response(200, {
                "name": branch,
                "merged": False,
                "protected": protected,
                "developers_can_push": not protected,
                "developers_can_merge": not protected,
                # The lab's pre-receive hook rejects every push to a protected branch, so can_push is false there
                # for every user.
                "can_push": repository.can_write(user.login) and not protected,
                "default": branch == "main",
                "commit": {"id": heads[branch], "short_id": heads[branch][:8]},
                "web_url": f"{request.lab.base_url}{PREFIX}/{repository.name}/-/tree/{branch}",
            })
        return json_response(404, {"error": "404 Not Found"})

    def _create_merge_request(self, request: Request, token: Token, user: User, repository: Repository) -> Response:
        """`POST /projects/:id/merge_requests` with `source_branch`, `target_branch` and `title` (JSON or form)."""
        state = request.lab.state
        if "api" not in token.scopes:
            return _insufficient_scope({"api"})
        if not repository.can_write(user.login):
            return json_response(403, {"message": "403 Forbidden"})
        content_type = (request.header("Content-Type") or "").split(";")[0].strip()
        try:
            if content_type == "application/json":
                payload = json.loads(request.body or b"{}")
            else:
                payload = {key: values[0] for key, values in
                           urllib.parse.parse_qs(request.body.decode(), keep_blank_values=True).items()}
        except (ValueError, UnicodeDecodeError):
            return json_response(400, {"message": "400 Bad request - the body is neither JSON nor form data"})
        if not isinstance(payload, dict):
            return json_response(400, {"message": "400 Bad request - the body must be a JSON object"})
        missing = [key for key in ("source_branch", "target_branch", "title") if not payload.get(key)]
        if missing:
            return json_response(400, {"error": f"{', '.join(missing)} is missing"})

        source, target = str(payload["source_branch"]), str(payload["target_branch"])
        heads = branch_heads(state.repository_path(self.name, repository.name))
        for label, branch in (("Source", source), ("Target", target)):
            if branch not in heads:
                return json_response(404, {"message": f"404 {label} branch {branch} Not Found"})

        def make(number: int) -> dict:
            return {
                "id": repository.id * 1000 + number,
                "iid": number,
                "project_id": repository.id,
                "title": str(payload["title"]),
                "description": payload.get("description"),
                "state": "opened",
                "source_branch": source,
                "target_branch": target,
                "sha": heads[source],
                "author": {"id": user.id, "username": user.login},
                "web_url": f"{request.lab.base_url}{PREFIX}/{repository.name}/-/merge_requests/{number}",
            }

        record, created = state.add_change_request(self.name, repository.name, source, target, make)
        if not created:
            return json_response(409, {"message": ["Another open merge request already exists for this source "
                                                   f"branch: !{record['iid']}"]})
        return json_response(201, public_fields(record))

    def _list_merge_requests(self, request: Request, repository: Repository) -> Response:
        """`GET /projects/:id/merge_requests` filtered by `state`, `source_branch` and `target_branch`."""
        requested_state = request.query_value("state") or "all"
        source = request.query_value("source_branch")
        target = request.query_value("target_branch")
        matches = [public_fields(record) for record in repository.change_requests
                   if (requested_state == "all" or record["state"] == requested_state)
                   and (not source or record["source_branch"] == source)
                   and (not target or record["target_branch"] == target)]
        return json_response(200, matches)

    def _project_json(self, request: Request, repository: Repository, user: User) -> dict:
        heads = branch_heads(request.lab.state.repository_path(self.name, repository.name))
        role = repository.role_of(user.login)
        # Membership inherited from the top group only shows in neither field, as on real GitLab servers.
        project_access = None
        if role in ("owner", "writer", "reader"):
            project_access = {"access_level": ACCESS_LEVELS[role], "notification_level": 3}
        return {
            "id": repository.id,
            "name": repository.slug,
            "path": repository.slug,
            "path_with_namespace": repository.name,
            "name_with_namespace": " / ".join(repository.name.split("/")),
            "namespace": {"full_path": repository.name.rsplit("/", 1)[0]},
            "default_branch": "main" if heads else None,
            "archived": repository.archived,
            "empty_repo": not heads,
            "visibility": "private",
            "http_url_to_repo": f"{request.lab.base_url}{PREFIX}/{repository.name}.git",
            "web_url": f"{request.lab.base_url}{PREFIX}/{repository.name}",
            "permissions": {"project_access": project_access, "group_access": None},
        }

    def _member(self, request: Request, repository: Repository, raw_user_id: str) -> Response:
        state = request.lab.state
        member = None
        if raw_user_id.isdigit():
            with state.lock:
                member = next((candidate for candidate in state.users.values()
                               if candidate.platform == self.name and candidate.id == int(raw_user_id)), None)
        role = repository.role_of(member.login) if member else None
        if member is None or role is None:
            return json_response(404, {"message": "404 Not found"})
        return json_response(200, {"id": member.id, "username": member.login, "name": member.name,
                                   "state": "blocked" if member.blocked else "active",
                                   "access_level": ACCESS_LEVELS[role]})

    # Git

    def git_authenticate(self, request: Request, repository_name: str) -> GitAccess | Response:
        state = request.lab.state
        credential = read_credential(request)
        unauthorized = [("WWW-Authenticate", 'Basic realm="GitLab"')]
        denied = ("HTTP Basic: Access denied. If a password was provided for Git authentication, the password was "
                  "incorrect or you're required to use a token instead of a password. If a token was provided, it "
                  "was either incorrect, expired, or improperly scoped.\n")
        # GitLab ignores the user name for personal access tokens, but it must not be empty.
        if credential is None or credential.scheme != "basic" or not credential.username:
            return text_response(401, denied, unauthorized)
        token = state.token(credential.secret)
        user = state.user(self.name, token.login) if token else None
        if token is None or user is None or token.platform != self.name or token.status(time.time()) != "valid":
            return text_response(401, denied, unauthorized)
        if user.blocked:
            return text_response(403, "Your account has been blocked.\n")
        return GitAccess(token, token.login)

    def git_refusal(self, request: Request, access: GitAccess, repository: Repository | None,
                    repository_name: str, write: bool) -> Response | None:
        scopes = set(access.token.scopes)
        if repository is None or repository.role_of(access.login) is None or not GIT_READ_SCOPES & scopes:
            return text_response(404, "The project you were looking for could not be found or you don't have "
                                      "permission to view it.\n")
        if write and (not repository.can_write(access.login) or not GIT_WRITE_SCOPES & scopes):
            return text_response(403, "You are not allowed to push code to this project.\n")
        if write and repository.archived:
            return text_response(403, "You are not allowed to push code to an archived project.\n")
        return None

