"""Retention tables: legal holds, and sweep runs with their cursor and destruction act."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from qorgau.db import Instant, metadata

retention_hold = Table(
    "retention_hold",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("subject_id", String(32), nullable=True),  # NULL: every subject
    Column("purpose", String(40), nullable=True),  # NULL: every purpose
    Column("ground", String(300), nullable=False),
    Column("until", Instant(), nullable=True),
    Column("created_at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
)

retention_run = Table(
    "retention_run",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("as_of", Instant(), nullable=False),
    Column("started_at", Instant(), nullable=False),
    Column("finished_at", Instant(), nullable=True),
    Column("actor", String(80), nullable=False),
    # The last subject id handled: a run killed at any point resumes after it.
    Column("cursor", String(32), nullable=False),
    Column("counts", Text, nullable=False),  # JSON: {"field|action": n, "subjects": n}
    # Chained SHA-256 over the ids of the subjects destroyed, in order: the list itself is
    # kept only as this hash (issue: destruction acts).
    Column("subjects_hash", String(64), nullable=False),
    Column("act", Text, nullable=True),  # JSON destruction act, when finished
)
