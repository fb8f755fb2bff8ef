"""Data-subject request tables: the request (no personal value in clear) and its events;
and their queries, returning typed rows (no decision here: that is the service's and the
model's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from qorgau.db import Instant, aware, metadata
from qorgau.dsr.restriction import Ground, Restriction

dsr_request = Table(
    "dsr_request",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("reference", String(16), nullable=False, unique=True),
    Column("kind", String(24), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("language", String(5), nullable=False),
    Column("law_profile", String(16), nullable=False),
    Column("received_at", Instant(), nullable=False),
    Column("due_at", Instant(), nullable=False),
    # Known only once the requester proved they hold a contact the operator has.
    Column("subject_id", String(32), ForeignKey("subject.id"), nullable=True),
    # The one-time code: HMAC at rest, expiring, limited attempts; NULL when the contact is
    # unknown (the requester gets the same answer either way).
    Column("code_hash", LargeBinary(32), nullable=True),
    Column("code_expires_at", Instant(), nullable=True),
    Column("code_attempts", Integer, nullable=False),
    # The subject the contact matched, before verification: a random id, never shown to the
    # requester; becomes ``subject_id`` when the code is confirmed.
    Column("candidate_id", String(32), nullable=True),
    # What the request asks for (rectification values, the consent purpose), sealed under
    # the subject's key once verified.
    Column("payload_sealed", LargeBinary, nullable=True),
    Column("verified_at", Instant(), nullable=True),
    Column("answered_at", Instant(), nullable=True),
    Column("closed_at", Instant(), nullable=True),
    Column("outcome", Text, nullable=True),  # reason codes and grounds, never values
    Column("due_soon_at", Instant(), nullable=True),
    Column("overdue_at", Instant(), nullable=True),
    Index("ix_dsr_request_status_due_at", "status", "due_at"),
    Index("ix_dsr_request_subject_id", "subject_id"),
)

dsr_event = Table(
    "dsr_event",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("request_id", String(32), ForeignKey("dsr_request.id"), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("note", String(300), nullable=True),
    Index("ix_dsr_event_request_id", "request_id"),
)


#: Restrictions of a person's access to their own data (policy 4.2.2; ``restriction.py``):
#: until lifted, every access report of the person applies them.
dsr_restriction = Table(
    "dsr_restriction",
    metadata,
    Column("id", String(32), primary_key=True),
    # NULL only for one migrated from a request not verified yet (set when it is).
    Column("subject_id", String(32), ForeignKey("subject.id"), nullable=True),
    Column("ground", String(32), nullable=False),
    Column("reference", String(200), nullable=False),
    # The data categories it covers, as a JSON list; NULL: the whole report.
    Column("fields", Text, nullable=True),
    Column("set_at", Instant(), nullable=False),
    Column("set_by", String(80), nullable=False),
    Column("request_id", String(32), ForeignKey("dsr_request.id"), nullable=True),
    Column("lifted_at", Instant(), nullable=True),
    Column("lifted_by", String(80), nullable=True),
    Column("lift_reason", String(300), nullable=True),
    Index("ix_dsr_restriction_subject_id", "subject_id"),
    Index("ix_dsr_restriction_request_id", "request_id"),
)


def _bytes(b: Any) -> bytes | None:
    return None if b is None else bytes(b)


@dataclass(frozen=True, slots=True)
class RequestRow:
    """A ``dsr_request`` row, its times aware (UTC)."""

    id: str
    reference: str
    kind: str
    channel: str
    status: str
    language: str
    law_profile: str
    received_at: datetime
    due_at: datetime
    subject_id: str | None
    code_hash: bytes | None
    code_expires_at: datetime | None
    code_attempts: int
    candidate_id: str | None
    payload_sealed: bytes | None
    verified_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    due_soon_at: datetime | None
    overdue_at: datetime | None


def _request(r: Any) -> RequestRow:
    return RequestRow(
        id=r["id"],
        reference=r["reference"],
        kind=r["kind"],
        channel=r["channel"],
        status=r["status"],
        language=r["language"],
        law_profile=r["law_profile"],
        received_at=aware(r["received_at"]),
        due_at=aware(r["due_at"]),
        subject_id=r["subject_id"],
        code_hash=_bytes(r["code_hash"]),
        code_expires_at=aware(r["code_expires_at"]),
        code_attempts=int(r["code_attempts"]),
        candidate_id=r["candidate_id"],
        payload_sealed=_bytes(r["payload_sealed"]),
        verified_at=aware(r["verified_at"]),
        answered_at=aware(r["answered_at"]),
        closed_at=aware(r["closed_at"]),
        outcome=r["outcome"],
        due_soon_at=aware(r["due_soon_at"]),
        overdue_at=aware(r["overdue_at"]),
    )


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """What the deadline watch reads of a request."""

    id: str
    status: str
    due_at: datetime
    due_soon_at: datetime | None
    overdue_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventRow:
    at: datetime
    actor: str
    kind: str
    note: str | None


# -- requests ------------------------------------------------------------------------------


def insert_request(
    conn: Connection,
    *,
    id: str,
    reference: str,
    kind: str,
    channel: str,
    status: str,
    language: str,
    law_profile: str,
    received_at: datetime,
    due_at: datetime,
    candidate_id: str | None,
    code_hash: bytes | None,
    code_expires_at: datetime | None,
) -> str:
    """Store a new request (no attempt spent yet); returns its reference as stored."""
    conn.execute(
        insert(dsr_request).values(
            id=id,
            reference=reference,
            kind=kind,
            channel=channel,
            status=status,
            language=language,
            law_profile=law_profile,
            received_at=received_at,
            due_at=due_at,
            candidate_id=candidate_id,
            code_hash=code_hash,
            code_expires_at=code_expires_at,
            code_attempts=0,
        )
    )
    return str(
        conn.execute(select(dsr_request.c.reference).where(dsr_request.c.id == id)).scalar_one()
    )


def request_by_id(conn: Connection, request_id: str, *, lock: bool = False) -> RequestRow | None:
    """The request; ``lock`` holds its row until the transaction ends (PostgreSQL
    ``FOR UPDATE``)."""
    q = select(dsr_request).where(dsr_request.c.id == request_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).mappings().one_or_none()
    return None if row is None else _request(row)


def all_requests(conn: Connection, *, by_due: bool = False) -> list[RequestRow]:
    """Every request (``by_due``: ordered by deadline)."""
    q = select(dsr_request)
    if by_due:
        q = q.order_by(dsr_request.c.due_at)
    return [_request(r) for r in conn.execute(q).mappings()]


def spend_attempt(conn: Connection, request_id: str, cap: int) -> int | None:
    """Count one code attempt, in one statement that enforces ``cap``: the attempts made
    so far, or None when the cap was already reached (or no such request)."""
    r = dsr_request.c
    spent = conn.execute(
        update(dsr_request)
        .where(r.id == request_id, r.code_attempts < cap)
        .values(code_attempts=r.code_attempts + 1)
        .returning(r.code_attempts)
    ).scalar_one_or_none()
    return None if spent is None else int(spent)


def set_payload(conn: Connection, request_id: str, sealed: bytes) -> None:
    conn.execute(
        update(dsr_request).where(dsr_request.c.id == request_id).values(payload_sealed=sealed)
    )


def bind_subject(
    conn: Connection, request_id: str, subject_id: str, status: str, at: datetime
) -> None:
    """The request verified as ``subject_id``'s: its code and candidate are dropped."""
    conn.execute(
        update(dsr_request)
        .where(dsr_request.c.id == request_id)
        .values(
            status=status,
            subject_id=subject_id,
            verified_at=at,
            code_hash=None,
            candidate_id=None,
        )
    )


