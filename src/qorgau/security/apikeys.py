"""API keys: 128-bit random bearer tokens, stored only as SHA-256 digests (policy 7.3.8).

A fast hash suits a 128-bit random secret (no dictionary to attack); passwords, which people
choose, get argon2 elsewhere.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from qorgau.errors import DomainError
from qorgau.security import store

PREFIX = "qg_"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    kind = "unauthenticated"
    title = "Authentication required"


class UnknownRole(DomainError):
    code = "unknown-role"

    def __init__(self, role: str, roles: list[str]) -> None:
        super().__init__(f"unknown role '{role}'; roles: {', '.join(roles)}")


class KeyNotFound(DomainError):
    code = "key-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no API key '{key_id}'")


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    role: str
    name: str
    recipient: str | None = None


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key as staff see it: never its token, nor its digest."""

    id: str
    role: str
    name: str
    recipient: str | None
    created_at: datetime
    revoked_at: datetime | None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def create_key(
    conn: Connection, role: str, name: str, recipient: str | None = None
) -> tuple[ApiKey, str]:
    """Returns the key record and the token, which is shown once and never stored."""
    key_id = secrets.token_hex(4)
    token = PREFIX + key_id + "_" + secrets.token_urlsafe(16)
    store.insert_key(conn, key_id, _digest(token), role, name, datetime.now(UTC), recipient)
    return ApiKey(key_id, role, name, recipient), token


def authenticate(conn: Connection, token: str) -> ApiKey:
    if not token.startswith(PREFIX):
        raise Unauthenticated("missing or malformed API key")
    key = store.key_by_digest(conn, _digest(token))
    if key is None or key.revoked_at is not None:
        raise Unauthenticated("unknown or revoked API key")
    return ApiKey(key.id, key.role, key.name, key.recipient)


def list_keys(conn: Connection) -> list[KeyView]:
    return [
        KeyView(k.id, k.role, k.name, k.recipient, k.created_at, k.revoked_at)
        for k in store.keys(conn)
    ]


def revoke_key(conn: Connection, key_id: str) -> bool:
    """Revoke a key (every process refuses it from the next request on: keys are not
    cached). False when it was revoked already; ``KeyNotFound`` for an unknown id."""
    status = store.key_status(conn, key_id)
    if status is None:
        raise KeyNotFound(key_id)
    if status.revoked_at is not None:
        return False
    store.revoke_key(conn, key_id, datetime.now(UTC))
    return True
