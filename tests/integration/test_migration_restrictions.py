"""Migration 0018 (issue 14, must-have 8; policy 4.2.2), on SQLite and PostgreSQL: a database
made at the revision before it, with request-level free-text restrictions and free-text value
sources, upgraded: each restriction stands for its person, ground ``unspecified`` and the old
text as reference, listed for review, and the person's next request is restricted; one set on
a request not verified yet stands for whoever it is verified as; the values' free labels read
as typed sources and ``audit verify`` stays green; downgrading puts the text back on the
request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from legacylog import free_sources
from qorgau.audit.store import audit_event
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.dsr import store as dsr_store
from qorgau.dsr.model import Channel, Kind
from qorgau.dsr.restrictions import Restrictions
from qorgau.intake.limits import CodeLimits
from qorgau.migrate import alembic_config
from qorgau.security.actors import Actor
from qorgau.vault.sources import SourceKind

DPO = Actor("dpo", "test:dpo")


def _before_0018(url: str) -> str:
    """The revision 0018 follows (wherever the chain puts it)."""
    rev = ScriptDirectory.from_config(alembic_config(url)).get_revision("0018")
    return str(rev.down_revision)


PHONE = "+77015550818"
OLD_GROUND = "AML/CFT law: ongoing check"


def _receive(svc: Container) -> tuple[str, str]:
    with svc.db.unit_of_work() as conn:
        got = svc.requests.receive(conn, DPO, Kind.ACCESS, Channel.WEB, "phone", PHONE, "ru")
    assert got.code is not None
    return got.request_id, got.code


def _verify(svc: Container, rid: str, code: str) -> None:
    with svc.db.unit_of_work() as conn:
        assert svc.requests.verify(conn, DPO, rid, code)


def _restrict_before_0018(svc: Container, rid: str, ground: str) -> None:
    """What ``restrict`` did before 0018: the request's column and its event."""
    with svc.db.unit_of_work() as conn:
        conn.execute(
            text("UPDATE dsr_request SET restriction_ground = :g WHERE id = :r"),
            {"g": ground, "r": rid},
        )
        dsr_store.insert_event(conn, rid, datetime.now(UTC), DPO.id, "restricted", ground)


def _report(svc: Container) -> dict[str, Any]:
    rid, code = _receive(svc)
    _verify(svc, rid, code)
    with svc.db.unit_of_work() as conn:
        report: dict[str, Any] = svc.requests.access_report(conn, DPO, rid)
    return report


