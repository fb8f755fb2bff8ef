"""Tracking tables: cookie choices (proof of what a visitor allowed) and visits.

Neither holds an identifying value: a choice is a random id, two flags, the policy version
and a time; a visit holds generalised attributes and, at most, a keyed hash of the IP address
under a salt that changes every day (so hashes of different days cannot be joined).
Below the tables, their queries.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

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
    delete,
    insert,
    or_,
    select,
)

from qorgau.db import Instant, aware, metadata
from qorgau.tracking.model import Landing

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


class ChoiceRow(NamedTuple):
    analytics: bool
    marketing: bool
    policy_version: str | None
    at: datetime


def insert_choice(
    conn: Connection,
    choice_id: str,
    analytics: bool,
    marketing: bool,
    policy_version: str | None,
    at: datetime,
) -> None:
    conn.execute(
        insert(cookie_choice).values(
            id=choice_id,
            analytics=analytics,
            marketing=marketing,
            policy_version=policy_version,
            at=at,
        )
    )


def choice_by_id(conn: Connection, choice_id: str) -> ChoiceRow | None:
    row = conn.execute(
        select(
            cookie_choice.c.analytics,
            cookie_choice.c.marketing,
            cookie_choice.c.policy_version,
            cookie_choice.c.at,
        ).where(cookie_choice.c.id == choice_id)
    ).one_or_none()
    if row is None:
        return None
    analytics, marketing, policy_version, at = row
    return ChoiceRow(bool(analytics), bool(marketing), policy_version, aware(at))


def insert_visit(
    conn: Connection,
    *,
    choice_id: str,
    at: datetime,
    page: str,
    os_family: str,
    browser_family: str,
    device_type: str,
    referrer_host: str | None,
    utm_source: str | None,
    language: str | None,
    ip_hmac: bytes | None,
) -> None:
    conn.execute(
        insert(visit).values(
            choice_id=choice_id,
            at=at,
            page=page,
            os_family=os_family,
            browser_family=browser_family,
            device_type=device_type,
            referrer_host=referrer_host,
            utm_source=utm_source,
            language=language,
            ip_hmac=ip_hmac,
        )
    )


def first_landing(conn: Connection, choice_id: str) -> Landing | None:
    """The earliest visit of a choice with a referrer or an advertising source."""
    row = conn.execute(
        select(visit.c.referrer_host, visit.c.utm_source)
        .where(
            visit.c.choice_id == choice_id,
            or_(visit.c.referrer_host.is_not(None), visit.c.utm_source.is_not(None)),
        )
        .order_by(visit.c.at, visit.c.id)
        .limit(1)
    ).one_or_none()
    if row is None:
        return None
    referrer_host, utm_source = row
    return Landing(referrer_host, utm_source)


def delete_visits_before(conn: Connection, cutoff: datetime) -> int:
    """Delete the visits that happened before ``cutoff``; returns how many."""
    return int(conn.execute(delete(visit).where(visit.c.at < cutoff)).rowcount or 0)
