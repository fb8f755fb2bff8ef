"""Audit tables. On PostgreSQL a trigger refuses UPDATE and DELETE on them (migration)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from qorgau.db import Instant, metadata

audit_head = Table(
    "audit_head",
    metadata,
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
)

audit_event = Table(
    "audit_event",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("part", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", Instant(), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject_id", String(32), nullable=True),
    # Digest of the subject's stored state after a state-changing event (vault/state.py).
    Column("state", LargeBinary(32), nullable=True),
    Column("body", LargeBinary, nullable=False),
    Column("hash", LargeBinary(32), nullable=False),
    UniqueConstraint("part", "seq", name="uq_audit_event_part_seq"),
    Index("ix_audit_event_subject_id", "subject_id"),
)

audit_checkpoint = Table(
    "audit_checkpoint",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", Instant(), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)
