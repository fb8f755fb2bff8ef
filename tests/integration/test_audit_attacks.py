"""Issue 13's attacks on the audit log by an insider with write access to the database and
no key, on SQLite and PostgreSQL: each was accepted by `audit verify` before the events were
MAC'd, the checkpoints became signed tree heads and the heads file was kept outside the
database; each is named now, and the checkpointer refuses to sign over it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Connection, Executable, delete, select, text, update

from qorgau.audit.checkpoint import AuditTampered
from qorgau.audit.model import Event
from qorgau.audit.store import audit_event, audit_head, audit_tree_head
from qorgau.catalog import make_iin
from qorgau.container import Container, verify_with
from qorgau.db import chain_hash
from qorgau.security.actors import Actor

DPO = Actor("dpo", "test:dpo")
AUDIT_TABLES = ("audit_event", "audit_head", "audit_checkpoint", "audit_tree_head")


def _collect(services: Container, n: int, day: int = 1) -> list[str]:
    with services.db.unit_of_work() as conn:
        return [
            services.gate.collect(
                conn,
                DPO,
                services.gate.prepare(
                    "potential_borrower",
                    "contract",
                    {"first_name": "Ержан", "iin": make_iin(date(1991, 2, day + i), "male", i)},
                    "staff:test",
                ),
            )
            for i in range(n)
        ]


def _as_owner(conn: Connection, *statements: Executable) -> None:
    """As the tables' owner, which may disable the append-only triggers on PostgreSQL (the
    application's own role no longer can: test_least_privilege.py)."""
    pg = conn.dialect.name == "postgresql"
    for table in AUDIT_TABLES if pg else ():
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    for statement in statements:
        conn.execute(statement)
    for table in AUDIT_TABLES if pg else ():
        conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def _last(conn: Connection, part: int) -> tuple[int, bytes]:
    e = audit_event.c
    seq, digest = conn.execute(
        select(e.seq, e.hash).where(e.part == part).order_by(e.seq.desc()).limit(1)
    ).one()
    return int(seq), bytes(digest)


def _forge(conn: Connection, part: int, action: str, subject_id: str | None, state: bytes | None,
           body: bytes) -> None:  # fmt: skip
    """Append an event the way the database would (SHA-256 is public), without the MAC."""
    seq, prev = _last(conn, part)
    digest = chain_hash(prev, part, seq + 1, action, subject_id, state, body)
    conn.execute(
        text(
            "INSERT INTO audit_event (part, seq, at, action, subject_id, state, body, hash) "
            "VALUES (:part, :seq, CURRENT_TIMESTAMP, :action, :sid, :state, :body, :hash)"
        ),
        {"part": part, "seq": seq + 1, "action": action, "sid": subject_id, "state": state,
         "body": body, "hash": digest},
    )  # fmt: skip
    conn.execute(
        update(audit_head).where(audit_head.c.part == part).values(seq=seq + 1, hash=digest)
    )


def test_deleting_the_events_since_the_newest_checkpoint_is_caught(services: Container) -> None:
    """The events after the newest checkpoint deleted and the heads rewound: consistent with
    every signature, not with the heads file outside the database."""
    (sid,) = _collect(services, 1)
    services.checkpoint()
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, DPO, sid, "claim")
    with services.db.engine.connect() as conn:
        part = (
            conn.execute(select(audit_event.c.part).where(audit_event.c.subject_id == sid))
            .scalars()
            .first()
        )
        assert part is not None
        signed = conn.execute(
            select(audit_tree_head.c.size, audit_tree_head.c.chain)
            .where(audit_tree_head.c.part == part)
            .order_by(audit_tree_head.c.size.desc())
        ).first()
    assert signed is not None
    with services.db.engine.begin() as conn:
        _as_owner(
            conn,
            delete(audit_event).where(audit_event.c.part == part, audit_event.c.seq > signed[0]),
            update(audit_head).where(audit_head.c.part == part).values(seq=signed[0],
                                                                       hash=signed[1]),
        )  # fmt: skip
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert "the heads file outside the database saw" in report.first.reason
    assert report.first.part == part
    with pytest.raises(AuditTampered, match="behind the heads file"):
        services.checkpoint()


