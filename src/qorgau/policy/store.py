"""Published policy versions and their texts (policy 8.2)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text

from qorgau.db import Instant, metadata

policy_version = Table(
    "policy_version",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("published_at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("note", String(200), nullable=True),
)

policy_text = Table(
    "policy_text",
    metadata,
    Column("version_id", String(40), ForeignKey("policy_version.id"), primary_key=True),
    Column("language", String(5), primary_key=True),
    Column("hash", String(64), nullable=False),
    # "generated" from the live configuration, or "operator" (the operator's own file).
    Column("source", String(16), nullable=False),
    Column("body", Text, nullable=False),
)
