"""Security tables and their queries: API keys (stored as keyed digests of their tokens),
staff users (argon2id password hashes) and staff sessions (keyed digests of the session
token). API keys and staff users are security rows: every change is audited with their
digests (:data:`API_KEY_ROWS`, :data:`STAFF_USER_ROWS`, ``audit/rows.py``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    LargeBinary,
    RowMapping,
    String,
    Table,
    insert,
    select,
    update,
)

from qorgau.audit.rows import RowSpec
from qorgau.db import Instant, aware, metadata

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
    # How ``digest`` was computed: 'hmac' (keyed with a secret outside the database) or
    # 'sha256' (a key issued before issue 13: needs re-issue, and works only with a tag).
    Column("scheme", String(8), nullable=False, server_default="sha256"),
    # HMAC(secret, scheme, id, digest, role, recipient): only the server can write it; a
    # row without a valid one is refused. Null on legacy rows until the server tags them.
    Column("tag", LargeBinary(32), nullable=True),
)

staff_user = Table(
    "staff_user",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    # argon2id in PHC string form: $argon2id$v=19$m=...,t=...,p=...$salt$hash
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("disabled_at", Instant(), nullable=True),
)

#: Every column of a key is security-relevant (a row the server did not write is refused
#: anyway: its digest and tag are keyed; this names it in ``audit verify`` too).
API_KEY_ROWS = RowSpec(
    api_key,
    ("id",),
    ("id", "digest", "role", "name", "created_at", "revoked_at", "recipient", "scheme", "tag"),
)
STAFF_USER_ROWS = RowSpec(
    staff_user,
    ("id",),
    ("id", "username", "password_hash", "role", "created_at", "disabled_at"),
)

staff_session = Table(
    "staff_session",
    metadata,
    # HMAC-SHA256 (hex) of the session token under the staff key (not in the database): the
    # token itself lives only in the cookie.
    Column("id", String(64), primary_key=True),
    Column("user_id", String(16), ForeignKey("staff_user.id"), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("expires_at", Instant(), nullable=False),
    Column("revoked_at", Instant(), nullable=True),
    Index("ix_staff_session_user_id", "user_id"),
)


# -- API keys ---------------------------------------------------------------------------


SCHEME_HMAC = "hmac"
SCHEME_SHA256 = "sha256"


class KeyAuth(NamedTuple):
    """What authenticating a token reads of its key."""

    id: str
    role: str
    name: str
    revoked_at: datetime | None
    recipient: str | None
    digest: bytes
    scheme: str
    tag: bytes | None


class KeyRow(NamedTuple):
    """A key as listed: never its digest."""

    id: str
    role: str
    name: str
    recipient: str | None
    created_at: datetime
    revoked_at: datetime | None
    scheme: str


class KeyStatus(NamedTuple):
    revoked_at: datetime | None


def insert_key(
    conn: Connection,
    key_id: str,
    digest: bytes,
    tag: bytes,
    role: str,
    name: str,
    created_at: datetime,
    recipient: str | None,
) -> tuple[str, str]:
    """The new row's key and digest (:data:`API_KEY_ROWS`), for its audit event."""
    values = {
        "id": key_id,
        "digest": digest,
        "tag": tag,
        "role": role,
        "name": name,
        "created_at": created_at,
        "revoked_at": None,
        "recipient": recipient,
        "scheme": SCHEME_HMAC,
    }
    conn.execute(insert(api_key).values(**values))
    return API_KEY_ROWS.entry(values)


def keys_by_digest(conn: Connection, digests: tuple[bytes, ...]) -> list[KeyAuth]:
    """The keys whose digest is one of ``digests`` (at most one each: digests are unique)."""
    k = api_key.c
    rows = conn.execute(
        select(k.id, k.role, k.name, k.revoked_at, k.recipient, k.digest, k.scheme, k.tag).where(
            k.digest.in_(digests)
        )
    )
    return [
        KeyAuth(key_id, role, name, aware(revoked_at), recipient, digest, scheme, tag)
        for key_id, role, name, revoked_at, recipient, digest, scheme, tag in rows
    ]


def keys(conn: Connection) -> list[KeyRow]:
    """Every key, oldest first."""
    k = api_key.c
    rows = conn.execute(
        select(k.id, k.role, k.name, k.recipient, k.created_at, k.revoked_at, k.scheme).order_by(
            k.created_at, k.id
        )
    )
    return [
        KeyRow(
            key_id, role, name, recipient, aware(created) or datetime.now(UTC),
            aware(revoked), scheme,
        )
        for key_id, role, name, recipient, created, revoked, scheme in rows
    ]  # fmt: skip


