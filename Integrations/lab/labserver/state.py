"""Users, tokens, repositories and switches of the lab, kept in memory behind one lock and saved to JSON.

Every change goes through `LabState` methods, which take the lock, change the records and write
`state.json` in the state directory (mode 0600), so a restarted server keeps what tests created.
Request handlers read records under the same lock through `snapshot` copies or small query methods.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PLATFORMS = ("github", "gitlab", "bitbucket", "bitbucket-dc")

TOKEN_KINDS = {
    "github": ("personal",),
    "gitlab": ("personal", "project-token"),
    "bitbucket": ("api-token", "access-token", "app-password"),
    "bitbucket-dc": ("personal", "project-token", "repository-token"),
}

DEFAULT_TOKEN_KIND = {
    "github": "personal",
    "gitlab": "personal",
    "bitbucket": "app-password",
    "bitbucket-dc": "personal",
}

# Scopes that allow pushing on each platform, given to a new token unless the caller names other scopes.
DEFAULT_SCOPES = {
    "github": ["repo"],
    "gitlab": ["api", "write_repository"],
    ("bitbucket", "api-token"): ["read:user:bitbucket", "read:repository:bitbucket", "write:repository:bitbucket"],
    ("bitbucket", "app-password"): ["account", "repository", "repository:write"],
    ("bitbucket", "access-token"): ["repository", "repository:write"],
    "bitbucket-dc": ["PROJECT_READ", "REPO_WRITE"],
}

DEFAULT_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600

# One path segment of a repository, group, workspace or project name.
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")
_LOGIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")


class LabError(Exception):
    """A request to the lab that cannot be carried out; `status` is the HTTP status the admin API returns."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class User:
    platform: str
    login: str
    id: int
    email: str
    name: str
    blocked: bool = False

    @property
    def uuid(self) -> str:
        """The Bitbucket-style account UUID, derived from the numeric id so it stays stable."""
        return "{%08x-0000-4000-8000-%012x}" % (self.id, self.id)

    @property
    def account_id(self) -> str:
        return "557058:%08x-lab" % self.id


@dataclass
class Token:
    value: str
    platform: str
    login: str
    kind: str
    scopes: list[str]
    id: int
    created_at: float
    expires_at: float | None
    email: str
    revoked: bool = False
    self_endpoint: bool = True
    sso_owners: list[str] = field(default_factory=list)
    rate_limit: dict[str, Any] | None = None

    def status(self, now: float) -> str:
        """Return "revoked", "expired" or "valid"."""
        if self.revoked:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "valid"