def test_a_forged_event_appended_without_the_key_is_caught(services: Container) -> None:
    """A `recategorise` carrying a hand-edited state digest, chained with plain SHA-256 as
    the database would: its MAC is missing. verify names it; no checkpoint covers it."""
    (sid,) = _collect(services, 1)
    services.checkpoint()
    with services.db.engine.connect() as conn:
        part = (
            conn.execute(select(audit_event.c.part).where(audit_event.c.subject_id == sid))
            .scalars()
            .first()
        )
    assert part is not None
    forged = Event("recategorise", DPO.id, subject_id=sid, state=b"\x07" * 32)
    with services.db.engine.begin() as conn:
        _forge(conn, part, forged.action, sid, forged.state, forged.body())
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    assert report.first.reason.startswith("MAC does not verify")
    assert report.first.part == part
    with pytest.raises(AuditTampered, match="MAC does not verify"):
        services.checkpoint()


def test_events_rechained_after_an_edit_are_caught(services: Container) -> None:
    """An event after the newest checkpoint edited and every later one of its partition
    re-chained (each hash recomputed): the MACs no longer match."""
    services.checkpoint()
    sids = _collect(services, 6)
    with services.db.engine.connect() as conn:
        rows = conn.execute(
            select(audit_event.c.part, audit_event.c.seq, audit_event.c.action,
                   audit_event.c.subject_id, audit_event.c.state, audit_event.c.body)
            .where(audit_event.c.subject_id.in_(sids)).order_by(audit_event.c.id)
        ).all()  # fmt: skip
        part, seq = rows[0][0], rows[0][1]
        later = conn.execute(
            select(audit_event.c.seq, audit_event.c.action, audit_event.c.subject_id,
                   audit_event.c.state, audit_event.c.body)
            .where(audit_event.c.part == part, audit_event.c.seq >= seq)
            .order_by(audit_event.c.seq)
        ).all()  # fmt: skip
        prev = conn.execute(
            select(audit_event.c.hash).where(audit_event.c.part == part,
                                             audit_event.c.seq == seq - 1)
        ).scalar()  # fmt: skip
    prev = bytes(prev) if prev is not None else bytes(32)
    statements = []
    for n, (s, action, sid, st, body) in enumerate(later):
        body = bytes(body).replace(b'"contract"', b'"offers"') if n == 0 else bytes(body)
        prev = chain_hash(prev, part, s, action, sid, None if st is None else bytes(st), body)
        statements.append(
            update(audit_event).where(audit_event.c.part == part, audit_event.c.seq == s)
            .values(body=body, hash=prev)
        )  # fmt: skip
    statements.append(update(audit_head).where(audit_head.c.part == part).values(hash=prev))
    with services.db.engine.begin() as conn:
        _as_owner(conn, *statements)
    report = services.verify_audit()
    assert not report.ok
    assert report.first is not None
    # The edited event is the first named: by its MAC, or, when it is its partition's last
    # event, by the heads file that saw its genuine hash.
    assert report.first.reason.startswith(("MAC does not verify", "differs from the heads file"))
    assert (report.first.part, report.first.seq) == (part, seq)
    marks = services.settings.heads_path
    marks.unlink()
    report = services.verify_audit()
    assert report.first is not None
    assert report.first.reason.startswith("MAC does not verify")
    assert (report.first.part, report.first.seq) == (part, seq)


def test_events_under_a_checkpoint_verify_with_the_public_key_alone(
    services: Container,
) -> None:
    """Without the MAC key (an auditor's copy), every event under the newest checkpoint is
    checked with the public key; the ones after it are reported as not yet checkpointed."""
    _collect(services, 3)
    services.checkpoint()
    _collect(services, 2, day=10)
    from qorgau.container import pinned_public_key

    public = pinned_public_key(services.settings) or services.signer.public_raw
    report = verify_with(services.db, public)
    assert report.ok, report.first
    assert report.covered > 0
    assert report.mac_checked == 0
    assert report.not_checkpointed == report.events - report.covered > 0
    assert any("not yet checkpointed" in w for w in report.warnings)
    with_key = services.verify_audit()
    assert with_key.ok
    assert with_key.mac_checked == report.not_checkpointed


def test_a_stored_right_edge_edited_is_refused_by_the_checkpointer(services: Container) -> None:
    """The right edges are a cache: the checkpointer checks them against the signed roots."""
    _collect(services, 3)
    services.checkpoint()
    _collect(services, 3, day=10)
    with services.db.engine.begin() as conn:
        _as_owner(conn, update(audit_tree_head).values(frontier=b"\x01" * 32))
    with pytest.raises(AuditTampered):
        services.checkpoint()
