"""Possible duplicates: a confirmed lead whose IIN a live subject already had (policy 4.1).

A one-time code proves that the person controls the contact they gave, not that they are
the person the IIN belongs to. So a confirmed lead never changes an existing subject: it
becomes a new subject, flagged as a possible duplicate of each live subject with that IIN,
and the data protection officer decides: ``distinct`` (two people, or a mistyped IIN) or
``same-person`` (the decision is recorded; any merge, rectification or destruction then
goes through the ordinary, audited operations). The flag and the decision are audit events
that name subject ids only, never a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog.special import ensure_no_special
from qorgau.errors import DomainError
from qorgau.intake import store
from qorgau.intake.store import DuplicateFlag
from qorgau.security.actors import Actor

Resolution = Literal["distinct", "same-person"]
RESOLUTIONS: tuple[Resolution, ...] = ("distinct", "same-person")
NOTE_MAX = 500


class DuplicateNotFound(DomainError):
    code = "duplicate-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, subject_id: str, of: str) -> None:
        super().__init__(f"subject {subject_id} is not flagged as a duplicate of {of}")


class DuplicateResolved(DomainError):
    code = "duplicate-resolved"
    kind = "conflict"
    title = "Already resolved"

    def __init__(self, subject_id: str, of: str) -> None:
        super().__init__(f"the duplicate flag of {subject_id} against {of} is already resolved")


class UnknownResolution(DomainError):
    code = "duplicate-resolution"

    def __init__(self, got: str) -> None:
        super().__init__(f"unknown resolution '{got[:40]}'; one of: {', '.join(RESOLUTIONS)}")


def flag(
    conn: Connection,
    audit: AuditLog,
    actor: Actor,
    subject_id: str,
    of: Sequence[str],
    at: datetime,
) -> None:
    """Flag ``subject_id`` as a possible duplicate of each of ``of`` (found by IIN)."""
    others = sorted(set(of) - {subject_id})
    if not others:
        return
    store.insert_flags(conn, subject_id, others, at)
    audit.append(
        conn,
        Event(
            "duplicate.flag",
            actor.id,
            subject_id=subject_id,
            detail={"role": actor.role, "of": others, "by": "iin"},
            at=at,
        ),
    )


def open_flags(conn: Connection, limit: int = 500) -> list[DuplicateFlag]:
    """Unresolved flags, oldest first."""
    return store.open_flags(conn, limit)


def flags_of(conn: Connection, subject_id: str) -> list[DuplicateFlag]:
    """Every flag naming the subject, on either side, resolved or not."""
    return store.flags_of(conn, subject_id)


def resolve(
    conn: Connection,
    audit: AuditLog,
    actor: Actor,
    subject_id: str,
    of: str,
    resolution: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> DuplicateFlag:
    """Record staff's decision on one flag. The note is staff's own words, scanned for
    special categories (policy 3.2) and kept out of the audit event."""
    if resolution not in RESOLUTIONS:
        raise UnknownResolution(resolution)
    clean = (note or "").strip()[:NOTE_MAX] or None
    if clean:
        ensure_no_special("note", clean)
    row = store.flag_for_update(conn, subject_id, of)
    if row is None:
        raise DuplicateNotFound(subject_id, of)
    if row.resolved_at is not None:
        raise DuplicateResolved(subject_id, of)
    at = now or datetime.now(UTC)
    store.resolve_flag(
        conn, subject_id, of, at=at, by=actor.id[:80], resolution=resolution, note=clean
    )
    audit.append(
        conn,
        Event(
            "duplicate.resolve",
            actor.id,
            subject_id=subject_id,
            detail={"role": actor.role, "of": of, "resolution": resolution},
            at=at,
        ),
    )
    return DuplicateFlag(subject_id, of, row.found_at, at, actor.id[:80], resolution, clean)
