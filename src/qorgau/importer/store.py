"""The import job table (an import's committed progress) and its queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, Integer, String, Table, insert, select, update

from qorgau.db import Instant, metadata

import_job = Table(
    "import_job",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("rows_done", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("started_at", Instant(), nullable=False),
    Column("finished_at", Instant(), nullable=True),
)


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a job got: rows read (accepted or refused) and rows accepted."""

    rows_done: int
    accepted: int


def progress(conn: Connection, job_id: str) -> Progress | None:
    q = select(import_job.c.rows_done, import_job.c.accepted).where(import_job.c.id == job_id)
    row = conn.execute(q).one_or_none()
    if row is None:
        return None
    rows_done, accepted = row
    return Progress(int(rows_done), int(accepted))


def insert_job(conn: Connection, job_id: str, started_at: datetime) -> None:
    conn.execute(
        insert(import_job).values(id=job_id, rows_done=0, accepted=0, started_at=started_at)
    )


def advance(conn: Connection, job_id: str, *, was: int, rows_done: int, accepted: int) -> bool:
    """Move the job on, only if it is still at ``was`` rows done (optimistic): False when
    another run moved it."""
    moved = conn.execute(
        update(import_job)
        .where(import_job.c.id == job_id, import_job.c.rows_done == was)
        .values(rows_done=rows_done, accepted=accepted)
    ).rowcount
    return moved == 1


def finish(conn: Connection, job_id: str, at: datetime) -> None:
    conn.execute(update(import_job).where(import_job.c.id == job_id).values(finished_at=at))
