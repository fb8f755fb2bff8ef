"""Consent ledger tables: texts (stored once, by hash), consents, the append-only event
history, and the current state of every basis per (subject, purpose, kind); below them, the
queries on consents, texts and events, returning typed records (the queries on basis states
are in ``basis_store``). The ledger decides; these modules only read and write.

Consents and bases are security rows: every change is audited with their digests
(:data:`CONSENT_ROWS`, :data:`BASIS_STATE_ROWS`, ``audit/rows.py``). The columns revision
0017 added (the sealed full name, the evidence record) digest only when set, so a consent
recorded before it keeps the digest its grant audited."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
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
    insert,
    select,
)

from qorgau.audit.rows import RowSpec
from qorgau.consent.model import LedgerEvent
from qorgau.db import Instant, aware, metadata

consent_text = Table(
    "consent_text",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("language", String(5), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Instant(), nullable=False),
)

consent = Table(
    "consent",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(32), ForeignKey("subject.id"), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("fields", Text, nullable=False),  # JSON list of data-category codes
    Column("recipients", Text, nullable=False),  # JSON list of recipient codes
    Column("third_party_transfer", Boolean, nullable=False),
    Column("cross_border", Boolean, nullable=False),
    Column("public_sources", Boolean, nullable=False),
    Column("operator_name", String(200), nullable=False),
    Column("operator_bin", String(12), nullable=False),
    Column("term_days", Integer, nullable=False),
    Column("granted_at", Instant(), nullable=False),
    Column("expires_at", Instant(), nullable=False),
    Column("text_hash", String(64), ForeignKey("consent_text.hash"), nullable=False),
    Column("policy_version", String(40), nullable=True),
    # Hash of the policy text (in the consent's language) the subject was shown.
    Column("policy_hash", String(64), nullable=True),
    Column("language", String(5), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("evidence_method", String(32), nullable=False),
    # IP and user agent, sealed under the subject's key (crypto-shredded with the subject).
    Column("evidence_sealed", LargeBinary, nullable=True),
    # The subject's full name (Art. 8 p.4), sealed under the subject's key (0017).
    Column("name_sealed", LargeBinary, nullable=True),
    # JSON: the evidence kept in clear, no personal value: the one-time code's record
    # (challenge, channel, sent, confirmed, attempts), a staff channel's reference (0017).
    Column("evidence_record", Text, nullable=True),
    Index("ix_consent_subject_id", "subject_id"),
)

#: The consent columns revision 0017 added: they digest only when set.
ADDED_0017 = ("name_sealed", "evidence_record")

consent_event = Table(
    "consent_event",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("consent_id", String(32), nullable=True),
    Column("subject_id", String(32), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_consent_event_subject_id", "subject_id"),
)

basis_state = Table(
    "basis_state",
    metadata,
    Column("subject_id", String(32), ForeignKey("subject.id"), primary_key=True),
    Column("purpose", String(40), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("since", Instant(), nullable=False),
    Column("until", Instant(), nullable=True),
    Column("consent_id", String(32), nullable=True),
    Column("reference", String(200), nullable=True),
    # An obligation to the operator (e.g. an active contract): blocks withdrawal (Art. 8 p.2).
    Column("obligation", Boolean, nullable=False),
)


class GrownRowSpec(RowSpec):
    """A security table that gained columns after rows were audited: the digest is the one
    of the columns it had (``RowSpec``'s), extended by the later ``added`` columns only
    when one is set, so an older row digests as its audited change recorded it, and a
    later one covers every column."""

    def __init__(
        self, table: Table, key: Sequence[str], columns: Sequence[str], added: Sequence[str]
    ) -> None:
        super().__init__(table, key, (*columns, *added))
        self._base = RowSpec(table, key, columns)
        self.added = tuple(added)

    def digest(self, values: Mapping[Any, Any]) -> str:
        base = self._base.digest(values)
        extra = [[c, _plain(values.get(c))] for c in self.added if values.get(c) is not None]
        if not extra:
            return base
        return hashlib.sha256(orjson.dumps([base, extra])).hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, bytes | bytearray | memoryview):
        return "b:" + bytes(value).hex()
    return value


CONSENT_ROWS = GrownRowSpec(
    consent,
    ("id",),
    tuple(c.name for c in consent.columns if c.name not in ADDED_0017),
    ADDED_0017,
)
BASIS_STATE_ROWS = RowSpec(
    basis_state, ("subject_id", "purpose", "kind"), tuple(c.name for c in basis_state.columns)
)


def stored_time(value: datetime | str | None) -> datetime | None:
    """A time from the DBAPI cursor: SQLite gives SQLAlchemy's text form (naive UTC)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return aware(value)


def _json_list(text: str) -> tuple[str, ...]:
    return tuple(orjson.loads(text))


# -- consents ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """A recorded consent (its sealed evidence stays in the table)."""

    id: str
    subject_id: str
    purpose: str
    fields: tuple[str, ...]
    recipients: tuple[str, ...]
    third_party_transfer: bool
    cross_border: bool
    public_sources: bool
    operator_name: str
    operator_bin: str
    term_days: int
    granted_at: datetime
    expires_at: datetime
    text_hash: str
    policy_version: str | None
    policy_hash: str | None
    language: str
    channel: str
    evidence_method: str
    #: JSON (``Evidence.record``), or None.
    evidence_record: str | None = None
    #: A full name is sealed with it.
    has_name: bool = False


def insert_consent(
    conn: Connection,
    row: ConsentRow,
    evidence_sealed: bytes | None,
    name_sealed: bytes | None = None,
) -> tuple[str, str]:
    """The new row's key and digest (:data:`CONSENT_ROWS`), for its audit event. The
    columns of 0017 are written only when set (a database at an older revision, in the
    migration tests, takes the rest)."""
    values = {
        "id": row.id,
        "subject_id": row.subject_id,
        "purpose": row.purpose,
        "fields": orjson.dumps(list(row.fields)).decode(),
        "recipients": orjson.dumps(list(row.recipients)).decode(),
        "third_party_transfer": row.third_party_transfer,
        "cross_border": row.cross_border,
        "public_sources": row.public_sources,
        "operator_name": row.operator_name,
        "operator_bin": row.operator_bin,
        "term_days": row.term_days,
        "granted_at": row.granted_at,
        "expires_at": row.expires_at,
        "text_hash": row.text_hash,
        "policy_version": row.policy_version,
        "policy_hash": row.policy_hash,
        "language": row.language,
        "channel": row.channel,
        "evidence_method": row.evidence_method,
        "evidence_sealed": evidence_sealed,
    }
    if name_sealed is not None:
        values["name_sealed"] = name_sealed
    if row.evidence_record is not None:
        values["evidence_record"] = row.evidence_record
    conn.execute(insert(consent).values(**values))
    return CONSENT_ROWS.entry({**dict.fromkeys(ADDED_0017), **values})


def consents_of(conn: Connection, subject_id: str) -> list[ConsentRow]:
    """Every consent a subject gave, oldest first."""
    return [
        ConsentRow(
            id=r["id"],
            subject_id=r["subject_id"],
            purpose=r["purpose"],
            fields=_json_list(r["fields"]),
            recipients=_json_list(r["recipients"]),
            third_party_transfer=r["third_party_transfer"],
            cross_border=r["cross_border"],
            public_sources=r["public_sources"],
            operator_name=r["operator_name"],
            operator_bin=r["operator_bin"],
            term_days=r["term_days"],
            granted_at=aware(r["granted_at"]),
            expires_at=aware(r["expires_at"]),
            text_hash=r["text_hash"],
            policy_version=r["policy_version"],
            policy_hash=r["policy_hash"],
            language=r["language"],
            channel=r["channel"],
            evidence_method=r["evidence_method"],
            evidence_record=r["evidence_record"],
            has_name=r["name_sealed"] is not None,
        )
        for r in conn.execute(
            select(consent).where(consent.c.subject_id == subject_id).order_by(consent.c.granted_at)
        ).mappings()
    ]


def sealed_name(conn: Connection, consent_id: str) -> tuple[str, bytes] | None:
    """The subject and the sealed full name of a consent, or None (none recorded)."""
    row = conn.execute(
        select(consent.c.subject_id, consent.c.name_sealed).where(consent.c.id == consent_id)
    ).first()
    if row is None or row.name_sealed is None:
        return None
    return str(row.subject_id), bytes(row.name_sealed)


def consent_language(conn: Connection, consent_id: str) -> str | None:
    return conn.execute(
        select(consent.c.language).where(consent.c.id == consent_id)
    ).scalar_one_or_none()


# -- texts and events -------------------------------------------------------------------


def ensure_text(conn: Connection, digest: str, language: str, body: str, at: datetime) -> None:
    """Store a consent text under its hash, unless it is stored already."""
    exists = conn.execute(select(consent_text.c.hash).where(consent_text.c.hash == digest)).first()
    if exists is None:
        conn.execute(
            insert(consent_text).values(hash=digest, language=language, body=body, created_at=at)
        )


def text_body(conn: Connection, text_hash: str) -> str | None:
    return conn.execute(
        select(consent_text.c.body).where(consent_text.c.hash == text_hash)
    ).scalar_one_or_none()


def append_event(
    conn: Connection,
    *,
    consent_id: str | None,
    subject_id: str,
    purpose: str,
    kind: str,
    at: datetime,
    actor: str,
    reason: str | None,
) -> None:
    conn.execute(
        insert(consent_event).values(
            consent_id=consent_id,
            subject_id=subject_id,
            purpose=purpose,
            kind=kind,
            at=at,
            actor=actor,
            reason=reason,
        )
    )


def events_of(conn: Connection, subject_id: str) -> list[LedgerEvent]:
    """A subject's ledger history, in order."""
    rows = conn.execute(
        select(
            consent_event.c.id,
            consent_event.c.consent_id,
            consent_event.c.subject_id,
            consent_event.c.purpose,
            consent_event.c.kind,
            consent_event.c.at,
            consent_event.c.actor,
            consent_event.c.reason,
        )
        .where(consent_event.c.subject_id == subject_id)
        .order_by(consent_event.c.id)
    )
    return [
        LedgerEvent(eid, cid, sid, purpose, kind, aware(at) or at, actor, reason)
        for eid, cid, sid, purpose, kind, at, actor, reason in rows
    ]
