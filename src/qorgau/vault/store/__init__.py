"""Vault tables. Every subject-owned table carries ``subject_id`` (scale-out plan: Citus).

``subject`` holds the sealed values, ``vault_history`` superseded versions, ``blind_index``
the lookups, ``confirmed_contact`` the contacts proven by a one-time code.

Their queries, returning typed records (no decision is taken there), are split by job:
:mod:`.subjects` (the gate's loads and writes), :mod:`.contacts` (confirmed contacts),
:mod:`.state` (the reads behind a subject's state digest and audit verify's scans) and
:mod:`.keys` (key rotation); here, the hot-path DBAPI statements and the retention sweep's
``live_subjects``.

Subject ids are time-ordered (48-bit milliseconds, then 80 random bits) so new subjects land
at the right edge of every index instead of at random pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    select,
)

from qorgau.db import Instant, Sql, metadata
from qorgau.vault.record import index

subject = Table(
    "subject",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("category", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", Instant(), nullable=False),
    # The subject's data key wrapped by a key-encryption key; NULL once crypto-shredded.
    Column("kek_id", String(32), nullable=True),
    Column("wrapped_key", LargeBinary, nullable=True),
    # The current values, each sealed on its own, after the record's seal (vault/record.py);
    # NULL once destroyed.
    Column("sealed", LargeBinary, nullable=True),
    Column("destroyed_at", Instant(), nullable=True),
    Index("ix_subject_kek_id", "kek_id"),
)

history = Table(
    "vault_history",
    metadata,
    Column("subject_id", String(32), ForeignKey("subject.id"), primary_key=True),
    Column("field", String(40), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("purpose", String(40), nullable=False),
    # A typed source (qorgau.vault.sources: up to SOURCE_MAX) or a legacy label.
    Column("source", String(200), nullable=False),
    Column("collected_at", Instant(), nullable=False),
    Column("superseded_at", Instant(), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)

blind_index = Table(
    "blind_index",
    metadata,
    Column("kind", String(24), primary_key=True),
    Column("digest", LargeBinary(32), primary_key=True),
    Column("subject_id", String(32), ForeignKey("subject.id"), primary_key=True),
    Index("ix_blind_index_subject_id", "subject_id"),
    sqlite_with_rowid=False,
)

confirmed_contact = Table(
    "confirmed_contact",
    metadata,
    # A contact (phone, e-mail) the subject proved to control with a one-time code, as the
    # HMAC of the blind index (same kind, same digest). The rights page verifies identity
    # only against a confirmed contact that is still the subject's current one, i.e. one
    # with a matching blind_index row (policy 4.2.1, 6.6, 7.3.8). Destroyed with the subject
    # or the value.
    Column("kind", String(24), primary_key=True),
    Column("digest", LargeBinary(32), primary_key=True),
    Column("subject_id", String(32), ForeignKey("subject.id"), primary_key=True),
    Column("confirmed_at", Instant(), nullable=False),
    # otp:phone, otp:email, or how an earlier confirmation was carried over by a migration.
    Column("how", String(40), nullable=False),
    Index("ix_confirmed_contact_subject_id", "subject_id"),
    sqlite_with_rowid=False,
)

# -- the gate's hot-path statements (DBAPI, qorgau.db.Sql) ---------------------------

INS_SUBJECT = Sql(
    "INSERT INTO subject (id, category, status, created_at, kek_id, wrapped_key, sealed) "
    "VALUES (:id, :category, :status, :created_at, :kek_id, :wrapped_key, :sealed)"
)
INS_INDEX = Sql(
    "INSERT INTO blind_index (kind, digest, subject_id) VALUES (:kind, :digest, :subject_id)"
)
EXISTS = Sql("SELECT 1 FROM subject WHERE id = :sid")
IDS_BY_INDEX = Sql(
    "SELECT b.subject_id FROM blind_index b JOIN subject s ON s.id = b.subject_id "
    "WHERE b.kind = :kind AND b.digest = :digest AND s.status <> 'destroyed'"
)


def with_kept(template: str) -> Sql:
    """A load of subject rows ``s``: ``template`` with ``{cols}`` as the columns
    ``Loaded`` takes, the last the versions its history keeps (``field:version`` joined
    by commas, NULL for none) as each dialect aggregates them, read in the same statement
    as the record so that both come from one snapshot."""
    kept = (
        "(SELECT {agg}(h.field || ':' || h.version, ',') "
        "FROM vault_history h WHERE h.subject_id = s.id)"
    )
    cols = "s.id, s.category, s.status, s.kek_id, s.wrapped_key, s.sealed, "
    stmt = Sql(template.replace("{cols}", cols + kept.format(agg="group_concat")))
    stmt.pg = Sql(template.replace("{cols}", cols + kept.format(agg="string_agg"))).pg
    return stmt


LOAD_BY_INDEX = with_kept(
    "SELECT {cols} FROM blind_index b JOIN subject s ON s.id = b.subject_id "
    "WHERE b.kind = :kind AND b.digest = :digest"
)


#: A one-time-code challenge of the loan form (intake owns its life). Here because the
#: submission is sealed in it by the vault (vault/pending.py) until the code is confirmed.
otp_challenge = Table(
    "otp_challenge",
    metadata,
    Column("id", String(32), primary_key=True),
    # Set when the code is confirmed and the subject collected (never before: policy 4.1).
    Column("subject_id", String(32), ForeignKey("subject.id"), nullable=True),
    # JSON: [[consent code, sha256 of the exact text shown], ...] (what the code confirms).
    Column("purposes", Text, nullable=False),
    Column("transfer", Boolean, nullable=False),
    # HMAC-SHA256 of the code, keyed per challenge: the raw code is never stored.
    Column("hash", LargeBinary(32), nullable=False),
    Column("created_at", Instant(), nullable=False),
    Column("expires_at", Instant(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("used_at", Instant(), nullable=True),
    Column("language", String(5), nullable=False),
    Column("channel", String(8), nullable=False),
    # The submission, sealed (vault/pending.py): its data key wrapped by the key provider
    # as ``pending:<id>``, the values under AES-256-GCM bound to the id. NULL once confirmed,
    # refused for good or expired.
    Column("kek_id", String(32), nullable=True),
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("sealed", LargeBinary, nullable=True),
    Index("ix_otp_challenge_subject_id", "subject_id"),
    Index("ix_otp_challenge_expires_at", "expires_at"),
)


# -- queries -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValueMeta:
    """What is known of a stored value without decrypting it: its field, the purpose it was
    collected under and when."""

    field: str
    purpose: str
    collected_at: datetime


@dataclass(frozen=True, slots=True)
class SubjectValues:
    """A live subject and the metadata of its current values (never a value)."""

    id: str
    category: str
    status: str
    values: tuple[ValueMeta, ...]


def live_subjects(
    conn: Connection,
    after: str,
    limit: int,
    only: Sequence[str] | None = None,
    *,
    lock: bool = False,
) -> list[SubjectValues]:
    """Up to ``limit`` subjects not destroyed with an id after ``after`` (or among ``only``),
    in id order, with their values' metadata. With ``lock``, rows another transaction holds
    are skipped (PostgreSQL ``FOR UPDATE SKIP LOCKED``)."""
    q = (
        select(subject.c.id, subject.c.category, subject.c.status, subject.c.sealed)
        .where(subject.c.id > after, subject.c.status != "destroyed")
        .order_by(subject.c.id)
        .limit(limit)
    )
    if only is not None:
        q = q.where(subject.c.id.in_(list(only)))
    if lock:
        q = q.with_for_update(skip_locked=True)
    out: list[SubjectValues] = []
    # Values collected together share a timestamp: parse each distinct one once.
    times: dict[str, datetime] = {}
    for sid, category, status, sealed in conn.execute(q):
        values = []
        for f, _v, purpose, _s, raw, _ct in index(
            bytes(sealed) if sealed is not None else None
        ).values():
            at = str(raw)
            when = times.get(at)
            if when is None:
                when = times[at] = datetime.fromisoformat(at)
            values.append(ValueMeta(str(f), str(purpose), when))
        out.append(SubjectValues(sid, category, status, tuple(values)))
    return out
