"""Consent ledger tables: texts (stored once, by hash), consents, the append-only event
history, and the current state of every basis per (subject, purpose, kind)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from qorgau.db import Instant, metadata

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
    Index("ix_consent_subject_id", "subject_id"),
)

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
