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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Connection, insert, select, update

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog.special import ensure_no_special
from qorgau.errors import DomainError
from qorgau.intake.store import subject_duplicate
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


@dataclass(frozen=True, slots=True)
class DuplicateFlag:
    subject_id: str
    of_subject_id: str
    found_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    note: str | None = None


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


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
    conn.execute(
        insert(subject_duplicate),
        [{"subject_id": subject_id, "of_subject_id": o, "found_at": at} for o in others],
    )
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
    d = subject_duplicate.c
    rows = conn.execute(
        select(d.subject_id, d.of_subject_id, d.found_at)
        .where(d.resolved_at.is_(None))
        .order_by(d.found_at, d.subject_id, d.of_subject_id)
        .limit(limit)
    ).all()
    return [DuplicateFlag(str(r[0]), str(r[1]), _aware(r[2]) or r[2]) for r in rows]


def flags_of(conn: Connection, subject_id: str) -> list[DuplicateFlag]:
    """Every flag naming the subject, on either side, resolved or not."""
    d = subject_duplicate.c
    rows = conn.execute(
        select(subject_duplicate)
        .where((d.subject_id == subject_id) | (d.of_subject_id == subject_id))
        .order_by(d.found_at)
    ).mappings()
    return [
        DuplicateFlag(
            str(r["subject_id"]), str(r["of_subject_id"]), _aware(r["found_at"]) or r["found_at"],
            _aware(r["resolved_at"]), r["resolved_by"], r["resolution"], r["note"],
        )
        for r in rows
    ]  # fmt: skip


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
    d = subject_duplicate.c
    q = select(d.found_at, d.resolved_at).where(d.subject_id == subject_id, d.of_subject_id == of)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).one_or_none()
    if row is None:
        raise DuplicateNotFound(subject_id, of)
    if row[1] is not None:
        raise DuplicateResolved(subject_id, of)
    at = now or datetime.now(UTC)
    conn.execute(
        update(subject_duplicate)
        .where(d.subject_id == subject_id, d.of_subject_id == of)
        .values(resolved_at=at, resolved_by=actor.id[:80], resolution=resolution, note=clean)
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
    found = _aware(row[0]) or row[0]
    return DuplicateFlag(subject_id, of, found, at, actor.id[:80], resolution, clean)
