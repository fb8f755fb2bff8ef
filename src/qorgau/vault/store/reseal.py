"""The one-time re-seal's statements (:mod:`qorgau.vault.reseal`): subjects with values,
claimed in id order (PostgreSQL ``FOR UPDATE``), with their history and blind indexes; the
last state digest the audit log records for each; the rewrites, with ``executemany``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, select, update

from qorgau.audit.store import audit_event
from qorgau.vault.store import blind_index, history, subject
from qorgau.vault.store.state import HistoryRow, IndexRow


class Row(NamedTuple):
    """A subject row with values."""

    id: str
    status: str
    category: str
    kek_id: str | None
    wrapped: bytes | None
    sealed: bytes


def with_values(conn: Connection, after: str, limit: int) -> list[Row]:
    """Up to ``limit`` subjects after ``after`` (id order) that hold values (a record,
    sealed or not: which, the caller reads from it)."""
    s = subject.c
    q = (
        select(s.id, s.status, s.category, s.kek_id, s.wrapped_key, s.sealed)
        .where(s.sealed.is_not(None), s.id > after)
        .order_by(s.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return [
        Row(
            str(r.id),
            str(r.status),
            str(r.category),
            r.kek_id,
            bytes(r.wrapped_key) if r.wrapped_key is not None else None,
            bytes(r.sealed),
        )
        for r in conn.execute(q)
    ]


def history_of(conn: Connection, ids: Sequence[str]) -> dict[str, list[HistoryRow]]:
    h = history.c
    q = select(
        h.subject_id, h.field, h.version, h.purpose, h.source, h.collected_at,
        h.superseded_at, h.ciphertext,
    ).where(h.subject_id.in_(list(ids)))  # fmt: skip
    out: dict[str, list[HistoryRow]] = {}
    for r in conn.execute(q):
        out.setdefault(str(r.subject_id), []).append(
            HistoryRow(
                r.field,
                r.version,
                r.purpose,
                r.source,
                r.collected_at,
                r.superseded_at,
                bytes(r.ciphertext),
            )
        )
    return out


def index_of(conn: Connection, ids: Sequence[str]) -> dict[str, list[IndexRow]]:
    b = blind_index.c
    out: dict[str, list[IndexRow]] = {}
    for r in conn.execute(select(b.subject_id, b.kind, b.digest).where(b.subject_id.in_(ids))):
        out.setdefault(str(r.subject_id), []).append(IndexRow(r.kind, bytes(r.digest)))
    return out


def audited_states(conn: Connection, ids: Sequence[str]) -> dict[str, bytes]:
    """The state digest of each subject's last state-changing event, as ``audit verify``
    reconciles it (the last in chain order: partition, then sequence)."""
    e = audit_event.c
    q = (
        select(e.subject_id, e.state)
        .where(e.subject_id.in_(list(ids)), e.state.is_not(None))
        .order_by(e.part, e.seq)
    )
    return {str(sid): bytes(st) for sid, st in conn.execute(q)}


def done_elsewhere(conn: Connection, action: str) -> bool:
    """Whether the audit log records a completed re-seal (an event of ``action`` naming no
    subject)."""
    e = audit_event.c
    q = select(e.id).where(e.action == action, e.subject_id.is_(None)).limit(1)
    return conn.execute(q).first() is not None


def set_records(conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
    """``{"sid", "p" (the record as stored)}`` each."""
    conn.execute(
        update(subject).where(subject.c.id == bindparam("sid")).values(sealed=bindparam("p")),
        params,
    )


def set_history(conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
    """``{"sid", "f", "v", "ct"}`` each."""
    h = history.c
    conn.execute(
        update(history)
        .where(and_(h.subject_id == bindparam("sid"), h.field == bindparam("f")))
        .where(h.version == bindparam("v"))
        .values(ciphertext=bindparam("ct")),
        params,
    )
