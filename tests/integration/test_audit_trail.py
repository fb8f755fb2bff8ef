"""Each person can check their own record (issue 13, must-have 7): the access report lists
the audit events about the person, never a value, each with its inclusion proof against the
partition's signed tree head, in the JSON, the page and the PDF; on SQLite and PostgreSQL.

The proofs are checked as a person would: with the log's key alone, by qorgau's own check
and by the single-file checker, the one ``/transparency/proofcheck.py`` serves."""

from __future__ import annotations

import base64
import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from qorgau.audit import proofcheck
from qorgau.audit.checkpoint import note_verifier
from qorgau.audit.proofs import check, prove_event
from qorgau.catalog import make_iin
from qorgau.consent.model import Channel as ConsentChannel
from qorgau.consent.model import ConsentRequest, Evidence
from qorgau.container import Container
from qorgau.dsr.model import Channel, Kind
from qorgau.dsr.pages import terms
from qorgau.dsr.report_pdf import report_pdf
from qorgau.dsr.report_view import report_view
from qorgau.i18n import t
from qorgau.security.actors import Actor
from qorgau.server import create_app

PHONE = "+77015553311"
VALUES = {
    "first_name": "Жанар",
    "last_name": "Журналова",
    "iin": make_iin(date(1987, 6, 5), "female", 431),
    "phone": PHONE,
    "email": "zhanar.trail@example.org",
    "income": "612345",
}


def log_key(services: Container) -> str:
    return note_verifier(services.audit_public_key(), services.settings.log_origin).to_vkey()


def person(services: Container, dpo: Actor) -> str:
    """Collected, contact confirmed, a consent given: events about the person."""
    item = services.gate.prepare("potential_borrower", "contract", VALUES, "staff:test")
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(conn, dpo, item)
        services.gate.confirm_contact(conn, dpo, sid, "phone", PHONE, "otp:phone")
        services.ledger.grant(
            conn,
            dpo,
            ConsentRequest(
                sid, "offers", "Согласие (P3).", Evidence("api"), channel=ConsentChannel.API
            ),
        )
    return sid


def access_request(services: Container, dpo: Actor) -> str:
    with services.db.unit_of_work() as conn:
        got = services.requests.receive(conn, dpo, Kind.ACCESS, Channel.WEB, "phone", PHONE, "ru")
        assert got.code is not None
        assert services.requests.verify(conn, dpo, got.request_id, got.code)
    return got.request_id


def no_value_in(text: str) -> None:
    for field, value in VALUES.items():
        assert value not in text, field
    assert PHONE.removeprefix("+") not in text


def test_the_report_lists_the_events_with_proofs_and_no_value(
    services: Container, dpo: Actor
) -> None:
    """A collect, its contact and consent, the request: checkpointed (proved); a block after
    the checkpoint and the report's own read: pending. Every bundle of the JSON verifies
    with the log's key; nothing of the person's values is in the trail, page or PDF."""
    sid = person(services, dpo)
    rid = access_request(services, dpo)
    services.checkpoint()
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, dpo, sid, "test: after the checkpoint")
    with services.db.unit_of_work() as conn:
        report = services.requests.access_report(conn, dpo, rid)
    trail = report["audit_trail"]
    by_status: dict[str, list[str]] = {}
    for e in trail["events"]:
        by_status.setdefault(e["status"], []).append(e["action"])
    assert by_status["proved"] == [
        "collect", "record", "consent.grant", "request.verified", "basis.record"
    ]  # fmt: skip
    assert by_status["pending"] == ["block", "retrieve"]
    assert "omitted" not in by_status
    assert (trail["proved"], trail["pending"]) == (5, 2)
    key = log_key(services)
    assert trail["log_key"] == key
    part_origin = {e["checkpoint"]["origin"] for e in trail["events"] if e["checkpoint"]}
    assert len(part_origin) == 1
    assert part_origin.pop().startswith(services.settings.log_origin + "/")
    for e in trail["events"]:
        if e["status"] == "proved":
            assert check(e["bundle"], key) == 0
            assert proofcheck.check(e["bundle"], key, []).startswith("ok: event")
            assert e["bundle"]["size"] == e["checkpoint"]["size"]
        else:
            assert e["bundle"] is None
            assert e["checkpoint"] is None
    collect = trail["events"][0]
    assert collect["purpose"] == "contract"
    assert set(collect["fields"]) == set(VALUES)
    block = next(e for e in trail["events"] if e["action"] == "block")
    assert block["role"] == "dpo"
    read = trail["events"][-1]
    assert (read["purpose"], read["role"]) == ("subject_request", "dpo")
    # Never a value: not in the trail (bundles included), the page or the PDF.
    no_value_in(json.dumps(trail, ensure_ascii=False))
    zone = ZoneInfo(services.settings.timezone)
    for lang in ("kk", "ru", "en"):
        view = report_view(report, lang, services, zone, terms)["trail"]
        no_value_in(json.dumps({k: v for k, v in view.items() if k != "download"}))
        assert [e["action"] for e in view["events"]][:2] == [
            t(lang, "audit.action.collect"), t(lang, "audit.action.record")
        ]  # fmt: skip
        assert view["events"][0]["status"] == t(
            lang, "rights.trail.proved", **trail["events"][0]["checkpoint"]
        )
        assert view["events"][-1]["status"] == t(lang, "rights.trail.pending")
        assert view["events"][-1]["role"] == t(lang, "audit.role.dpo")
        assert view["events"][0]["purpose"].endswith(
            services.catalogue.purpose("contract").labels[lang]
        )
        assert view["events"][0]["fields"].count(",") == len(VALUES) - 1
        # The download holds exactly the proved bundles, and they verify.
        prefix = "data:application/json;base64,"
        assert view["download"].startswith(prefix)
        bundles = json.loads(base64.b64decode(view["download"][len(prefix) :]))
        assert len(bundles) == 5
        assert all(check(b, key) == 0 for b in bundles)
        assert view["log_key"] == key
    without = {k: v for k, v in report.items() if k != "audit_trail"}
    assert len(report_pdf(report, "kk", services.settings.timezone)) > len(
        report_pdf(without, "kk")
    )
    assert services.verify_audit().ok


