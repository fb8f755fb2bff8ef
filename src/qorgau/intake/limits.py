"""How many one-time codes one contact may be sent, counted in the database (policy 7.3.8).

Every code the site sends (the loan form's and the rights page's alike) is one ``code_send``
row keyed by an HMAC of the contact, never the contact itself. A contact gets at most
``per_15min`` codes in any 15 minutes and ``per_day`` in any 24 hours (settings
``QORGAU_OTP_PER_CONTACT_15MIN`` and ``QORGAU_OTP_PER_CONTACT_DAY``), whichever process
serves the request. The rights page counts a contact whether or not it is known, so the
refusal says nothing about who the operator holds.

The check and the insert run under a lock on the contact: on PostgreSQL a transaction-scoped
advisory lock keyed by the digest (so two parallel requests cannot both see "2 sent" and
both send a third); on SQLite every unit of work already holds the single writer lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, case, delete, func, insert, select, text

from qorgau.crypto.blind import BlindIndexer
from qorgau.errors import DomainError
from qorgau.intake.store import code_send

WINDOW = timedelta(minutes=15)
DAY = timedelta(days=1)
#: The first key of ``pg_advisory_xact_lock(int, int)`` for these locks (ASCII "QgOt"),
#: so they never collide with the application's other advisory locks.
_LOCK_SPACE = 0x51674F74


@dataclass(frozen=True, slots=True)
class CodeLimits:
    per_15min: int = 3
    per_day: int = 10


class TooManyCodes(DomainError):
    """Too many one-time codes were sent to this contact; the person waits and tries again."""

    code = "too-many-codes"
    kind = "rate_limited"
    title = "Too many codes"

    def __init__(self) -> None:
        super().__init__("too many one-time codes were sent to this contact; try again later")


def contact_digest(indexer: BlindIndexer, field: str, normalised: str) -> bytes:
    """The key of a contact's count: an HMAC of the normalised contact (``phone``: E.164,
    ``email``) under a label of its own, so ``code_send`` rows do not join to the blind
    index of the same contact."""
    return indexer.digest(f"code-send:{field}", normalised)


def _lock(conn: Connection, digest: bytes) -> None:
    if conn.dialect.name == "postgresql":
        key = int.from_bytes(digest[:4], "big", signed=True)
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": _LOCK_SPACE, "key": key}
        )


def admit(conn: Connection, digest: bytes, limits: CodeLimits, now: datetime) -> None:
    """Count a code for the contact with this digest, or raise :class:`TooManyCodes`
    (nothing is counted then). Runs inside the caller's unit of work: the lock is held until
    it commits, and a rollback takes the count back with it."""
    now = now.astimezone(UTC)
    _lock(conn, digest)
    c = code_send.c
    sent = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((c.sent_at > now - WINDOW, 1), else_=0)), 0),
        ).where(c.digest == digest, c.sent_at > now - DAY)
    ).one()
    day, recent = int(sent[0]), int(sent[1])
    if recent >= limits.per_15min or day >= limits.per_day:
        raise TooManyCodes()
    conn.execute(insert(code_send).values(digest=digest, sent_at=now))


def purge(conn: Connection, now: datetime | None = None) -> int:
    """Rows older than a day count towards no limit any more."""
    cutoff = (now or datetime.now(UTC)).astimezone(UTC) - DAY
    done = conn.execute(delete(code_send).where(code_send.c.sent_at < cutoff))
    return int(done.rowcount or 0)
