"""Confirmed contacts: the phones and e-mail addresses a subject proved to control with a
one-time code (policy 4.2.1, 6.6, 7.3.8).

A code proves control of one contact, nothing more. The rights page sends its code only to a
contact that was itself confirmed and is still the subject's current one (the blind index of
the same kind and digest points at the same subject), so a contact that someone merely typed
into a form, or one that was replaced since, never opens a subject's data. The gate's
``confirm_contact`` and ``find_confirmed`` use these statements; nothing here decrypts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, insert, select, update

from qorgau.db import Sql
from qorgau.errors import DomainError
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


class ContactNotCurrent(DomainError):
    """Only the subject's current contact can be recorded as confirmed."""

    code = "contact-not-current"
    kind = "conflict"
    title = "Not the subject's current contact"

    def __init__(self, subject_id: str, kind: str) -> None:
        super().__init__(f"subject {subject_id} has no current {kind} with that value")


def is_current(conn: Connection, subject_id: str, kind: str, digest: bytes) -> bool:
    b = blind_index.c
    q = select(b.subject_id).where(b.kind == kind, b.digest == digest, b.subject_id == subject_id)
    return conn.execute(q).first() is not None


def record(
    conn: Connection, subject_id: str, kind: str, digest: bytes, at: datetime, how: str
) -> None:
    """Insert or refresh the confirmation (the latest proof counts)."""
    c = confirmed_contact.c
    key = and_(c.kind == kind, c.digest == digest, c.subject_id == subject_id)
    done = conn.execute(update(confirmed_contact).where(key).values(confirmed_at=at, how=how))
    if not done.rowcount:
        conn.execute(
            insert(confirmed_contact).values(
                kind=kind, digest=digest, subject_id=subject_id, confirmed_at=at, how=how
            )
        )
