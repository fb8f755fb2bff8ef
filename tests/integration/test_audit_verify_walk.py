"""``verify`` checks a run of events under a tree head as a whole and walks it row by row only
when something in it fails (issue 13, the verify benchmark): the row-by-row walk must still
name the first broken event exactly, wherever it lies, in a partition of more events than
one read batch, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, func, select, text, update

from qorgau.audit.model import Event, partition_of
from qorgau.audit.store import audit_event
from qorgau.container import Container

ACTOR = "test:walk"  # events without a subject: all in the actor's partition
FIRST, SECOND, AFTER = 5_000, 12_000, 300


@contextmanager
def behind_the_back(services: Container) -> Iterator[Connection]:
    with services.db.engine.connect() as conn:
        if services.db.dialect == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
        conn.commit()


def _append(services: Container, n: int) -> None:
    events = [Event("retrieve", ACTOR, detail={"n": i}) for i in range(n)]
    with services.db.unit_of_work() as conn:
        services.audit.append_many(conn, events)


@pytest.fixture
def log(services: Container) -> tuple[Container, int]:
    """A partition of 12,300 events: tree heads at 5,000 and 12,000, 300 events after."""
    _append(services, FIRST)
    services.checkpoint()
    _append(services, SECOND - FIRST)
    services.checkpoint()
    _append(services, AFTER)
    part = partition_of(None, ACTOR, services.audit.partitions)
    with services.db.engine.connect() as conn:
        last = conn.execute(
            select(func.max(audit_event.c.seq)).where(audit_event.c.part == part)
        ).scalar_one()
    assert last >= SECOND + AFTER
    report = services.verify_audit()
    assert report.ok, report.first
    assert report.mac_checked >= AFTER
    return services, part


def _row(conn: Connection, part: int, seq: int) -> tuple[int, bytes]:
    e = audit_event.c
    eid, body = conn.execute(select(e.id, e.body).where(e.part == part, e.seq == seq)).one()
    return int(eid), bytes(body)


#: Edited events: at the ends, around the tree heads, the read batch of 10,000 rows and the
#: first MAC-checked event; two at once (the first is named).
EDITS = [
    (1,), (2,), (FIRST - 1,), (FIRST,), (FIRST + 1,), (9_999,), (10_000,), (10_001,),
    (SECOND,), (SECOND + 1,), (SECOND + AFTER,), (7_777, 7_778), (11_000, 3_000),
]  # fmt: skip


def test_the_first_edited_event_is_named(log: tuple[Container, int]) -> None:
    services, part = log
    for seqs in EDITS:
        with behind_the_back(services) as conn:
            rows = {seq: _row(conn, part, seq) for seq in seqs}
            for eid, body in rows.values():
                conn.execute(
                    update(audit_event).where(audit_event.c.id == eid).values(body=body + b" ")
                )
        report = services.verify_audit()
        first = min(seqs)
        problem = report.first
        assert problem is not None, seqs
        assert problem.reason == "hash does not match (edited or reordered)", seqs
        assert (problem.event_id, problem.part, problem.seq) == (rows[first][0], part, first)
        with behind_the_back(services) as conn:  # put them back
            for eid, body in rows.values():
                conn.execute(update(audit_event).where(audit_event.c.id == eid).values(body=body))
        assert services.verify_audit().ok, seqs


def test_a_rechained_run_is_named_where_it_leaves_the_signed_heads(
    log: tuple[Container, int],
) -> None:
    """Events re-chained from seq 3,000 on (valid SHA-256 steps): the whole-run check fails,
    and the row-by-row walk names the signed head at 5,000 they no longer reach."""
    from qorgau.db import chain_hash

    services, part = log
    e = audit_event.c
    with behind_the_back(services) as conn:
        prev = bytes(
            conn.execute(select(e.hash).where(e.part == part, e.seq == 2_999)).scalar_one()
        )
        rows = conn.execute(
            select(e.id, e.seq, e.action, e.subject_id, e.state, e.body)
            .where(e.part == part, e.seq >= 3_000, e.seq <= FIRST)
            .order_by(e.seq)
        ).all()
        for i, (eid, seq, action, sid, state, body) in enumerate(rows):
            body = bytes(body) + (b" " if i == 0 else b"")
            prev = chain_hash(prev, part, seq, action, sid, state, body)
            conn.execute(update(audit_event).where(e.id == eid).values(body=body, hash=prev))
    report = services.verify_audit()
    assert report.first is not None
    assert report.first.reason == "differs from a signed checkpoint"
    assert (report.first.part, report.first.seq) == (part, FIRST)