@dataclass
class Repository:
    platform: str
    name: str
    id: int
    writers: list[str] = field(default_factory=list)
    readers: list[str] = field(default_factory=list)
    group_writers: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    archived: bool = False
    fetches: int = 0
    former_names: list[str] = field(default_factory=list)
    # GitHub pull requests and GitLab merge requests, as the JSON objects the API returns.
    change_requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def owner(self) -> str:
        """The first name segment: GitHub owner, GitLab top group, Bitbucket workspace or DC project key."""
        return self.name.split("/", 1)[0]

    @property
    def slug(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    def role_of(self, login: str) -> str | None:
        """Return "owner", "writer", "group-writer", "reader" or None for a user's access to this repository.

        The owner is the user whose login is the first name segment (a personal namespace). On Bitbucket Data
        Center the owner's personal project is `~LOGIN`.
        """
        owner = self.owner
        if self.platform == "bitbucket-dc":
            if owner.lower() == "~" + login.lower():
                return "owner"
        elif owner == login:
            return "owner"
        if login in self.writers:
            return "writer"
        if login in self.group_writers:
            return "group-writer"
        if login in self.readers:
            return "reader"
        return None

    def can_write(self, login: str) -> bool:
        return self.role_of(login) in ("owner", "writer", "group-writer")


def parse_expiry(text: str | None, platform: str, now: float) -> float | None:
    """Parse `--expires`: an ISO 8601 date or date-time (UTC when no offset is given), or "never".

    Without a value the token expires 30 days ahead. GitLab tokens expire at 00:00 UTC of a date, so their
    default is midnight of the 30th day.
    """
    if text is None:
        ahead = now + DEFAULT_TOKEN_LIFETIME_SECONDS
        if platform == "gitlab":
            day = datetime.datetime.fromtimestamp(ahead, datetime.timezone.utc).date()
            return datetime.datetime.combine(day, datetime.time(), datetime.timezone.utc).timestamp()
        return ahead
    if text == "never":
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as error:
        raise LabError(f"invalid --expires value {text!r}: use an ISO 8601 date such as 2030-01-31, "
                       f"a date-time such as 2030-01-31T12:00:00Z, or 'never'") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def validate_repository_name(platform: str, name: str) -> None:
    """Raise LabError unless `name` has the shape the platform uses for repository paths."""
    segments = name.split("/")
    expected = {
        "github": "OWNER/REPO",
        "gitlab": "group/[subgroup/...]project",
        "bitbucket": "WORKSPACE/SLUG",
        "bitbucket-dc": "PROJECT/REPO",
    }[platform]
    if platform == "gitlab":
        shape_ok = 2 <= len(segments) <= 10
    else:
        shape_ok = len(segments) == 2
    if not shape_ok:
        raise LabError(f"invalid repository name {name!r} for {platform}: expected {expected}")
    for index, segment in enumerate(segments):
        # A Bitbucket Data Center personal project key is the user's login after a tilde.
        plain = segment.removeprefix("~") if platform == "bitbucket-dc" and index == 0 else segment
        if not _SEGMENT.match(plain) or segment.endswith(".git") or segment.endswith("."):
            raise LabError(f"invalid segment {segment!r} in repository name {name!r}: use letters, digits, "
                           f"'.', '_' and '-', and do not end a segment with '.git' or '.'")


class LabState:
    """The lab's records and switches, shared by all request threads."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.repos_root = state_dir / "repos"
        self.lock = threading.RLock()
        self.users: dict[tuple[str, str], User] = {}
        self.tokens: dict[str, Token] = {}
        self.repositories: dict[tuple[str, str], Repository] = {}
        self.sso_enforced: set[tuple[str, str]] = set()
        self.next_id = 1000
        # Per token: start of the current one-hour window and the number of API calls in it.
        self.api_usage: dict[str, tuple[float, int]] = {}
        self._load()

    # Persistence

    @property
    def _file(self) -> Path:
        return self.state_dir / "state.json"

    def _load(self) -> None:
        if not self._file.exists():
            return
        data = json.loads(self._file.read_text())
        self.next_id = data.get("next_id", 1000)
        for record in data.get("users", []):
            user = User(**record)
            self.users[(user.platform, user.login)] = user
        for record in data.get("tokens", []):
            token = Token(**record)
            self.tokens[token.value] = token
        for record in data.get("repositories", []):
            repository = Repository(**record)
            self.repositories[(repository.platform, repository.name)] = repository
        self.sso_enforced = {(item[0], item[1]) for item in data.get("sso_enforced", [])}

    def save(self) -> None:
        """Write every record to state.json atomically. The caller holds the lock."""
        data = {
            "next_id": self.next_id,
            "users": [dataclasses.asdict(user) for user in self.users.values()],
            "tokens": [dataclasses.asdict(token) for token in self.tokens.values()],
            "repositories": [dataclasses.asdict(repository) for repository in self.repositories.values()],
            "sso_enforced": sorted(list(item) for item in self.sso_enforced),
        }
        temporary = self._file.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            json.dump(data, stream, indent=1)
        os.replace(temporary, self._file)

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # Users and tokens

    def ensure_user(self, platform: str, login: str, email: str | None = None, blocked: bool | None = None) -> User:
        """Return the user, creating it on first use. The caller holds the lock."""
        if not _LOGIN.match(login):
            raise LabError(f"invalid user login {login!r}: use letters, digits, '.', '_' and '-'")
        user = self.users.get((platform, login))
        if user is None:
            user = User(platform=platform, login=login, id=self._new_id(),
                        email=email or f"{login}@example.com", name=login.replace("-", " ").title())
            self.users[(platform, login)] = user
        if email:
            user.email = email
        if blocked is not None:
            user.blocked = blocked
        return user

    def add_token(self, platform: str, login: str, kind: str | None, scopes: list[str] | None,
                  expires: str | None, email: str | None, blocked: bool, self_endpoint: bool) -> Token:
        if platform not in PLATFORMS:
            raise LabError(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
        kind = kind or DEFAULT_TOKEN_KIND[platform]
        if kind not in TOKEN_KINDS[platform]:
            raise LabError(f"token kind {kind!r} does not exist on {platform}: use one of "
                           f"{', '.join(TOKEN_KINDS[platform])}")
        now = time.time()
        expires_at = parse_expiry(expires, platform, now)
        if scopes is None:
            scopes = list(DEFAULT_SCOPES.get((platform, kind)) or DEFAULT_SCOPES[platform])
        with self.lock:
            user = self.ensure_user(platform, login, email, blocked if blocked else None)
            token = Token(value=_new_token_value(platform, kind), platform=platform, login=login, kind=kind,
                          scopes=scopes, id=self._new_id(), created_at=now, expires_at=expires_at,
                          email=user.email, self_endpoint=self_endpoint)
            self.tokens[token.value] = token
            self.save()
            return dataclasses.replace(token)

    def token(self, value: str) -> Token | None:
        """Return a copy of the token record, or None for an unknown value."""
        with self.lock:
            token = self.tokens.get(value)
            return dataclasses.replace(token, sso_owners=list(token.sso_owners)) if token else None

    def user(self, platform: str, login: str) -> User | None:
        with self.lock:
            user = self.users.get((platform, login))
            return dataclasses.replace(user) if user else None

    def user_by_email(self, platform: str, email: str) -> User | None:
        with self.lock:
            for user in self.users.values():
                if user.platform == platform and user.email == email:
                    return dataclasses.replace(user)
            return None

    def _existing_token(self, value: str) -> Token:
        token = self.tokens.get(value)
        if token is None:
            raise LabError("unknown token: it was not created by this lab (check XAPI_LAB_STATE)", 404)
        return token

    def expire_token(self, value: str) -> None:
        with self.lock:
            self._existing_token(value).expires_at = time.time() - 1
            self.save()

    def revoke_token(self, value: str) -> None:
        with self.lock:
            self._existing_token(value).revoked = True
            self.save()

    def authorize_sso(self, value: str, owner: str) -> None:
        with self.lock:
            token = self._existing_token(value)
            if owner not in token.sso_owners:
                token.sso_owners.append(owner)
            self.save()

    def enforce_sso(self, platform: str, owner: str) -> None:
        with self.lock:
            self.sso_enforced.add((platform, owner))
            self.save()

    def sso_required(self, platform: str, owner: str, token: Token) -> bool:
        with self.lock:
            return (platform, owner) in self.sso_enforced and owner not in token.sso_owners

    def set_rate_limit(self, value: str, platform: str | None, kind: str, reset_in: float) -> None:
        with self.lock:
            token = self._existing_token(value)
            if platform and token.platform != platform:
                raise LabError(f"the token belongs to {token.platform}, not {platform}")
            token.rate_limit = {"kind": kind, "reset_at": time.time() + reset_in}
            self.save()

    def clear_rate_limit(self, value: str) -> None:
        with self.lock:
            self._existing_token(value).rate_limit = None
            self.save()

    def active_rate_limit(self, value: str, now: float) -> dict[str, Any] | None:
        """Return the token's rate limit while it lasts, and drop a limit whose reset time has passed."""
        with self.lock:
            token = self.tokens.get(value)
            if token is None or token.rate_limit is None:
                return None
            if token.rate_limit["reset_at"] <= now:
                token.rate_limit = None
                self.save()
                return None
            return dict(token.rate_limit)

    def count_api_call(self, value: str, now: float) -> tuple[int, float]:
        """Count one API call of a token and return (calls in the current hour, window reset time)."""
        with self.lock:
            start, used = self.api_usage.get(value, (now, 0))
            if now - start >= 3600:
                start, used = now, 0
            used += 1
            self.api_usage[value] = (start, used)
            return used, start + 3600

    # Repositories

    def repository_path(self, platform: str, name: str) -> Path:
        return self.repos_root / platform / (name + ".git")

    def reserve_repository(self, platform: str, name: str, writers: list[str], readers: list[str],
                           group_writers: list[str], protected: list[str]) -> Repository:
        """Record a new repository. The caller then creates it on disk, or calls `forget_repository` on failure."""
        if platform not in PLATFORMS:
            raise LabError(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
        validate_repository_name(platform, name)
        with self.lock:
            if (platform, name) in self.repositories or self.repository_path(platform, name).exists():
                raise LabError(f"repository {name!r} already exists on {platform}: pick another name", 409)
            for login in writers + readers + group_writers:
                self.ensure_user(platform, login)
            repository = Repository(platform=platform, name=name, id=self._new_id(), writers=list(writers),
                                    readers=list(readers), group_writers=list(group_writers),
                                    protected=list(protected))
            self.repositories[(platform, name)] = repository
            self.save()
            return dataclasses.replace(repository)

    def forget_repository(self, platform: str, name: str) -> None:
        with self.lock:
            self.repositories.pop((platform, name), None)
            self.save()

    def repository(self, platform: str, name: str) -> Repository | None:
        """Return a copy of the repository record, or None when it does not exist."""
        with self.lock:
            repository = self.repositories.get((platform, name))
            return _copy_repository(repository) if repository else None

    def repository_by_id(self, platform: str, identifier: int) -> Repository | None:
        with self.lock:
            for repository in self.repositories.values():
                if repository.platform == platform and repository.id == identifier:
                    return _copy_repository(repository)
            return None

    def repositories_of(self, platform: str, owner: str | None = None) -> list[Repository]:
        with self.lock:
            return [_copy_repository(repository) for repository in self.repositories.values()
                    if repository.platform == platform and (owner is None or repository.owner == owner)]

    def renamed_repository(self, platform: str, former_name: str) -> Repository | None:
        """Return the repository that was once called `former_name`, for redirects after a rename."""
        with self.lock:
            for repository in self.repositories.values():
                if repository.platform == platform and former_name in repository.former_names:
                    return _copy_repository(repository)
            return None

    def update_repository(self, platform: str, name: str, **changes: Any) -> Repository:
        with self.lock:
            repository = self.repositories.get((platform, name))
            if repository is None:
                raise LabError(f"repository {name!r} not found on {platform}", 404)
            for key, value in changes.items():
                setattr(repository, key, value)
            self.save()
            return _copy_repository(repository)

    def rename_repository(self, platform: str, name: str, new_name: str) -> Repository:
        """Move the record to `new_name`. The caller moves the directory while holding the lock."""
        validate_repository_name(platform, new_name)
        with self.lock:
            repository = self.repositories.get((platform, name))
            if repository is None:
                raise LabError(f"repository {name!r} not found on {platform}", 404)
            if (platform, new_name) in self.repositories:
                raise LabError(f"repository {new_name!r} already exists on {platform}", 409)
            del self.repositories[(platform, name)]
            repository.former_names.append(name)
            repository.name = new_name
            self.repositories[(platform, new_name)] = repository
            self.save()
            return _copy_repository(repository)

    def add_change_request(self, platform: str, name: str, source: str, target: str,
                           make: Any) -> tuple[dict[str, Any], bool]:
        """Record a pull or merge request unless an open one exists for the same branches.

        `make(number)` builds the record for the next number. Returns the record and whether it is new. When an
        open request for the same branches exists, returns that record and False.
        """
        with self.lock:
            repository = self.repositories.get((platform, name))
            if repository is None:
                raise LabError(f"repository {name!r} not found on {platform}", 404)
            for existing in repository.change_requests:
                if existing["lab_source"] == source and existing["lab_target"] == target and existing["lab_open"]:
                    return dict(existing), False
            record = make(len(repository.change_requests) + 1)
            record.update({"lab_source": source, "lab_target": target, "lab_open": True})
            repository.change_requests.append(record)
            self.save()
            return dict(record), True

    def count_fetch(self, platform: str, name: str) -> None:
        with self.lock:
            repository = self.repositories.get((platform, name))
            if repository is not None:
                repository.fetches += 1
                self.save()


def public_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Return a pull or merge request record without the lab's bookkeeping keys, which start with `lab_`."""
    return {key: value for key, value in record.items() if not key.startswith("lab_")}


def _copy_repository(repository: Repository) -> Repository:
    return dataclasses.replace(repository, writers=list(repository.writers), readers=list(repository.readers),
                               group_writers=list(repository.group_writers),
                               protected=list(repository.protected), former_names=list(repository.former_names),
                               change_requests=[dict(item) for item in repository.change_requests])


def _new_token_value(platform: str, kind: str) -> str:
    """Make a random token with the prefix the platform uses for that kind of token."""
    prefix = {
        ("github", "personal"): "ghp_",
        ("gitlab", "personal"): "glpat-",
        ("gitlab", "project-token"): "glpat-",
        ("bitbucket", "api-token"): "ATAT",
        ("bitbucket", "app-password"): "ATBB",
        ("bitbucket", "access-token"): "ATCTT",
        ("bitbucket-dc", "personal"): "BBDC-",
        ("bitbucket-dc", "project-token"): "BBDC-",
        ("bitbucket-dc", "repository-token"): "BBDC-",
    }[(platform, kind)]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(36))