def set_status(
    conn: Connection,
    request_id: str,
    status: str,
    *,
    answered: tuple[datetime, str | None] | None = None,
    closed_at: datetime | None = None,
) -> None:
    """A new status; with ``answered`` (time, outcome) the answer's, with ``closed_at``
    the closing time."""
    values: dict[str, Any] = {"status": status}
    if answered is not None:
        values["answered_at"], values["outcome"] = answered
    if closed_at is not None:
        values["closed_at"] = closed_at
    conn.execute(update(dsr_request).where(dsr_request.c.id == request_id).values(**values))


def set_due(conn: Connection, request_id: str, due_at: datetime) -> None:
    """A new deadline (an extension): the due-soon mark is cleared for the watch to set
    again near the new deadline."""
    conn.execute(
        update(dsr_request)
        .where(dsr_request.c.id == request_id)
        .values(due_at=due_at, due_soon_at=None)
    )


def deadline_rows(conn: Connection) -> list[DeadlineRow]:
    r = dsr_request.c
    return [
        DeadlineRow(rid, status, aware(due), aware(soon), aware(over))
        for rid, status, due, soon, over in conn.execute(
            select(r.id, r.status, r.due_at, r.due_soon_at, r.overdue_at)
        )
    ]


def mark_overdue(conn: Connection, request_id: str, at: datetime) -> None:
    conn.execute(update(dsr_request).where(dsr_request.c.id == request_id).values(overdue_at=at))


