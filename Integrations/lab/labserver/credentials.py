"""Credentials as clients send them: Basic user and password, a bearer token, or a token in its own header."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from .core import Request


@dataclass
class Credential:
    scheme: str
    """"basic", "bearer", "token" (GitHub's `Authorization: token T`) or "private-token" (GitLab's header)."""
    secret: str
    username: str | None = None


def read_credential(request: Request) -> Credential | None:
    """Return the credential of the request's Authorization header, or None when it has none or it is malformed."""
    header = request.header("Authorization")
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if not value:
        return None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, separator, password = decoded.partition(":")
        if not separator:
            return None
        return Credential("basic", password, username)
    if scheme in ("bearer", "token"):
        return Credential(scheme, value)
    return None
