"""The audit log is tamper-evident (DESIGN 2, 3; policy 7.3.8).

Each test edits, deletes, reorders or truncates rows behind the system's back and expects
``verify`` to name the first bad event. On PostgreSQL the append-only triggers must first be
bypassed (``session_replication_role = replica``, superuser only), which is itself the point.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from qorgau.audit.store import audit_checkpoint, audit_event, audit_head
from qorgau.catalog import make_iin
from qorgau.container import Container
from qorgau.security.actors import Actor
from qorgau.vault.record import pack, unpack
from qorgau.vault.store import blind_index, history, subject


def seed(services: Container, actor: Actor, n: int = 6) -> list[str]:
    ids = []
    for i in range(n):
        rec = {
            "first_name": "Тест",
            "last_name": "Тестов",
            "iin": make_iin(date(1980 + i, 1 + i, 10), "male", 100 + i),
            "phone": f"+7701555{i:04d}",
        }
        item = services.gate.prepare("potential_borrower", "contract", rec, "staff:test")
        with services.db.unit_of_work() as conn:
            ids.append(services.gate.collect(conn, actor, item))
    with services.db.unit_of_work() as conn:
        services.gate.clarify(
            conn, actor, ids[0], "contract", {"phone": "+77015559999"}, "staff:test"
        )
        services.gate.read(conn, actor, ids[1], "contract")
    services.checkpoint()
    with services.db.unit_of_work() as conn:
        services.gate.read(conn, actor, ids[2], "contract")
    return ids


@contextmanager
def behind_the_back(services: Container) -> Iterator[Connection]:
    with services.db.engine.connect() as conn:
        if services.db.dialect == "postgresql":
            conn.execute(text("SET session_replication_role = replica"))
        yield conn
        conn.commit()


def busiest_partition(conn: Connection) -> int:
    return conn.execute(
        select(audit_event.c.part)
        .group_by(audit_event.c.part)
        .order_by(func.count().desc())
        .limit(1)
    ).scalar_one()


def test_intact_log_verifies(services: Container, dpo: Actor) -> None:
    seed(services, dpo)
    report = services.verify_audit()
    assert report.ok, report.first
    assert report.events == 9
    assert report.checkpoints == 1
    assert report.subjects == 6


def test_edited_event_is_named(services: Container, dpo: Actor) -> None:
    seed(services, dpo)
    with behind_the_back(services) as conn:
        eid, body = conn.execute(
            select(audit_event.c.id, audit_event.c.body)
            .where(audit_event.c.action == "retrieve")
            .limit(1)
        ).one()
        forged = bytes(body).replace(b"retrieve", b"search__")
        conn.execute(update(audit_event).where(audit_event.c.id == eid).values(body=forged))
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.event_id == eid
    assert "hash" in report.first.reason


def test_edited_column_is_named(services: Container, dpo: Actor) -> None:
    seed(services, dpo)
    with behind_the_back(services) as conn:
        eid = conn.execute(
            select(audit_event.c.id).where(audit_event.c.action == "collect").limit(1)
        ).scalar_one()
        conn.execute(update(audit_event).where(audit_event.c.id == eid).values(action="retrieve"))
    report = services.verify_audit()
    assert report.first is not None
    assert report.first.event_id == eid


def test_deleted_event_is_named(services: Container, dpo: Actor) -> None:
    seed(services, dpo)
    with behind_the_back(services) as conn:
        part = busiest_partition(conn)
        rows = conn.execute(
            select(audit_event.c.id, audit_event.c.seq)
            .where(audit_event.c.part == part)
            .order_by(audit_event.c.seq)
        ).all()
        assert len(rows) >= 2
        conn.execute(delete(audit_event).where(audit_event.c.id == rows[0][0]))
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.event_id == rows[1][0]


def test_reordered_events_are_named(services: Container, dpo: Actor) -> None:
    seed(services, dpo)
    with behind_the_back(services) as conn:
        part = busiest_partition(conn)
        (a, sa, _ba, _ha), (b, sb, _bb, _hb) = conn.execute(
            select(audit_event.c.id, audit_event.c.seq, audit_event.c.body, audit_event.c.hash)
            .where(audit_event.c.part == part)
            .order_by(audit_event.c.seq)
            .limit(2)
        ).all()
        # Swap the two events' positions in the chain.
        conn.execute(update(audit_event).where(audit_event.c.id == a).values(seq=-1))
        conn.execute(update(audit_event).where(audit_event.c.id == b).values(seq=sa))
        conn.execute(update(audit_event).where(audit_event.c.id == a).values(seq=sb))
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.event_id == b


def test_truncated_partition_is_named(services: Container, dpo: Actor) -> None:
    seed(services, dpo)
    with behind_the_back(services) as conn:
        part = busiest_partition(conn)
        last = conn.execute(
            select(func.max(audit_event.c.seq)).where(audit_event.c.part == part)
        ).scalar_one()
        conn.execute(
            delete(audit_event).where(audit_event.c.part == part, audit_event.c.seq == last)
        )
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.part == part
    assert "truncated" in report.first.reason


def test_truncation_with_forged_head_caught_by_checkpoint(services: Container, dpo: Actor) -> None:
    seed(services, dpo)
    with behind_the_back(services) as conn:
        # Delete everything, heads reset: only the signed checkpoint remembers.
        conn.execute(delete(audit_event))
        conn.execute(update(audit_head).values(seq=0, hash=bytes(32)))
    report = services.verify_audit()
    assert not report.ok
    assert "truncated" in report.first.reason if report.first else False


def test_forged_checkpoint_is_named(services: Container, dpo: Actor) -> None:
    seed(services, dpo)
    with behind_the_back(services) as conn:
        cid, body = conn.execute(select(audit_checkpoint.c.id, audit_checkpoint.c.body)).one()
        conn.execute(
            update(audit_checkpoint)
            .where(audit_checkpoint.c.id == cid)
            .values(body=bytes(body) + b" ")
        )
    report = services.verify_audit()
    assert report.first is not None
    assert "signature" in report.first.reason


@pytest.mark.parametrize("table", ["sealed", "history", "blind_index", "subject"])
def test_vault_tampering_is_named(services: Container, dpo: Actor, table: str) -> None:
    ids = seed(services, dpo)
    target = ids[0]
    with behind_the_back(services) as conn:
        if table == "sealed":
            sealed = conn.execute(
                select(subject.c.sealed).where(subject.c.id == target)
            ).scalar_one()
            entries = unpack(sealed)
            del entries["phone"]
            conn.execute(
                update(subject).where(subject.c.id == target).values(sealed=pack(entries.values()))
            )
        elif table == "history":
            conn.execute(
                update(history).where(history.c.subject_id == target).values(source="forged")
            )
        elif table == "blind_index":
            conn.execute(delete(blind_index).where(blind_index.c.subject_id == target))
        else:
            conn.execute(
                update(subject).where(subject.c.id == target).values(category="public_source")
            )
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.subject_id == target


def test_deleted_subject_row_is_caught(services: Container, dpo: Actor) -> None:
    ids = seed(services, dpo)
    with behind_the_back(services) as conn:
        if services.db.dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for table in (history, blind_index):
            conn.execute(delete(table).where(table.c.subject_id == ids[3]))
        conn.execute(delete(subject).where(subject.c.id == ids[3]))
    report = services.verify_audit()
    assert not report.ok


@pytest.mark.pg
@pytest.mark.parametrize("database_url", ["pg"], indirect=True)
def test_postgres_triggers_refuse_update_and_delete(services: Container, dpo: Actor) -> None:
    assert services.db.dialect == "postgresql"
    seed(services, dpo, n=3)
    for stmt in (
        update(audit_event).values(action="x"),
        delete(audit_event),
        update(audit_checkpoint).values(key_id="x"),
        delete(audit_checkpoint),
        text("TRUNCATE audit_event"),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with services.db.engine.begin() as conn:
                conn.execute(stmt)
    assert services.verify_audit().ok