def mark_due_soon(conn: Connection, request_id: str, at: datetime) -> None:
    conn.execute(update(dsr_request).where(dsr_request.c.id == request_id).values(due_soon_at=at))


def ids_received_before(conn: Connection, status: str, cutoff: datetime) -> list[str]:
    """The requests in ``status`` received before ``cutoff``."""
    r = dsr_request.c
    return list(
        conn.execute(select(r.id).where(r.status == status, r.received_at < cutoff)).scalars().all()
    )


# -- events --------------------------------------------------------------------------------


def insert_event(
    conn: Connection, request_id: str, at: datetime, actor: str, kind: str, note: str | None
) -> None:
    conn.execute(
        insert(dsr_event).values(request_id=request_id, at=at, actor=actor, kind=kind, note=note)
    )


def has_event(conn: Connection, request_id: str, kind: str) -> bool:
    e = dsr_event.c
    found = conn.execute(
        select(e.id).where(e.request_id == request_id, e.kind == kind).limit(1)
    ).first()
    return found is not None


def events_of(conn: Connection, request_id: str) -> list[EventRow]:
    """The request's events, in the order they happened."""
    e = dsr_event.c
    return [
        EventRow(aware(at), actor, kind, note)
        for at, actor, kind, note in conn.execute(
            select(e.at, e.actor, e.kind, e.note).where(e.request_id == request_id).order_by(e.id)
        )
    ]


# -- restrictions ----------------------------------------------------------------------------


def _restriction(r: Any) -> Restriction:
    fields = r["fields"]
    return Restriction(
        id=r["id"],
        subject_id=r["subject_id"],
        ground=r["ground"],
        reference=r["reference"],
        fields=None if fields is None else frozenset(orjson.loads(fields)),
        set_at=aware(r["set_at"]),
        set_by=r["set_by"],
        request_id=r["request_id"],
        lifted_at=aware(r["lifted_at"]),
        lifted_by=r["lifted_by"],
        lift_reason=r["lift_reason"],
    )


def insert_restriction(conn: Connection, r: Restriction) -> None:
    conn.execute(
        insert(dsr_restriction).values(
            id=r.id,
            subject_id=r.subject_id,
            ground=r.ground,
            reference=r.reference,
            fields=None if r.fields is None else orjson.dumps(sorted(r.fields)).decode(),
            set_at=r.set_at,
            set_by=r.set_by,
            request_id=r.request_id,
        )
    )


def restriction_by_id(
    conn: Connection, restriction_id: str, *, lock: bool = False
) -> Restriction | None:
    q = select(dsr_restriction).where(dsr_restriction.c.id == restriction_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).mappings().one_or_none()
    return None if row is None else _restriction(row)


def restrictions(
    conn: Connection,
    *,
    subject_id: str | None = None,
    active_only: bool = False,
    review_only: bool = False,
) -> list[Restriction]:
    """Restrictions, oldest first: of one subject, standing ones, migrated ones."""
    c = dsr_restriction.c
    q = select(dsr_restriction)
    if subject_id is not None:
        q = q.where(c.subject_id == subject_id)
    if active_only:
        q = q.where(c.lifted_at.is_(None))
    if review_only:
        q = q.where(c.ground == Ground.UNSPECIFIED.value)
    return [_restriction(r) for r in conn.execute(q.order_by(c.set_at, c.id)).mappings()]


def restricted_subjects(conn: Connection, subject_ids: list[str]) -> set[str]:
    """Which of ``subject_ids`` have a standing restriction."""
    if not subject_ids:
        return set()
    c = dsr_restriction.c
    q = select(c.subject_id).where(c.subject_id.in_(subject_ids), c.lifted_at.is_(None))
    return {str(s) for s in conn.execute(q.distinct()).scalars()}


def lift_restriction(
    conn: Connection, restriction_id: str, at: datetime, by: str, reason: str
) -> bool:
    """Lift it unless lifted already (one statement): whether this call lifted it."""
    c = dsr_restriction.c
    done = conn.execute(
        update(dsr_restriction)
        .where(c.id == restriction_id, c.lifted_at.is_(None))
        .values(lifted_at=at, lifted_by=by, lift_reason=reason)
    )
    return bool(done.rowcount)


def attach_restrictions(conn: Connection, request_id: str, subject_id: str) -> list[str]:
    """Restrictions waiting on the request's verification now stand for its subject."""
    c = dsr_restriction.c
    ids = list(
        conn.execute(
            select(c.id).where(c.request_id == request_id, c.subject_id.is_(None))
        ).scalars()
    )
    if ids:
        conn.execute(update(dsr_restriction).where(c.id.in_(ids)).values(subject_id=subject_id))
    return ids
