"""Admin endpoints under /_lab/admin/ that labctl calls to manage tokens, repositories and switches.

Each endpoint takes a JSON object by POST and requires the admin key from the state directory in the
`X-Lab-Admin-Key` header. Going through the server, instead of editing files, lets parallel test
processes add tokens and repositories without racing each other.
"""

from __future__ import annotations

import hmac
import json
import os
import shutil
from typing import Any, Callable

from .core import Request, Response, json_response
from .repositories import branch_heads, create_repository, push_count, write_protected_branches
from .state import PLATFORMS, LabError, LabState

PREFIX = "/_lab/admin/"


def _required(payload: dict[str, Any], key: str) -> Any:
    value = payload.get(key)
    if value is None or value == "":
        raise LabError(f"missing field {key!r} in the admin request")
    return value


def _platform(payload: dict[str, Any]) -> str:
    platform = _required(payload, "platform")
    if platform not in PLATFORMS:
        raise LabError(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
    return platform


class Admin:
    def __init__(self, state: LabState):
        self.state = state
        self.commands: dict[str, Callable[[Request, dict[str, Any]], dict[str, Any]]] = {
            "status": self.status,
            "token-add": self.token_add,
            "token-expire": self.token_expire,
            "token-revoke": self.token_revoke,
            "repo-add": self.repo_add,
            "repo-path": self.repo_path,
            "repo-stats": self.repo_stats,
            "repo-archive": self.repo_archive,
            "repo-protect": self.repo_protect,
            "repo-rename": self.repo_rename,
            "sso-enforce": self.sso_enforce,
            "sso-authorize": self.sso_authorize,
            "ratelimit-set": self.ratelimit_set,
            "ratelimit-clear": self.ratelimit_clear,
            "stall": self.stall,
            "latency": self.latency,
        }

    def handle(self, request: Request) -> Response:
        key = request.header("X-Lab-Admin-Key") or ""
        if not request.lab.admin_key or not hmac.compare_digest(key.encode(), request.lab.admin_key.encode()):
            return json_response(403, {"error": "missing or wrong X-Lab-Admin-Key: labctl reads it from "
                                                "admin.key in the lab's state directory"})
        command = request.raw_path[len(PREFIX):]
        handler = self.commands.get(command)
        if handler is None:
            return json_response(404, {"error": f"unknown admin command {command!r}"})
        if request.method != "POST":
            return json_response(405, {"error": "admin commands take POST requests with a JSON object"})
        try:
            payload = json.loads(request.body or b"{}")
            if not isinstance(payload, dict):
                raise LabError("the admin request body must be a JSON object")
            return json_response(200, handler(request, payload))
        except json.JSONDecodeError as error:
            return json_response(400, {"error": f"the admin request body is not JSON: {error}"})
        except LabError as error:
            return json_response(error.status, {"error": str(error)})

    def status(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        with self.state.lock:
            return {"pid": os.getpid(), "url": request.lab.base_url, "tokens": len(self.state.tokens),
                    "repositories": len(self.state.repositories),
                    "stall_prefix": request.lab.switches.stall_prefix,
                    "latency_ms": request.lab.switches.latency_ms}

    def token_add(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        token = self.state.add_token(
            platform=_platform(payload),
            login=_required(payload, "user"),
            kind=payload.get("kind"),
            scopes=payload.get("scopes"),
            expires=payload.get("expires"),
            email=payload.get("email"),
            blocked=bool(payload.get("blocked")),
            self_endpoint=not payload.get("no_self_endpoint"),
        )
        return {"token": token.value}

    def token_expire(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        self.state.expire_token(_required(payload, "token"))
        return {}

    def token_revoke(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        self.state.revoke_token(_required(payload, "token"))
        return {}

    def repo_add(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        platform = _platform(payload)
        name = _required(payload, "name")
        protected = list(payload.get("protect") or [])
        repository = self.state.reserve_repository(platform, name, list(payload.get("writers") or []),
                                                   list(payload.get("readers") or []),
                                                   list(payload.get("group_writers") or []), protected)
        path = self.state.repository_path(platform, name)
        try:
            create_repository(path, platform, name, protected, bool(payload.get("empty")))
        except LabError:
            self.state.forget_repository(platform, name)
            raise
        return {"id": repository.id, "path": str(path)}

    def _existing_path(self, payload: dict[str, Any]) -> tuple[str, str, str]:
        platform = _platform(payload)
        name = _required(payload, "name")
        if self.state.repository(platform, name) is None:
            raise LabError(f"repository {name!r} not found on {platform}: create it with `labctl repo add`", 404)
        return platform, name, str(self.state.repository_path(platform, name))

    def repo_path(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        _, _, path = self._existing_path(payload)
        return {"path": path}

    def repo_stats(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        platform, name, path = self._existing_path(payload)
        repository = self.state.repository(platform, name)
        assert repository is not None
        return {"pushes": push_count(self.state.repository_path(platform, name)), "fetches": repository.fetches,
                "branches": branch_heads(self.state.repository_path(platform, name))}

    def repo_archive(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        platform, name, _ = self._existing_path(payload)
        self.state.update_repository(platform, name, archived=not payload.get("unarchive"))
        return {}

    def repo_protect(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        platform, name, path = self._existing_path(payload)
        with self.state.lock:
            repository = self.state.repository(platform, name)
            assert repository is not None
            protected = [branch for branch in repository.protected if branch not in (payload.get("unprotect") or [])]
            protected += [branch for branch in payload.get("protect") or [] if branch not in protected]
            self.state.update_repository(platform, name, protected=protected)
            write_protected_branches(self.state.repository_path(platform, name), protected)
        return {"protected": protected}

    def repo_rename(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        platform, name, _ = self._existing_path(payload)
        new_name = _required(payload, "new_name")
        with self.state.lock:
            old_path = self.state.repository_path(platform, name)
            new_path = self.state.repository_path(platform, new_name)
            if new_path.exists():
                raise LabError(f"repository {new_name!r} already exists on {platform}", 409)
            self.state.rename_repository(platform, name, new_name)
            new_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(old_path), str(new_path))
        return {"path": str(new_path)}

    def sso_enforce(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        self.state.enforce_sso(_platform(payload), _required(payload, "owner"))
        return {}

    def sso_authorize(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        self.state.authorize_sso(_required(payload, "token"), _required(payload, "owner"))
        return {}

    def ratelimit_set(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        kind = payload.get("kind") or "primary"
        if kind not in ("primary", "secondary"):
            raise LabError(f"invalid rate limit kind {kind!r}: use primary or secondary")
        reset_in = float(payload.get("reset_in", 60))
        if reset_in <= 0:
            raise LabError(f"invalid reset_in {reset_in}: give a positive number of seconds")
        self.state.set_rate_limit(_required(payload, "token"), payload.get("platform"), kind, reset_in)
        return {}

    def ratelimit_clear(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        self.state.clear_rate_limit(_required(payload, "token"))
        return {}

    def stall(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        prefix = payload.get("prefix") or "/"
        request.lab.switches.set_stall(prefix, on=bool(payload.get("on")))
        return {"stall_prefix": request.lab.switches.stall_prefix}

    def latency(self, request: Request, payload: dict[str, Any]) -> dict[str, Any]:
        milliseconds = int(payload.get("milliseconds", 0))
        if milliseconds < 0 or milliseconds > 600_000:
            raise LabError(f"invalid latency {milliseconds} ms: give 0 to 600000")
        request.lab.switches.set_latency(milliseconds, payload.get("prefix") or "/")
        return {"latency_ms": milliseconds}
