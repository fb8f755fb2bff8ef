"""Intake tables: one-time-code challenges, confirmed leads, possible duplicates and the
codes sent per contact (subject-owned tables carry ``subject_id``).

None holds a personal value in clear. The code is stored as an HMAC. Until its code is
confirmed, a submission is not a subject: its values are sealed in the challenge row under a
data key of its own (``qorgau.vault.pending``), dropped on confirmation and purged at the
code's expiry (policy 4.1, 7.3.8). A lead is a reference and a subject id; a possible
duplicate two subject ids; a code sent an HMAC digest of the contact and a time.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
)

from qorgau.db import Instant, metadata

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
