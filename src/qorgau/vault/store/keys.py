"""Key rotation's statements (:mod:`qorgau.vault.keys`): the wrapped data keys of
subjects and of pending submissions (``otp_challenge``), claimed in batches that skip rows
another transaction holds (PostgreSQL ``FOR UPDATE SKIP LOCKED``), re-written with
``executemany``, counted per KEK."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, select, update

from qorgau.vault.store import otp_challenge, subject


class Wrapped(NamedTuple):
    """A data key as stored: whose (subject or challenge id), under which KEK."""

    id: str
    kek_id: str
    wrapped: bytes


def _wrapped(r: Any) -> Wrapped:
    return Wrapped(str(r.id), str(r.kek_id), bytes(r.wrapped_key))


# -- subjects ------------------------------------------------------------------------------


def subject_keys_to_move(conn: Connection, active: str, after: str, limit: int) -> list[Wrapped]:
    """Up to ``limit`` subjects after ``after`` (id order) whose key is not under ``active``."""
    q = (
        select(subject.c.id, subject.c.kek_id, subject.c.wrapped_key)
        .where(subject.c.kek_id.is_not(None), subject.c.kek_id != active, subject.c.id > after)
        .order_by(subject.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return [_wrapped(r) for r in conn.execute(q)]


def set_subject_keys(conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
    """Re-wrapped keys: ``{"sid", "k" (KEK id), "w" (wrapped key)}`` each."""
    conn.execute(
        update(subject)
        .where(subject.c.id == bindparam("sid"))
        .values(kek_id=bindparam("k"), wrapped_key=bindparam("w")),
        params,
    )


def subject_kek_counts(conn: Connection) -> dict[str, int]:
    """Subjects' data keys per KEK."""
    q = (
        select(subject.c.kek_id, func.count())
        .where(subject.c.kek_id.is_not(None))
        .group_by(subject.c.kek_id)
    )
    return {str(k): int(n) for k, n in conn.execute(q)}


class KeyOwner(NamedTuple):
    id: str
    kek_id: str


def subjects_not_under(conn: Connection, active: str) -> list[KeyOwner]:
    """Subjects whose data key is under another KEK than ``active``."""
    q = select(subject.c.id, subject.c.kek_id).where(
        subject.c.kek_id.is_not(None), subject.c.kek_id != active
    )
    return [KeyOwner(str(r.id), str(r.kek_id)) for r in conn.execute(q)]


def subjects_under(conn: Connection, kek_id: str) -> int:
    q = select(func.count()).select_from(subject).where(subject.c.kek_id == kek_id)
    return int(conn.execute(q).scalar_one())


# -- pending submissions -------------------------------------------------------------------


def pending_keys_to_move(conn: Connection, active: str, limit: int) -> list[Wrapped]:
    """Up to ``limit`` pending submissions whose key is not under ``active``."""
    c = otp_challenge.c
    q = (
        select(c.id, c.kek_id, c.wrapped_key)
        .where(c.kek_id.is_not(None), c.kek_id != active)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    return [_wrapped(r) for r in conn.execute(q)]


def set_pending_keys(conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
    """Re-wrapped keys: ``{"cid", "k" (KEK id), "w" (wrapped key)}`` each."""
    c = otp_challenge.c
    conn.execute(
        update(otp_challenge)
        .where(c.id == bindparam("cid"))
        .values(kek_id=bindparam("k"), wrapped_key=bindparam("w")),
        params,
    )


def pending_kek_counts(conn: Connection) -> dict[str, int]:
    """Pending data keys per KEK."""
    c = otp_challenge.c
    rows = conn.execute(
        select(c.kek_id, func.count()).where(c.kek_id.is_not(None)).group_by(c.kek_id)
    )
    return {str(k): int(n) for k, n in rows}
