"""Published policy versions and their texts (policy 8.2): the tables and their queries."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Column, Connection, ForeignKey, String, Table, Text, func, insert, select

from qorgau.db import Instant, aware, metadata

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


class TextRow(NamedTuple):
    language: str
    hash: str
    source: str
    body: str


class VersionRow(NamedTuple):
    id: str
    published_at: datetime


def version_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(policy_version)).scalar_one())


def insert_version(
    conn: Connection, version_id: str, published_at: datetime, actor: str, note: str | None
) -> None:
    conn.execute(
        insert(policy_version).values(
            id=version_id, published_at=published_at, actor=actor, note=note
        )
    )


def insert_text(
    conn: Connection, version_id: str, language: str, hash: str, source: str, body: str
) -> None:
    conn.execute(
        insert(policy_text).values(
            version_id=version_id, language=language, hash=hash, source=source, body=body
        )
    )


def current_version_id(conn: Connection) -> str | None:
    """The latest published version's id (by publication time, then id)."""
    return conn.execute(
        select(policy_version.c.id)
        .order_by(policy_version.c.published_at.desc(), policy_version.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def text_hash_of(conn: Connection, version_id: str, language: str) -> str | None:
    return conn.execute(
        select(policy_text.c.hash).where(
            policy_text.c.version_id == version_id, policy_text.c.language == language
        )
    ).scalar_one_or_none()


def published_at(conn: Connection, version_id: str) -> datetime | None:
    got = conn.execute(
        select(policy_version.c.published_at).where(policy_version.c.id == version_id)
    ).scalar_one_or_none()
    return None if got is None else aware(got)


def texts_of(conn: Connection, version_id: str) -> list[TextRow]:
    return [
        TextRow(*r)
        for r in conn.execute(
            select(
                policy_text.c.language, policy_text.c.hash, policy_text.c.source, policy_text.c.body
            ).where(policy_text.c.version_id == version_id)
        )
    ]


def versions(conn: Connection) -> list[VersionRow]:
    """Every published version, oldest first."""
    return [
        VersionRow(vid, aware(at))
        for vid, at in conn.execute(
            select(policy_version.c.id, policy_version.c.published_at).order_by(
                policy_version.c.published_at
            )
        )
    ]