def untagged_legacy_keys(conn: Connection) -> list[tuple[str, bytes, str, str | None]]:
    """(id, digest, role, recipient) of every 'sha256' key without a tag."""
    k = api_key.c
    rows = conn.execute(
        select(k.id, k.digest, k.role, k.recipient).where(
            k.scheme == SCHEME_SHA256, k.tag.is_(None)
        )
    )
    return [(key_id, digest, role, recipient) for key_id, digest, role, recipient in rows]


def tag_key(conn: Connection, key_id: str, tag: bytes) -> None:
    conn.execute(update(api_key).where(api_key.c.id == key_id).values(tag=tag))


def key_status(conn: Connection, key_id: str) -> KeyStatus | None:
    """None for an unknown key id."""
    found = conn.execute(select(api_key.c.revoked_at).where(api_key.c.id == key_id)).first()
    if found is None:
        return None
    (revoked_at,) = found
    return KeyStatus(aware(revoked_at))


def revoke_key(conn: Connection, key_id: str, at: datetime) -> None:
    """Revoke a key not revoked yet. Its tag goes too, so that clearing ``revoked_at`` in
    the database does not bring the key back (only the server can write a tag)."""
    conn.execute(
        update(api_key)
        .where(api_key.c.id == key_id, api_key.c.revoked_at.is_(None))
        .values(revoked_at=at, tag=None)
    )


# -- staff users ------------------------------------------------------------------------


class UserRow(NamedTuple):
    id: str
    username: str
    password_hash: str
    role: str
    created_at: datetime
    disabled_at: datetime | None


class SessionRow(NamedTuple):
    expires_at: datetime
    revoked_at: datetime | None
    user: UserRow


def _user_row(r: RowMapping) -> UserRow:
    return UserRow(
        r["id"],
        r["username"],
        r["password_hash"],
        r["role"],
        aware(r["created_at"]),
        aware(r["disabled_at"]),
    )


def insert_user(
    conn: Connection,
    user_id: str,
    username: str,
    password_hash: str,
    role: str,
    created_at: datetime,
) -> tuple[str, str]:
    """The new row's key and digest (:data:`STAFF_USER_ROWS`), for its audit event."""
    values = {
        "id": user_id,
        "username": username,
        "password_hash": password_hash,
        "role": role,
        "created_at": created_at,
        "disabled_at": None,
    }
    conn.execute(insert(staff_user).values(**values))
    return STAFF_USER_ROWS.entry(values)


def user_by_username(conn: Connection, username: str) -> UserRow | None:
    row = (
        conn.execute(select(staff_user).where(staff_user.c.username == username))
        .mappings()
        .one_or_none()
    )
    return None if row is None else _user_row(row)


def user_by_id(conn: Connection, user_id: str) -> UserRow | None:
    row = (
        conn.execute(select(staff_user).where(staff_user.c.id == user_id)).mappings().one_or_none()
    )
    return None if row is None else _user_row(row)


def users(conn: Connection) -> list[UserRow]:
    """Every staff user, by username."""
    return [
        _user_row(r)
        for r in conn.execute(select(staff_user).order_by(staff_user.c.username)).mappings()
    ]


def set_disabled(conn: Connection, user_id: str, at: datetime) -> None:
    conn.execute(update(staff_user).where(staff_user.c.id == user_id).values(disabled_at=at))


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(
        update(staff_user).where(staff_user.c.id == user_id).values(password_hash=password_hash)
    )


# -- staff sessions ---------------------------------------------------------------------


def insert_session(
    conn: Connection, session_id: str, user_id: str, created_at: datetime, expires_at: datetime
) -> None:
    conn.execute(
        insert(staff_session).values(
            id=session_id, user_id=user_id, created_at=created_at, expires_at=expires_at
        )
    )


def session_by_id(conn: Connection, session_id: str) -> SessionRow | None:
    """A session with its user, revoked or expired alike."""
    row = (
        conn.execute(
            select(staff_session.c.expires_at, staff_session.c.revoked_at, staff_user).where(
                staff_session.c.id == session_id,
                staff_session.c.user_id == staff_user.c.id,
            )
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    return SessionRow(aware(row["expires_at"]), aware(row["revoked_at"]), _user_row(row))


def revoke_sessions_of(conn: Connection, user_id: str, at: datetime) -> None:
    """Revoke every open session of a user."""
    conn.execute(
        update(staff_session)
        .where(staff_session.c.user_id == user_id, staff_session.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def revoke_session(conn: Connection, session_id: str, at: datetime) -> int:
    """Revoke a session not revoked yet; returns how many rows changed (0 or 1)."""
    result = conn.execute(
        update(staff_session)
        .where(staff_session.c.id == session_id, staff_session.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(result.rowcount or 0)
