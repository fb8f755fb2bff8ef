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

from sqlalchemy import Connection

from qorgau.crypto.blind import BlindIndexer
from qorgau.errors import DomainError
from qorgau.intake import store

WINDOW = timedelta(minutes=15)
DAY = timedelta(days=1)


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


def admit(conn: Connection, digest: bytes, limits: CodeLimits, now: datetime) -> None:
    """Count a code for the contact with this digest, or raise :class:`TooManyCodes`
    (nothing is counted then). Runs inside the caller's unit of work: the lock is held until
    it commits, and a rollback takes the count back with it."""
    now = now.astimezone(UTC)
    store.lock_contact(conn, digest)
    sent = store.codes_sent(conn, digest, since=now - DAY, recent_since=now - WINDOW)
    if sent.recent >= limits.per_15min or sent.total >= limits.per_day:
        raise TooManyCodes()
    store.insert_code_send(conn, digest, now)


def purge(conn: Connection, now: datetime | None = None) -> int:
    """Rows older than a day count towards no limit any more."""
    cutoff = (now or datetime.now(UTC)).astimezone(UTC) - DAY
    return store.purge_code_sends(conn, cutoff)
