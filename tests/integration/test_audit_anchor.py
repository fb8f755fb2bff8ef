"""The anchor file (issue 13, must-have 3): checkpoints deleted, or an older copy of the
database restored, are caught by `audit verify`; on SQLite and PostgreSQL, by someone with
write access to the database and no key."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Connection, Executable, delete, func, select, text

from qorgau.audit.anchor import AnchorFile, InvalidAnchor
from qorgau.audit.checkpoint import AuditTampered
from qorgau.audit.store import audit_checkpoint, audit_event, audit_head
from qorgau.catalog import make_iin
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.security.actors import Actor
from qorgau.vault.store import blind_index, subject

DPO = Actor("dpo", "test:dpo")
ANCHOR_PROBLEM = "the database does not extend the anchored checkpoint"


def _collect(services: Container, n: int) -> None:
    with services.db.unit_of_work() as conn:
        for i in range(n):
            values = {"first_name": "Айгерім", "iin": make_iin(date(1990, 1, 1 + i), "female", i)}
            services.gate.collect(
                conn,
                DPO,
                services.gate.prepare("potential_borrower", "contract", values, "staff:test"),
            )


AUDIT_TABLES = ("audit_checkpoint", "audit_event", "audit_head", "audit_tree_head", "audit_node")


def _as_owner(conn: Connection, *statements: Executable) -> None:
    """The insider runs ``statements`` as the tables' owner: on PostgreSQL that role may
    disable the append-only triggers around them (the attack of issue 13)."""
    pg = conn.dialect.name == "postgresql"
    if pg:
        for table in AUDIT_TABLES:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    for statement in statements:
        conn.execute(statement)
    if pg:
        for table in AUDIT_TABLES:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def _checkpoints(services: Container) -> int:
    with services.db.engine.connect() as conn:
        n: int = conn.execute(select(func.count()).select_from(audit_checkpoint)).scalar_one()
        return n


def test_every_checkpoint_is_anchored_and_a_sound_log_verifies(services: Container) -> None:
    for _ in range(3):
        _collect(services, 2)
        assert services.checkpoint() is not None
    anchor = AnchorFile(services.settings.anchor_path)
    lines = services.settings.anchor_path.read_text().split()
    assert len(lines) == 3 == _checkpoints(services)
    assert anchor.last() is not None
    assert services.verify_audit().ok


def test_deleting_the_newest_checkpoints_is_caught(services: Container) -> None:
    for _ in range(3):
        _collect(services, 1)
        services.checkpoint()
    assert services.verify_audit().ok
    with services.db.engine.begin() as conn:  # the insider drops the newest two
        newest = conn.execute(
            select(audit_checkpoint.c.id).order_by(audit_checkpoint.c.id.desc()).limit(2)
        ).scalars()
        _as_owner(conn, delete(audit_checkpoint).where(audit_checkpoint.c.id.in_(list(newest))))
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.reason.startswith(ANCHOR_PROBLEM)


def test_deleting_every_checkpoint_is_caught(services: Container) -> None:
    _collect(services, 2)
    services.checkpoint()
    with services.db.engine.begin() as conn:
        _as_owner(conn, delete(audit_checkpoint))
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.reason.startswith(ANCHOR_PROBLEM)
    assert "(0 in the database)" in report.first.reason


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_older_copy_of_the_database_restored_is_caught(
    settings: Settings, tmp_path: Path
) -> None:
    """A block and a clarification made after the nightly copy silently disappeared when the
    copy was restored; the anchor (kept outside the database) names it."""
    services = build_container(settings)
    _collect(services, 2)
    services.checkpoint()
    db_file = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    services.close()
    backup = tmp_path / "copy.db"
    shutil.copy(db_file, backup)
    services = build_container(settings)
    _collect(services, 2)
    services.checkpoint()
    services.close()
    shutil.copy(backup, db_file)
    for suffix in ("-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    restored = build_container(settings)
    try:
        report = restored.verify_audit()
        assert not report.ok
        assert report.first is not None
        assert report.first.reason.startswith(ANCHOR_PROBLEM)
    finally:
        restored.close()


def test_a_garbled_anchor_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "anchor.log"
    path.write_text("zz-not-hex\n")
    with pytest.raises(InvalidAnchor):
        AnchorFile(path).last()
    assert AnchorFile(tmp_path / "none.log").last() is None


def test_a_partition_deleted_with_its_head_is_caught(services: Container) -> None:
    """One partition's events, its head row and its subjects deleted: the next checkpoint
    is refused (the partition has a signed tree head), and the checkpoints that named the
    partition still name it."""
    _collect(services, 6)
    services.checkpoint()
    with services.db.engine.connect() as conn:
        unnamed = {
            p for (p,) in conn.execute(
                select(audit_event.c.part).where(audit_event.c.subject_id.is_(None))
            )
        }  # fmt: skip
        part = next(
            p for (p,) in conn.execute(
                select(audit_event.c.part).where(audit_event.c.subject_id.is_not(None))
            ) if p not in unnamed
        )  # fmt: skip
        sids = list(
            conn.execute(
                select(audit_event.c.subject_id).where(audit_event.c.part == part).distinct()
            ).scalars()
        )
    with services.db.engine.begin() as conn:
        conn.execute(delete(blind_index).where(blind_index.c.subject_id.in_(sids)))
        conn.execute(delete(subject).where(subject.c.id.in_(sids)))
        _as_owner(
            conn,
            delete(audit_event).where(audit_event.c.part == part),
            delete(audit_head).where(audit_head.c.part == part),
        )
    with pytest.raises(AuditTampered, match="has a signed tree head but no head"):
        services.checkpoint()  # the checkpointer refuses to sign the forged state
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.reason == "a partition named by a signed checkpoint has no head"
    assert report.first.part == part


@pytest.mark.parametrize("database_url", [pytest.param("pg", marks=pytest.mark.pg)], indirect=True)
def test_an_older_copy_of_the_postgres_database_restored_is_caught(settings: Settings) -> None:
    """The same on PostgreSQL: the nightly copy (a database cloned from this one, as a
    restored pg_dump or base backup would be) put back in its place."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(settings.resolved_database_url)
    name, copy = url.database, f"{url.database}_copy"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    services = build_container(settings)
    try:
        _collect(services, 2)
        services.checkpoint()
        services.close()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'))
        services = build_container(settings)
        _collect(services, 2)
        services.checkpoint()
        services.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{copy}"'))
        restored = build_container(settings)
        try:
            report = restored.verify_audit()
            assert not report.ok
            assert report.first is not None
            assert report.first.reason.startswith(ANCHOR_PROBLEM)
            with pytest.raises(AuditTampered, match="does not extend the anchored"):
                restored.checkpoint()
        finally:
            restored.close()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
        admin.dispose()