def test_the_api_report_carries_the_bundles(services: Container, dpo: Actor) -> None:
    """The JSON the API returns is the report with its trail: a person can run the checker
    on the bundles it holds; the PDF of the same report lists the events."""
    person(services, dpo)
    rid = access_request(services, dpo)
    services.checkpoint()
    with services.db.unit_of_work() as conn:
        _, token = services.api_keys.create_key(conn, "dpo", "trail test", None)
    api = TestClient(create_app(services))
    auth = {"Authorization": f"Bearer {token}"}
    got = api.get(f"/api/v1/requests/{rid}/report", headers=auth)
    assert got.status_code == 200, got.text
    trail = got.json()["audit_trail"]
    proved = [e["bundle"] for e in trail["events"] if e["status"] == "proved"]
    assert len(proved) == 5
    assert all(proofcheck.check(b, log_key(services), []) for b in proved)
    assert trail["events"][-1]["status"] == "pending"  # the report's own read
    pdf = api.get(f"/api/v1/requests/{rid}/report.pdf", headers=auth)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")


def test_a_person_with_many_events_gets_the_newest_proved(services: Container, dpo: Actor) -> None:
    """The proofs are bounded (``TRAIL_PROOFS``, here 3): older events are listed with the
    tree head that covers them and their event id, whose proof staff can give; events not
    checkpointed yet take nothing of the bound."""
    sid = person(services, dpo)
    with services.db.unit_of_work() as conn:
        for _ in range(6):
            services.gate.read(conn, dpo, sid, "contract", ["first_name"])
    services.checkpoint()
    with services.db.unit_of_work() as conn:
        for _ in range(4):
            services.gate.read(conn, dpo, sid, "contract", ["first_name"])
    assert services.requests.audit_trail is not None
    with services.db.engine.connect() as conn:
        bundles = services.requests.audit_trail(conn, sid, 3)
    assert len(bundles) == 13
    assert [b.get("omitted", False) for b in bundles] == [True] * 6 + [False] * 7
    assert [b["proof"] is None for b in bundles[6:]] == [False] * 3 + [True] * 4
    key = log_key(services)
    assert all(check(dict(b), key) == 0 for b in bundles[6:9])
    size = bundles[6]["size"]
    assert {b["size"] for b in bundles[:6]} == {size}
    with services.db.engine.connect() as conn:
        oldest = prove_event(
            conn, bundles[0]["entry"]["id"], public_key=services.audit_public_key()
        )
    assert check(oldest, key) == 0
    assert oldest["entry"]["action"] == "collect"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_rights_page_shows_the_trail(services: Container, dpo: Actor, lang: str) -> None:
    """The report body (the rights page and the console preview share it) draws the trail,
    the download and the one sentence on how to check it, in the page's language."""
    person(services, dpo)
    rid = access_request(services, dpo)
    services.checkpoint()
    with services.db.unit_of_work() as conn:
        report = services.requests.access_report(conn, dpo, rid)
    app = create_app(services)
    view = report_view(report, lang, services, ZoneInfo(services.settings.timezone), terms)
    html = app.state.site.env.get_template("rights_report_body.html").render(
        lang=lang, t=lambda key, **kw: t(lang, key, **kw), report=view
    )
    assert t(lang, "rights.trail.title") in html
    assert 'id="report-trail"' in html
    assert html.count('data-proved="yes"') == 5
    assert html.count('data-proved="no"') == 1
    assert 'id="trail-download"' in html
    assert "data:application/json;base64," in html
    assert t(lang, "rights.trail.check").replace("<", "&lt;").split("&lt;")[0] in html
    assert log_key(services) in html
    assert f'href="/{lang}/transparency"' in html
    trail = html[html.index('id="report-trail-title"') : html.index('id="report-rights-title"')]
    no_value_in(trail.split("data:application/json;base64,")[0])
