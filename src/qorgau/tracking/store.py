"""Tracking tables: cookie choices (proof of what a visitor allowed) and visits.

Neither holds an identifying value: a choice is a random id, two flags, the policy version
and a time; a visit holds generalised attributes and, at most, a keyed hash of the IP address
under a salt that changes every day (so hashes of different days cannot be joined).
"""

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
)

from qorgau.db import Instant, metadata

cookie_choice = Table(
    "cookie_choice",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("analytics", Boolean, nullable=False),
    Column("marketing", Boolean, nullable=False),
    Column("policy_version", String(40), nullable=True),
    Column("at", Instant(), nullable=False),
)

visit = Table(
    "visit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("choice_id", String(32), ForeignKey("cookie_choice.id"), nullable=False),
    Column("at", Instant(), nullable=False),
    Column("page", String(40), nullable=False),
    Column("os_family", String(20), nullable=False),
    Column("browser_family", String(20), nullable=False),
    Column("device_type", String(8), nullable=False),
    Column("referrer_host", String(255), nullable=True),
    Column("utm_source", String(64), nullable=True),
    Column("language", String(8), nullable=True),
    # HMAC-SHA256(daily key, IP): counts distinct visitors per day, never reveals the IP.
    Column("ip_hmac", LargeBinary(32), nullable=True),
    Index("ix_visit_at", "at"),
    Index("ix_visit_choice_id", "choice_id"),
)
