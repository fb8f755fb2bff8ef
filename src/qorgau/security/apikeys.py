"""API keys: 128-bit random bearer tokens, stored only as SHA-256 digests (policy 7.3.8).

A fast hash suits a 128-bit random secret (no dictionary to attack); passwords, which people
choose, get argon2 elsewhere.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Connection,
    LargeBinary,
    String,
    Table,
    insert,
    select,
    update,
)

from qorgau.db import Instant, metadata
from qorgau.errors import DomainError

api_key = Table(
    "api_key",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("digest", LargeBinary(32), nullable=False, unique=True),
    Column("role", String(24), nullable=False),
    Column("name", String(80), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("revoked_at", Instant(), nullable=True),
    # A partner's key reaches only that recipient's leads (the partner pull API).
    Column("recipient", String(40), nullable=True),
)

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
    conn.execute(
        insert(api_key).values(
            id=key_id,
            digest=_digest(token),
            role=role,
            name=name,
            created_at=datetime.now(UTC),
            recipient=recipient,
        )
    )
    return ApiKey(key_id, role, name, recipient), token


def authenticate(conn: Connection, token: str) -> ApiKey:
    if not token.startswith(PREFIX):
        raise Unauthenticated("missing or malformed API key")
    row = conn.execute(
        select(
            api_key.c.id, api_key.c.role, api_key.c.name, api_key.c.revoked_at, api_key.c.recipient
        ).where(api_key.c.digest == _digest(token))
    ).one_or_none()
    if row is None or row[3] is not None:
        raise Unauthenticated("unknown or revoked API key")
    return ApiKey(row[0], row[1], row[2], row[4])


def _aware(dt: datetime | None) -> datetime | None:
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=UTC)


def list_keys(conn: Connection) -> list[KeyView]:
    k = api_key.c
    rows = conn.execute(
        select(k.id, k.role, k.name, k.recipient, k.created_at, k.revoked_at).order_by(
            k.created_at, k.id
        )
    ).all()
    return [
        KeyView(r[0], r[1], r[2], r[3], _aware(r[4]) or datetime.now(UTC), _aware(r[5]))
        for r in rows
    ]


def revoke_key(conn: Connection, key_id: str) -> bool:
    """Revoke a key (every process refuses it from the next request on: keys are not
    cached). False when it was revoked already; ``KeyNotFound`` for an unknown id."""
    found = conn.execute(select(api_key.c.revoked_at).where(api_key.c.id == key_id)).first()
    if found is None:
        raise KeyNotFound(key_id)
    if found[0] is not None:
        return False
    conn.execute(
        update(api_key)
        .where(api_key.c.id == key_id, api_key.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return True
