"""Intake tables: one-time-code challenges, confirmed leads, possible duplicates and the
codes sent per contact (subject-owned tables carry ``subject_id``).

None holds a personal value in clear. The code is stored as an HMAC. Until its code is
confirmed, a submission is not a subject: its values are sealed in the challenge row under a
data key of its own (``qorgau.vault.pending``), dropped on confirmation and purged at the
code's expiry (policy 4.1, 7.3.8). A lead is a reference and a subject id; a possible
duplicate two subject ids; a code sent an HMAC digest of the contact and a time.

The queries of the form's service, of the duplicate flags and of the code limits follow the
tables, returning typed rows (the challenge table is the vault's, ``vault/store.py``, as the
vault seals the submission in it; intake owns its life).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from qorgau.db import Instant, aware, metadata
from qorgau.vault.pending import CLEARED, SealedPending
from qorgau.vault.store import otp_challenge

lead = Table(
    "lead",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("subject_id", String(32), ForeignKey("subject.id"), nullable=False),
    Column("challenge_id", String(32), nullable=False),
    Column("created_at", Instant(), nullable=False),
    # new -> (staff workflow) in_review | sent | closed
    Column("status", String(16), nullable=False),
    Index("ix_lead_subject_id", "subject_id"),
    Index("ix_lead_challenge_id", "challenge_id", unique=True),
)

subject_duplicate = Table(
    "subject_duplicate",
    metadata,
    # A subject collected from a confirmed lead whose IIN another live subject already had:
    # the existing subject is never changed (policy 4.1: no merging without proof), staff
    # decide whether the two are one person.
    Column("subject_id", String(32), ForeignKey("subject.id"), nullable=False),
    Column("of_subject_id", String(32), ForeignKey("subject.id"), nullable=False),
    Column("found_at", Instant(), nullable=False),
    Column("resolved_at", Instant(), nullable=True),
    Column("resolved_by", String(80), nullable=True),
    # distinct | same-person
    Column("resolution", String(16), nullable=True),
    Column("note", String(500), nullable=True),
    PrimaryKeyConstraint("subject_id", "of_subject_id"),
    Index("ix_subject_duplicate_of_subject_id", "of_subject_id"),
)

code_send = Table(
    "code_send",
    metadata,
    # One row per one-time code sent (loan form and rights page alike), keyed by an HMAC of
    # the contact (never the contact): the per-contact limits count these. Kept a day.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("digest", LargeBinary(32), nullable=False),
    Column("sent_at", Instant(), nullable=False),
    Index("ix_code_send_digest_sent_at", "digest", "sent_at"),
    Index("ix_code_send_sent_at", "sent_at"),
)


# -- challenges ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChallengeRow:
    """An ``otp_challenge`` row, its times aware (UTC)."""

    id: str
    subject_id: str | None
    purposes: str  # JSON: [[consent code, sha256 of the text shown], ...]
    transfer: bool
    hash: bytes
    created_at: datetime
    expires_at: datetime
    attempts: int
    used_at: datetime | None
    language: str
    channel: str
    kek_id: str | None
    wrapped_key: bytes | None
    sealed: bytes | None


def insert_challenge(
    conn: Connection,
    *,
    id: str,
    purposes: str,
    transfer: bool,
    hash: bytes,
    created_at: datetime,
    expires_at: datetime,
    language: str,
    channel: str,
    payload: SealedPending,
) -> None:
    """A new challenge, no attempt made, its submission sealed in it."""
    conn.execute(
        insert(otp_challenge).values(
            id=id,
            subject_id=None,
            purposes=purposes,
            transfer=transfer,
            hash=hash,
            created_at=created_at,
            expires_at=expires_at,
            attempts=0,
            used_at=None,
            language=language,
            channel=channel,
            **payload.columns(),
        )
    )


def challenge_for_update(conn: Connection, challenge_id: str) -> ChallengeRow | None:
    """The challenge, its row locked until the transaction ends (PostgreSQL)."""
    q = select(otp_challenge).where(otp_challenge.c.id == challenge_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    r = conn.execute(q).mappings().one_or_none()
    if r is None:
        return None
    return ChallengeRow(
        id=r["id"],
        subject_id=r["subject_id"],
        purposes=r["purposes"],
        transfer=bool(r["transfer"]),
        hash=bytes(r["hash"]),
        created_at=aware(r["created_at"]),
        expires_at=aware(r["expires_at"]),
        attempts=int(r["attempts"]),
        used_at=aware(r["used_at"]),
        language=r["language"],
        channel=r["channel"],
        kek_id=r["kek_id"],
        wrapped_key=None if r["wrapped_key"] is None else bytes(r["wrapped_key"]),
        sealed=None if r["sealed"] is None else bytes(r["sealed"]),
    )


def count_attempt(conn: Connection, challenge_id: str, *, drop_payload: bool) -> None:
    """One more wrong attempt; ``drop_payload``: the sealed submission goes with it."""
    spent: dict[str, Any] = CLEARED if drop_payload else {}
    conn.execute(
        update(otp_challenge)
        .where(otp_challenge.c.id == challenge_id)
        .values(attempts=otp_challenge.c.attempts + 1, **spent)
    )


def use_challenge(
    conn: Connection, challenge_id: str, at: datetime, subject_id: str | None = None
) -> None:
    """The challenge used (for ``subject_id`` when it was collected); its submission
    dropped."""
    values: dict[str, Any] = {"used_at": at}
    if subject_id is not None:
        values["subject_id"] = subject_id
    conn.execute(
        update(otp_challenge).where(otp_challenge.c.id == challenge_id).values(**values, **CLEARED)
    )


def keep_payload(conn: Connection, challenge_id: str, payload: SealedPending) -> None:
    """Seal what a used challenge still needs (the full name and the lead, for consents
    confirmed one by one afterwards: ``IntakeService.confirm_separately``)."""
    conn.execute(
        update(otp_challenge).where(otp_challenge.c.id == challenge_id).values(**payload.columns())
    )


def drop_payload(conn: Connection, challenge_id: str) -> None:
    """Drop the challenge's sealed submission, if it still has one."""
    conn.execute(
        update(otp_challenge)
        .where(otp_challenge.c.id == challenge_id, otp_challenge.c.sealed.is_not(None))
        .values(**CLEARED)
    )


