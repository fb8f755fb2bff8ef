"""Retention tables: legal holds, and sweep runs with their cursor and destruction act; and
the queries of the retention service (typed rows, no decision)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)

from qorgau.consent.store import basis_state
from qorgau.db import Instant, aware, metadata
from qorgau.retention.model import Hold

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


@dataclass(frozen=True, slots=True)
class RunRow:
    id: str
    as_of: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunProgress:
    """An unfinished run: where it stopped, its counts (JSON) and its chained hash."""

    id: str
    cursor: str
    counts: str
    subjects_hash: str


@dataclass(frozen=True, slots=True)
class BasisStateRow:
    """A recorded basis (the consent context's ``basis_state``), as stored."""

    subject_id: str
    purpose: str
    kind: str
    state: str
    since: datetime
    until: datetime | None


# -- holds ---------------------------------------------------------------------------------


def insert_hold(
    conn: Connection,
    *,
    subject_id: str | None,
    purpose: str | None,
    ground: str,
    until: datetime | None,
    created_at: datetime,
    actor: str,
) -> None:
    conn.execute(
        insert(retention_hold).values(
            subject_id=subject_id,
            purpose=purpose,
            ground=ground,
            until=until,
            created_at=created_at,
            actor=actor,
        )
    )


def holds(conn: Connection) -> list[Hold]:
    h = retention_hold.c
    return [
        Hold(ground, aware(until), sid, purpose)
        for ground, until, sid, purpose in conn.execute(
            select(h.ground, h.until, h.subject_id, h.purpose)
        )
    ]


# -- bases ---------------------------------------------------------------------------------


def bases_of(conn: Connection, ids: Sequence[str]) -> list[BasisStateRow]:
    """The recorded bases of the subjects ``ids`` (times made aware)."""
    b = basis_state.c
    out: list[BasisStateRow] = []
    for sid, purpose, kind, st, since, until in conn.execute(
        select(b.subject_id, b.purpose, b.kind, b.state, b.since, b.until).where(
            b.subject_id.in_(ids)
        )
    ):
        since_at = aware(since)
        assert since_at is not None
        out.append(BasisStateRow(sid, purpose, kind, st, since_at, aware(until)))
    return out


# -- runs ----------------------------------------------------------------------------------


def run_act(conn: Connection, run_id: str) -> str | None:
    """The destruction act (JSON) of the run, None while unfinished or unknown."""
    raw = conn.execute(
        select(retention_run.c.act).where(retention_run.c.id == run_id)
    ).scalar_one_or_none()
    return str(raw) if raw else None


def runs(conn: Connection) -> list[RunRow]:
    """Every run, the latest started first."""
    r = retention_run.c
    out: list[RunRow] = []
    for rid, as_of, finished in conn.execute(
        select(r.id, r.as_of, r.finished_at).order_by(r.started_at.desc())
    ):
        out.append(RunRow(rid, aware(as_of) or as_of, aware(finished)))
    return out


def unfinished_run(conn: Connection, run_id: str | None, as_of: datetime) -> RunProgress | None:
    """The unfinished run ``run_id``, or (without one) the latest unfinished run for
    ``as_of``."""
    r = retention_run.c
    q = select(r.id, r.cursor, r.counts, r.subjects_hash).where(r.finished_at.is_(None))
    q = q.where(r.id == run_id) if run_id else q.where(r.as_of == as_of)
    row = conn.execute(q.order_by(r.started_at.desc()).limit(1)).first()
    if row is None:
        return None
    rid, cursor, counts, chained = row
    return RunProgress(str(rid), str(cursor), str(counts), str(chained))


def insert_run(
    conn: Connection,
    rid: str,
    *,
    as_of: datetime,
    started_at: datetime,
    actor: str,
    cursor: str,
    counts: str,
    subjects_hash: str,
) -> None:
    conn.execute(
        insert(retention_run).values(
            id=rid,
            as_of=as_of,
            started_at=started_at,
            actor=actor,
            cursor=cursor,
            counts=counts,
            subjects_hash=subjects_hash,
        )
    )


def save_cursor(conn: Connection, rid: str, cursor: str, counts: str, chained: str) -> None:
    conn.execute(
        update(retention_run)
        .where(retention_run.c.id == rid)
        .values(cursor=cursor, counts=counts, subjects_hash=chained)
    )


def finish_run(conn: Connection, rid: str, finished_at: datetime, act: str) -> None:
    conn.execute(
        update(retention_run)
        .where(retention_run.c.id == rid)
        .values(finished_at=finished_at, act=act)
    )
