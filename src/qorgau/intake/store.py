"""Intake tables: one-time-code challenges and confirmed leads (subject-owned: ``subject_id``).

Neither holds a personal value: the code is stored as an HMAC, the contact it went to stays
in the vault, and a lead is a reference and a subject id.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from qorgau.db import metadata

otp_challenge = Table(
    "otp_challenge",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(32), ForeignKey("subject.id"), nullable=False),
    # JSON: [[consent code, sha256 of the exact text shown], ...] (what the code confirms).
    Column("purposes", Text, nullable=False),
    Column("transfer", Boolean, nullable=False),
    # HMAC-SHA256 of the code, keyed per challenge: the raw code is never stored.
    Column("hash", LargeBinary(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("language", String(5), nullable=False),
    Column("channel", String(8), nullable=False),
    Index("ix_otp_challenge_subject_id", "subject_id"),
    Index("ix_otp_challenge_expires_at", "expires_at"),
)

lead = Table(
    "lead",
    metadata,
    Column("reference", String(16), primary_key=True),
    Column("subject_id", String(32), ForeignKey("subject.id"), nullable=False),
    Column("challenge_id", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # new -> (staff workflow) in_review | sent | closed
    Column("status", String(16), nullable=False),
    Index("ix_lead_subject_id", "subject_id"),
    Index("ix_lead_challenge_id", "challenge_id", unique=True),
)
