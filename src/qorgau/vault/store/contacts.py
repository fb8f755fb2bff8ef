"""Confirmed contacts' statements (what they mean: :mod:`qorgau.vault.contacts`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, insert, select, update

from qorgau.db import Sql, cursor
from qorgau.vault.store import blind_index, confirmed_contact

#: Subjects whose confirmed contact of this kind and digest is still current and alive.
FIND_CONFIRMED = Sql(
    "SELECT c.subject_id FROM confirmed_contact c "
    "JOIN blind_index b ON b.kind = c.kind AND b.digest = c.digest "
    "AND b.subject_id = c.subject_id "
    "JOIN subject s ON s.id = c.subject_id "
    "WHERE c.kind = :kind AND c.digest = :digest AND s.status <> 'destroyed' "
    "ORDER BY c.subject_id"
)


def confirmed_ids(conn: Connection, kind: str, digest: bytes) -> list[str]:
    """Ids of the subjects for which this contact is confirmed and still current."""
    cur = cursor(conn)
    cur.execute(FIND_CONFIRMED.render(conn), {"kind": kind, "digest": digest})
    return [str(sid) for (sid,) in cur.fetchall()]


def has_index(conn: Connection, subject_id: str, kind: str, digest: bytes) -> bool:
    """Whether the subject's blind index of ``kind`` is ``digest``."""
    b = blind_index.c
    q = select(b.subject_id).where(b.kind == kind, b.digest == digest, b.subject_id == subject_id)
    return conn.execute(q).first() is not None


def upsert(
    conn: Connection, subject_id: str, kind: str, digest: bytes, at: datetime, how: str
) -> None:
    """Insert the confirmation, or refresh it if there is one."""
    c = confirmed_contact.c
    key = and_(c.kind == kind, c.digest == digest, c.subject_id == subject_id)
    done = conn.execute(update(confirmed_contact).where(key).values(confirmed_at=at, how=how))
    if not done.rowcount:
        conn.execute(
            insert(confirmed_contact).values(
                kind=kind, digest=digest, subject_id=subject_id, confirmed_at=at, how=how
            )
        )
