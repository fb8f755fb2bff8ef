"""The legacy log (issue 13, must-have 6): events written before migration 0012 (chained
without the leaf prefix and without a MAC) cannot be re-chained; the transition checkpoint
signs that segment's bounds, `verify` checks it the old way, and its events prove against
the tree heads like any other. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import select, text, update

from legacylog import old_audit_code
from qorgau.audit import proofcheck
from qorgau.audit.checkpoint import AuditTampered, note_verifier, signed_legacy
from qorgau.audit.proofs import prove_event
from qorgau.audit.store import audit_event, audit_legacy
from qorgau.catalog import make_iin
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.migrate import alembic_config
from qorgau.security.actors import Actor

DPO = Actor("dpo", "test:dpo")


def _collect(services: Container, n: int, day: int) -> None:
    with services.db.unit_of_work() as conn:
        for i in range(n):
            values = {"first_name": "Асель", "iin": make_iin(date(1993, 4, day + i), "female", i)}
            services.gate.collect(
                conn,
                DPO,
                services.gate.prepare("potential_borrower", "contract", values, "staff:test"),
            )


@pytest.fixture
def upgraded(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Container:
    """A log written by the code of revision 0011 (events and a checkpoint), upgraded."""
    url = settings.resolved_database_url
    command.downgrade(alembic_config(url), "0011")
    old_audit_code(monkeypatch)
    svc = build_container(settings)
    try:
        _collect(svc, 4, 1)
        svc.checkpoint()
        _collect(svc, 2, 10)
    finally:
        svc.close()
    monkeypatch.undo()
    command.upgrade(alembic_config(url), "head")
    return build_container(settings)


def test_the_legacy_segment_verifies_the_old_way_under_a_transition_checkpoint(
    upgraded: Container,
) -> None:
    svc = upgraded
    try:
        with svc.db.engine.connect() as conn:
            legacy = {p: s for p, (s, _h) in signed_legacy(conn).items() if s}
            first = conn.execute(
                select(audit_event.c.id).where(audit_event.c.mac.is_(None)).limit(1)
            ).scalar_one()
        assert sum(legacy.values()) >= 6  # every pre-0012 event, none with a MAC
        report = svc.verify_audit()
        assert report.ok, report.first
        _collect(svc, 3, 20)  # new events: new leaf step and MACs
        svc.checkpoint()  # the transition checkpoint: signs the legacy bounds
        with svc.db.engine.connect() as conn:
            assert {p: s for p, (s, _h) in signed_legacy(conn).items() if s} == legacy
            bundle = prove_event(conn, first, public_key=svc.signer.public_raw)
        report = svc.verify_audit()
        assert report.ok, report.first
        assert report.covered == report.events
        assert bundle["entry"]["legacy"] is True
        log_key = note_verifier(svc.signer.public_raw, svc.settings.log_origin).to_vkey()
        assert proofcheck.check(bundle, log_key, []).startswith("ok: event")

        # The table the migration wrote no longer counts once the transition is signed.
        with svc.db.engine.begin() as conn:
            pg = conn.dialect.name == "postgresql"
            if pg:
                conn.execute(text("ALTER TABLE audit_legacy DISABLE TRIGGER USER"))
            conn.execute(update(audit_legacy).values(seq=audit_legacy.c.seq + 100))
            if pg:
                conn.execute(text("ALTER TABLE audit_legacy ENABLE TRIGGER USER"))
        assert svc.verify_audit().ok
        _collect(svc, 1, 25)
        assert svc.checkpoint() is not None
    finally:
        svc.close()


def test_an_edited_legacy_event_is_named_and_never_signed(upgraded: Container) -> None:
    svc = upgraded
    try:
        with svc.db.engine.begin() as conn:
            pg = conn.dialect.name == "postgresql"
            if pg:
                conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            eid = conn.execute(
                select(audit_event.c.id).where(audit_event.c.mac.is_(None)).limit(1)
            ).scalar_one()
            conn.execute(update(audit_event).where(audit_event.c.id == eid).values(body=b"{}"))
            if pg:
                conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        report = svc.verify_audit()
        assert not report.ok
        assert report.first is not None
        assert report.first.event_id == eid
        with pytest.raises(AuditTampered, match="hash does not match"):
            svc.checkpoint()
    finally:
        svc.close()
