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

from sqlalchemy import Connection

from qorgau.errors import DomainError
from qorgau.vault.store import contacts as store


class ContactNotCurrent(DomainError):
    """Only the subject's current contact can be recorded as confirmed."""

    code = "contact-not-current"
    kind = "conflict"
    title = "Not the subject's current contact"

    def __init__(self, subject_id: str, kind: str) -> None:
        super().__init__(f"subject {subject_id} has no current {kind} with that value")


def is_current(conn: Connection, subject_id: str, kind: str, digest: bytes) -> bool:
    """Whether this contact is the subject's current ``kind`` (its blind index matches)."""
    return store.has_index(conn, subject_id, kind, digest)


def record(
    conn: Connection, subject_id: str, kind: str, digest: bytes, at: datetime, how: str
) -> None:
    """Insert or refresh the confirmation (the latest proof counts)."""
    store.upsert(conn, subject_id, kind, digest, at, how)


def find_confirmed(conn: Connection, kind: str, digest: bytes) -> list[str]:
    """Subjects whose confirmed contact of this kind and digest is still current and alive."""
    return store.confirmed_ids(conn, kind, digest)
