"""GitHub Enterprise Server emulation under /github: REST API at /github/api/v3 and Git at /github/OWNER/REPO.git.

Field names, headers, status codes and error bodies follow GitHub's REST API: a bad token gets 401
"Bad credentials", a private repository the token cannot see gets 404, SAML SSO and rate limits get 403.

Endpoints: `GET /user`, `GET /repos/{o}/{r}`, `GET /repos/{o}/{r}/branches/{b}`, and `POST` and `GET
/repos/{o}/{r}/pulls`. A renamed repository's old API path gets a 301 to the new one.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
import secrets
import time
import urllib.parse

from .core import Request, Response, json_response, text_response
from .credentials import read_credential
from .git_backend import GitAccess, is_git_request, serve_git
from .repositories import branch_heads, is_ancestor
from .state import Repository, Token, public_fields

DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
ENTERPRISE_VERSION = "3.14.0"
PREFIX = "/github"


def _message(status: int, message: str, headers: list[tuple[str, str]] | None = None,
             documentation_url: str = DOCS) -> Response:
    return json_response(status, {"message": message, "documentation_url": documentation_url}, headers or [])


def _expiration_header(token: Token) -> list[tuple[str, str]]:
    if token.expires_at is None:
        return []
    moment = datetime.datetime.fromtimestamp(token.expires_at, datetime.timezone.utc)
    return [("github-authentication-token-expiration", moment.strftime("%Y-%m-%d %H:%M:%S UTC"))]


class GitHub:
    name = "github"

    def handle(self, request: Request) -> Response:
        subpath = request.raw_path[len(PREFIX):]
        if is_git_request(subpath):
            return serve_git(request, self, subpath)
        if subpath == "/api/v3" or subpath.startswith("/api/v3/"):
            response = self.api(request, subpath[len("/api/v3"):])
            response.headers += [("X-GitHub-Media-Type", "github.v3; format=json"),
                                 ("X-GitHub-Enterprise-Version", ENTERPRISE_VERSION),
                                 ("X-GitHub-Request-Id", secrets.token_hex(8).upper())]
            return response
        if subpath.startswith("/orgs/") and subpath.endswith("/sso"):
            return text_response(200, "This lab page stands in for GitHub's SAML single sign-on page; "
                                      "authorize a token with `labctl sso authorize`.\n")
        return _message(404, "Not Found")

    # REST API

    def api(self, request: Request, path: str) -> Response:
        state = request.lab.state
        now = time.time()
        segments = [urllib.parse.unquote(part) for part in path.strip("/").split("/")] if path.strip("/") else []

        if not segments:
            return json_response(200, {"current_user_url": f"{request.lab.base_url}{PREFIX}/api/v3/user"})

        credential = read_credential(request)
        if credential is None:
            if segments[0] == "repos":
                return _message(404, "Not Found", self._anonymous_rate_headers(request, now))
            return _message(401, "Requires authentication", self._anonymous_rate_headers(request, now))
        token = state.token(credential.secret)
        user = state.user(self.name, token.login) if token else None
        if token is None or user is None or token.platform != self.name or token.status(now) != "valid":
            return _message(401, "Bad credentials", self._anonymous_rate_headers(request, now))

        limited = state.active_rate_limit(token.value, now)
        used, reset_at = state.count_api_call(token.value, now)
        if limited is not None:
            return self._rate_limited(limited, user.id, now)
        rate_headers = [("x-ratelimit-limit", str(RATE_LIMIT)),
                        ("x-ratelimit-remaining", str(max(RATE_LIMIT - used, 0))),
                        ("x-ratelimit-used", str(used)),
                        ("x-ratelimit-reset", str(int(reset_at))),
                        ("x-ratelimit-resource", "core")]
        token_headers = [("X-OAuth-Scopes", ", ".join(token.scopes)), *_expiration_header(token)]

        if segments == ["user"] and request.method in ("GET", "HEAD"):
            response = json_response(200, {
                "login": user.login,
                "id": user.id,
                "node_id": base64.b64encode(f"04:User{user.id}".encode()).decode(),
                "name": user.name,
                "email": user.email,
                "type": "User",
                "site_admin": False,
                "html_url": f"{request.lab.base_url}{PREFIX}/{user.login}",
            })
            response.headers += [("X-Accepted-OAuth-Scopes", "")]
        elif segments[0] == "repos" and len(segments) >= 3:
            response = self.repository_api(request, token, segments[1], segments[2], segments[3:])
            response.headers += [("X-Accepted-OAuth-Scopes", "repo")]
        else:
            response = _message(404, "Not Found")
        response.headers += rate_headers + token_headers
        return response

    def _anonymous_rate_headers(self, request: Request, now: float) -> list[tuple[str, str]]:
        """Count a call without a valid token against the shared unauthenticated limit of 60 an hour."""
        used, reset_at = request.lab.state.count_api_call("", now)
        return [("x-ratelimit-limit", "60"), ("x-ratelimit-remaining", str(max(60 - used, 0))),
                ("x-ratelimit-used", str(used)), ("x-ratelimit-reset", str(int(reset_at))),
                ("x-ratelimit-resource", "core")]

    def _rate_limited(self, limited: dict, user_id: int, now: float) -> Response:
        reset_at = int(math.ceil(limited["reset_at"]))
        if limited["kind"] == "secondary":
            return _message(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
                                 "again.",
                            [("Retry-After", str(max(math.ceil(limited["reset_at"] - now), 1)))],
                            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                            "#about-secondary-rate-limits")
        return _message(403, f"API rate limit exceeded for user ID {user_id}.",
                        [("x-ratelimit-limit", str(RATE_LIMIT)), ("x-ratelimit-remaining", "0"),
                         ("x-ratelimit-used", str(RATE_LIMIT)), ("x-ratelimit-reset", str(reset_at)),
                         ("x-ratelimit-resource", "core")],
                        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")

    def _sso_refusal(self, request: Request, owner: str) -> Response:
        url = (f"{request.lab.base_url}{PREFIX}/orgs/{owner}/sso?authorization_request="
               f"{secrets.token_urlsafe(24)}")
        return _message(403, "Resource protected by organization SAML enforcement. You must grant your Personal "
                             "Access token access to this organization.",
                        [("X-GitHub-SSO", f"required; url={url}")],
                        "https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single"
                        "-sign-on/")

    def repository_api(self, request: Request, token: Token, owner: str, repo: str, rest: list[str]) -> Response:
        state = request.lab.state
        name = f"{owner}/{repo}"
        if "repo" not in token.scopes:
            return _message(404, "Not Found")
        repository = state.repository(self.name, name)
        if repository is None:
            moved = state.renamed_repository(self.name, name)
            if moved is not None and moved.role_of(token.login) is not None:
                new_path = f"{PREFIX}/api/v3/repos/{moved.name}" + "".join("/" + urllib.parse.quote(part)
                                                                           for part in rest)
                url = request.lab.base_url + new_path
                response = json_response(301, {"message": "Moved Permanently", "url": url,
                                               "documentation_url": DOCS})
                response.headers.append(("Location", url))
                return response
            return _message(404, "Not Found")
        if repository.role_of(token.login) is None:
            return _message(404, "Not Found")
        if state.sso_required(self.name, owner, token):
            return self._sso_refusal(request, owner)

        if not rest and request.method in ("GET", "HEAD"):
            return json_response(200, self._repository_json(request, repository, token))
        if rest[:1] == ["branches"] and len(rest) >= 2 and request.method in ("GET", "HEAD"):
            branch = "/".join(rest[1:])
            heads = branch_heads(state.repository_path(self.name, repository.name))
            if branch not in heads:
                return _message(404, "Branch not found",
                                documentation_url=f"{DOCS}/branches/branches#get-a-branch")
            return json_response(200, {
                "name": branch,
                "commit": {"sha": heads[branch],
                           "url": f"{request.lab.base_url}{PREFIX}/api/v3/repos/{name}/commits/{heads[branch]}"},
                "protected": branch in repository.protected,
            })
        if rest == ["pulls"] and request.method == "POST":
            return self._create_pull_request(request, token, repository)
        if rest == ["pulls"] and request.method in ("GET", "HEAD"):
            return self._list_pull_requests(request, repository)
        return _message(404, "Not Found")

    def _create_pull_request(self, request: Request, token: Token, repository: Repository) -> Response:
        """`POST /repos/{o}/{r}/pulls` with `title`, `head` (a branch, or `OWNER:branch`) and `base`."""
        state = request.lab.state
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return _message(400, "Problems parsing JSON")
        if not isinstance(payload, dict):
            return _message(400, "Problems parsing JSON")
        missing = [key for key in ("title", "head", "base") if not payload.get(key)]
        if missing:
            return self._validation_failed([{"resource": "PullRequest", "field": key, "code": "missing_field"}
                                            for key in missing])

        head = str(payload["head"]).removeprefix(repository.owner + ":")
        base = str(payload["base"])
        path = state.repository_path(self.name, repository.name)
        heads = branch_heads(path)
        invalid = [key for key, branch in (("head", head), ("base", base)) if branch not in heads]
        if invalid:
            return self._validation_failed([{"resource": "PullRequest", "field": key, "code": "invalid"}
                                            for key in invalid])
        if is_ancestor(path, heads[head], heads[base]):
            return self._validation_failed([{"resource": "PullRequest", "code": "custom",
                                             "message": f"No commits between {base} and {head}"}])

        base_url = f"{request.lab.base_url}{PREFIX}"

        def make(number: int) -> dict:
            return {
                "url": f"{base_url}/api/v3/repos/{repository.name}/pulls/{number}",
                "id": repository.id * 1000 + number,
                "number": number,
                "state": "open",
                "title": str(payload["title"]),
                "body": payload.get("body"),
                "html_url": f"{base_url}/{repository.name}/pull/{number}",
                "user": {"login": token.login},
                "head": {"label": f"{repository.owner}:{head}", "ref": head, "sha": heads[head]},
                "base": {"label": f"{repository.owner}:{base}", "ref": base, "sha": heads[base]},
                "draft": bool(payload.get("draft", False)),
            }

        record, created = state.add_change_request(self.name, repository.name, head, base, make)
        if not created:
            return self._validation_failed([{"resource": "PullRequest", "code": "custom",
                                             "message": f"A pull request already exists for "
                                                        f"{repository.owner}:{head}."}])
        return json_response(201, public_fields(record), [("Location", record["url"])])

    def _list_pull_requests(self, request: Request, repository: Repository) -> Response:
        """`GET /repos/{o}/{r}/pulls` filtered by `state` (default open), `head` (`OWNER:branch`) and `base`."""
        requested_state = request.query_value("state") or "open"
        head = request.query_value("head")
        base = request.query_value("base")
        matches = []
        for record in repository.change_requests:
            if requested_state != "all" and record["state"] != requested_state:
                continue
            if head and record["head"]["label"] != head:
                continue
            if base and record["base"]["ref"] != base:
                continue
            matches.append(public_fields(record))
        return json_response(200, matches)

    def _validation_failed(self, errors: list[dict]) -> Response:
        return json_response(422, {"message": "Validation Failed", "errors": errors,
                                   "documentation_url": f"{DOCS}/pulls/pulls#create-a-pull-request"})

    def _repository_json(self, request: Request, repository: Repository, token: Token) -> dict:
        role = repository.role_of(token.login)
        can_write = role in ("owner", "writer") and "repo" in token.scopes
        return {
            "id": repository.id,
            "node_id": base64.b64encode(f"010:Repository{repository.id}".encode()).decode(),
            "name": repository.slug,
            "full_name": repository.name,
            "owner": {"login": repository.owner, "type": "User"},
            "private": True,
            "visibility": "private",
            "archived": repository.archived,
            "disabled": False,
            "default_branch": "main",
            "clone_url": f"{request.lab.base_url}{PREFIX}/{repository.name}.git",
            "permissions": {
                "admin": role == "owner",
                "maintain": role == "owner",
                "push": can_write,
                "triage": role in ("owner", "writer"),
                "pull": True,
            },
        }

    # Git

    def git_authenticate(self, request: Request, repository_name: str) -> GitAccess | Response:
        state = request.lab.state
        credential = read_credential(request)
        unauthorized = [("WWW-Authenticate", 'Basic realm="GitHub"')]
        if credential is None or credential.scheme != "basic":
            return text_response(401, "Authentication required: use a personal access token as the password.\n",
                                 unauthorized)
        # A personal access token works as the password with any user name, or as the user name alone.
        value = credential.secret or credential.username or ""
        token = state.token(value)
        if token is None or token.platform != self.name or token.status(time.time()) != "valid":
            return text_response(401, "Invalid username or token. Password authentication is not supported for "
                                      "Git operations.\n", unauthorized)
        return GitAccess(token, token.login)

    def git_refusal(self, request: Request, access: GitAccess, repository: Repository | None,
                    repository_name: str, write: bool) -> Response | None:
        state = request.lab.state
        if repository is None or repository.role_of(access.login) is None or "repo" not in access.token.scopes:
            return text_response(404, "Repository not found.\n")
        if state.sso_required(self.name, repository.owner, access.token):
            url = f"{request.lab.base_url}{PREFIX}/orgs/{repository.owner}/sso"
            return text_response(403, f"The '{repository.owner}' organization has enabled or enforced SAML SSO. "
                                      f"To access this repository, you must use a personal access token that has "
                                      f"been authorized for this organization: {url}\n")
        if write and not repository.can_write(access.login):
            return text_response(403, f"Permission to {repository.name}.git denied to {access.login}.\n")
        if write and repository.archived:
            return text_response(403, "This repository was archived so it is read-only.\n")
        return None
