"""Data-subject request tables: the request (no personal value in clear) and its events."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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
    Column("restriction_ground", String(200), nullable=True),
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