def test_upgrade_to_0018_carries_restrictions_to_the_person_and_reads_old_sources(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = settings.resolved_database_url
    command.downgrade(alembic_config(url), _before_0018(url))
    free_sources(monkeypatch)  # the code before 0018 took any label (its audit is today's)
    monkeypatch.setattr(Restrictions, "attach", lambda *a, **k: None)  # no such table yet
    svc = build_container(settings)
    svc.requests.code_limits = CodeLimits(20, 20)
    try:
        rec = {"last_name": "Миграциева", "first_name": "Айым", "phone": PHONE}
        with svc.db.unit_of_work() as conn:
            item = svc.gate.prepare("potential_borrower", "contract", rec, "web")
            sid = svc.gate.collect(conn, DPO, item)
            svc.gate.clarify(conn, DPO, sid, "contract", {"first_name": "Айгүл"}, "call")
            svc.gate.confirm_contact(conn, DPO, sid, "phone", PHONE, "otp:phone")
        restricted, code = _receive(svc)
        _verify(svc, restricted, code)
        _restrict_before_0018(svc, restricted, OLD_GROUND)
        pending, pending_code = _receive(svc)  # restricted before anyone verified it
        _restrict_before_0018(svc, pending, "third parties' rights")
        svc.checkpoint()
    finally:
        svc.close()
    monkeypatch.undo()

    command.upgrade(alembic_config(url), "head")
    svc = build_container(settings)
    svc.requests.code_limits = CodeLimits(20, 20)
    try:
        with svc.db.engine.connect() as conn:
            assert "restriction_ground" not in {
                c["name"] for c in inspect(conn).get_columns("dsr_request")
            }
            review = svc.requests.restrictions.listing(conn, review_only=True)
        by_request = {r.request_id: r for r in review}
        assert set(by_request) == {restricted, pending}
        moved = by_request[restricted]
        assert (moved.subject_id, moved.ground, moved.reference) == (
            sid,
            "unspecified",
            OLD_GROUND,
        )
        assert moved.fields is None
        assert moved.set_by == DPO.id
        assert moved.active
        assert by_request[pending].subject_id is None

        # The person's next request is restricted, with no ground told.
        report = _report(svc)
        assert report["restricted"] == {"scope": "all", "grounds": [], "general": "policy 4.2.2"}
        assert "values" not in report
        assert OLD_GROUND not in str(report)

        # The request restricted before verification: once verified, it stands for the person.
        _verify(svc, pending, pending_code)
        with svc.db.engine.connect() as conn:
            held = svc.requests.restrictions.of_subject(conn, sid, active_only=True)
            assert svc.requests.get(conn, pending).restricted
            sets = conn.execute(
                select(audit_event.c.subject_id).where(audit_event.c.action == "restriction.set")
            ).all()
        assert {r.request_id for r in held} == {restricted, pending}
        assert sets == [(sid,)]

        # The free labels read as typed sources; the values open as sealed.
        with svc.db.unit_of_work() as conn:
            got = svc.gate.read(conn, DPO, sid, "contract")
        assert got.values["first_name"] == "Айгүл"
        first, last = got.meta["first_name"].typed_source, got.meta["last_name"].typed_source
        assert (first.kind, first.legacy) == (SourceKind.STAFF, "call")
        assert (last.kind, last.legacy) == (SourceKind.SUBJECT, "web")
        assert svc.verify_audit().ok

        # Staff review: restrict on a typed ground, lift the migrated ones.
        with svc.db.unit_of_work() as conn:
            svc.requests.restrictions.set(conn, DPO, sid, "aml_cft", "AFM request 7/2026")
            for r in held:
                svc.requests.restrictions.lift(conn, DPO, r.id, "reviewed: typed ground set")
        with svc.db.engine.connect() as conn:
            assert svc.requests.restrictions.listing(conn, review_only=True) == []
        assert _report(svc)["restricted"]["scope"] == "all"
        assert svc.verify_audit().ok
    finally:
        svc.close()


def test_downgrade_from_0018_puts_the_text_back_on_the_request(settings: Settings) -> None:
    url = settings.resolved_database_url
    svc = build_container(settings)
    try:
        rec = {"last_name": "Откатова", "first_name": "Сара", "phone": PHONE}
        with svc.db.unit_of_work() as conn:
            item = svc.gate.prepare("potential_borrower", "contract", rec, "subject:web")
            sid = svc.gate.collect(conn, DPO, item)
            svc.gate.confirm_contact(conn, DPO, sid, "phone", PHONE, "otp:phone")
        rid, code = _receive(svc)
        _verify(svc, rid, code)
        with svc.db.unit_of_work() as conn:
            svc.requests.restrict(conn, DPO, rid, "aml_cft", "AFM request 8/2026")
    finally:
        svc.close()
    command.downgrade(alembic_config(url), _before_0018(url))
    svc = build_container(settings)
    try:
        with svc.db.engine.connect() as conn:
            ground = conn.execute(
                text("SELECT restriction_ground FROM dsr_request WHERE id = :r"), {"r": rid}
            ).scalar_one()
        assert ground == "aml_cft: AFM request 8/2026"
    finally:
        svc.close()
    command.upgrade(alembic_config(url), "head")
    svc = build_container(settings)
    try:
        with svc.db.engine.connect() as conn:
            (again,) = svc.requests.restrictions.of_subject(conn, sid)
        assert (again.ground, again.reference) == ("unspecified", "aml_cft: AFM request 8/2026")
    finally:
        svc.close()