def purge_challenges(conn: Connection, at: datetime, *, kept_seconds: int = 0) -> int:
    """Delete unconfirmed challenges expired at ``at`` and any a day past their expiry;
    returns how many. What a used challenge kept for its consents' own confirmations is
    dropped ``kept_seconds`` after its use."""
    c = otp_challenge.c
    conn.execute(
        update(otp_challenge)
        .where(
            c.used_at.is_not(None),
            c.sealed.is_not(None),
            c.used_at <= at - timedelta(seconds=kept_seconds),
        )
        .values(**CLEARED)
    )
    done = conn.execute(
        delete(otp_challenge).where(
            or_(
                and_(c.used_at.is_(None), c.expires_at <= at),
                c.expires_at < at - timedelta(days=1),
            )
        )
    )
    return int(done.rowcount or 0)


# -- leads ---------------------------------------------------------------------------------


def lead_of_challenge(conn: Connection, challenge_id: str) -> str | None:
    """The reference of the lead a challenge's code confirmed, if any."""
    return conn.execute(
        select(lead.c.reference).where(lead.c.challenge_id == challenge_id)
    ).scalar_one_or_none()


def insert_lead(
    conn: Connection,
    *,
    reference: str,
    subject_id: str,
    challenge_id: str,
    created_at: datetime,
    status: str,
) -> None:
    conn.execute(
        insert(lead).values(
            reference=reference,
            subject_id=subject_id,
            challenge_id=challenge_id,
            created_at=created_at,
            status=status,
        )
    )


# -- possible duplicates -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DuplicateFlag:
    subject_id: str
    of_subject_id: str
    found_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    note: str | None = None


def insert_flags(conn: Connection, subject_id: str, of: Sequence[str], at: datetime) -> None:
    conn.execute(
        insert(subject_duplicate),
        [{"subject_id": subject_id, "of_subject_id": o, "found_at": at} for o in of],
    )


def open_flags(conn: Connection, limit: int) -> list[DuplicateFlag]:
    """Unresolved flags, oldest first."""
    d = subject_duplicate.c
    return [
        DuplicateFlag(str(sid), str(of), aware(found))
        for sid, of, found in conn.execute(
            select(d.subject_id, d.of_subject_id, d.found_at)
            .where(d.resolved_at.is_(None))
            .order_by(d.found_at, d.subject_id, d.of_subject_id)
            .limit(limit)
        )
    ]


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
            str(r["subject_id"]), str(r["of_subject_id"]), aware(r["found_at"]),
            aware(r["resolved_at"]), r["resolved_by"], r["resolution"], r["note"],
        )
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class FlagState:
    found_at: datetime
    resolved_at: datetime | None


def flag_for_update(conn: Connection, subject_id: str, of: str) -> FlagState | None:
    """When the flag was found and resolved, its row locked (PostgreSQL)."""
    d = subject_duplicate.c
    q = select(d.found_at, d.resolved_at).where(d.subject_id == subject_id, d.of_subject_id == of)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).one_or_none()
    if row is None:
        return None
    found, resolved = row
    return FlagState(aware(found), aware(resolved))


def resolve_flag(
    conn: Connection,
    subject_id: str,
    of: str,
    *,
    at: datetime,
    by: str,
    resolution: str,
    note: str | None,
) -> None:
    d = subject_duplicate.c
    conn.execute(
        update(subject_duplicate)
        .where(d.subject_id == subject_id, d.of_subject_id == of)
        .values(resolved_at=at, resolved_by=by, resolution=resolution, note=note)
    )


# -- codes sent per contact ----------------------------------------------------------------

#: The first key of ``pg_advisory_xact_lock(int, int)`` for the contacts' locks (ASCII
#: "QgOt"), so they never collide with the application's other advisory locks.
_LOCK_SPACE = 0x51674F74


def lock_contact(conn: Connection, digest: bytes) -> None:
    """Hold the contact's lock until the transaction ends: a transaction-scoped advisory
    lock on PostgreSQL; on SQLite the unit of work already holds the single writer lock."""
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(digest[:4], "big", signed=True)
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": _LOCK_SPACE, "key": key}
        )


@dataclass(frozen=True, slots=True)
class SentCounts:
    """Codes sent to a contact: since ``since``, and of those since ``recent_since``."""

    total: int
    recent: int


def codes_sent(
    conn: Connection, digest: bytes, since: datetime, recent_since: datetime
) -> SentCounts:
    c = code_send.c
    total, recent = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((c.sent_at > recent_since, 1), else_=0)), 0),
        ).where(c.digest == digest, c.sent_at > since)
    ).one()
    return SentCounts(int(total), int(recent))


def insert_code_send(conn: Connection, digest: bytes, at: datetime) -> None:
    conn.execute(insert(code_send).values(digest=digest, sent_at=at))


def purge_code_sends(conn: Connection, before: datetime) -> int:
    done = conn.execute(delete(code_send).where(code_send.c.sent_at < before))
    return int(done.rowcount or 0)
