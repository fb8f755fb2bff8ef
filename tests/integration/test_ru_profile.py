"""The second law profile, RF 152-FZ, complete (issue 14; LAW.md), on SQLite and PostgreSQL:
block and unblock requests on their terms (they failed with ``UnknownAction`` before), the
motivated +5 working-day extension with its notice to the person (service, API and console),
and retention's 30 days from a withdrawal or an achieved purpose. The KZ profile next to it
keeps its behaviour: no extension, destruction on the purpose's own terms."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from qorgau.catalog import make_iin
from qorgau.cli import app as cli_app
from qorgau.config import Settings
from qorgau.consent.model import BasisKind, ConsentRequest, Evidence
from qorgau.consent.model import Channel as ConsentChannel
from qorgau.consent.store import basis_state
from qorgau.container import Container, build_container
from qorgau.dsr.model import Channel, ExtensionRefused, Kind
from qorgau.dsr.store import dsr_request
from qorgau.law.calendar import calendar_for
from qorgau.law.profiles import profile
from qorgau.security.actors import Actor
from qorgau.security.console_kit import SESSION_COOKIE
from qorgau.server import create_app
from qorgau.vault.model import NoLiveBasis
from qorgau.vault.store import subject as subject_table

PHONE = "+77015550142"  # person(n=0)'s; each person has a phone of their own
PASSWORD = "ru profile console password 7"
RU = profile("ru_152fz")
# Friday 20 March 2026, 16:00 in Moscow: no Russian holiday follows for two weeks.
FRIDAY = datetime(2026, 3, 20, 13, 0, tzinfo=UTC)


@pytest.fixture
def ru(settings: Settings) -> Iterator[Container]:
    svc = build_container(settings.model_copy(update={"law_profile": "ru_152fz"}))
    yield svc
    svc.close()


def person(services: Container, actor: Actor, n: int = 0, *, contacts: bool = True) -> str:
    """A fictional person with a phone confirmed by code (none with ``contacts=False``)."""
    phone = f"+7701555{142 + n:04d}"
    rec = {
        "first_name": "Мария",
        "last_name": "Примерова",
        "iin": make_iin(date(1990, 5, 17), "female", 415 + n),
        "income": "410000",
    }
    if contacts:
        rec |= {"phone": phone, "email": f"maria{n}@example.org"}
    item = services.gate.prepare("potential_borrower", "contract", rec, "staff:test")
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(conn, actor, item)
        if contacts:
            services.gate.confirm_contact(conn, actor, sid, "phone", phone, "otp:phone")
        return sid


def request(
    services: Container, actor: Actor, kind: Kind, sid: str, *, now: datetime | None = None
) -> str:
    """A request entered by staff (a paper one, received ``now``), verified by staff."""
    with services.db.unit_of_work() as conn:
        got = services.requests.receive(
            conn, actor, kind, Channel.PAPER, "phone", PHONE, "ru", now=now, send_code=False
        )
        services.requests.verify_by_staff(conn, actor, got.request_id, sid, "passport shown")
    return got.request_id


def status(services: Container, sid: str) -> str:
    with services.db.engine.connect() as conn:
        q = select(subject_table.c.status).where(subject_table.c.id == sid)
        return str(conn.execute(q).scalar_one())


def due_of(services: Container, rid: str) -> datetime:
    with services.db.engine.connect() as conn:
        return services.requests.get(conn, rid).due_at


def event_kinds(services: Container, rid: str) -> list[str]:
    with services.db.engine.connect() as conn:
        return [e["kind"] for e in services.requests.events(conn, rid)]


def outbox(services: Container) -> list[dict[str, str]]:
    path = services.settings.outbox_path
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- block and unblock ------------------------------------------------------------------------


def test_block_and_unblock_requests_run_on_the_ru_terms(ru: Container, dpo: Actor) -> None:
    sid = person(ru, dpo)
    rid = request(ru, dpo, Kind.BLOCK, sid, now=FRIDAY)
    # 3 working days in Moscow: Mon 23, Tue 24, Wed 25 March (RF 152-FZ Art. 21 p.3).
    assert due_of(ru, rid).isoformat() == "2026-03-25T23:59:59.999999+03:00"
    with ru.db.unit_of_work() as conn:
        ru.requests.answer(conn, dpo, rid)
    assert status(ru, sid) == "blocked"

    rid = request(ru, dpo, Kind.UNBLOCK, sid, now=FRIDAY)
    # 7 working days (Art. 21 p.2): 23-27, 30 and 31 March.
    assert due_of(ru, rid).isoformat() == "2026-03-31T23:59:59.999999+03:00"
    with ru.db.unit_of_work() as conn:
        ru.requests.answer(conn, dpo, rid)
    assert status(ru, sid) == "active"
    with ru.db.engine.connect() as conn:
        profiles = set(conn.execute(select(dsr_request.c.law_profile)).scalars())
    assert profiles == {"ru_152fz"}
    assert ru.verify_audit().ok


# -- the motivated extension ------------------------------------------------------------------


def test_extension_adds_five_working_days_and_tells_the_person(ru: Container, dpo: Actor) -> None:
    sid = person(ru, dpo)
    rid = request(ru, dpo, Kind.ACCESS, sid)
    before = due_of(ru, rid)
    with ru.db.engine.connect() as conn:
        row = ru.requests.get(conn, rid)
        allowed = ru.requests.extension(conn, rid)
    assert allowed is not None
    assert allowed.extension == 5
    with ru.db.unit_of_work() as conn:
        done = ru.requests.extend(conn, dpo, rid, "  данные в архиве,\n их подъём займёт время ")
    cal = calendar_for("ru_152fz")
    term = RU.term("access")
    assert done.due_at == cal.due(row.received_at, term.extended())
    assert cal.working_days_between(row.received_at, done.due_at) == 15
    assert cal.working_days_between(before, done.due_at) == 5
    assert due_of(ru, rid) == done.due_at
    assert done.notice_channel == "phone"
    assert event_kinds(ru, rid)[-2:] == ["extended", "extension_notice"]

    (notice,) = [e for e in outbox(ru) if e["kind"] == "request_extension"]
    with ru.db.engine.connect() as conn:
        reference = ru.requests.get(conn, rid).reference
    assert notice["reference"] == reference
    assert notice["channel"] == "phone"
    assert PHONE not in json.dumps(notice, ensure_ascii=False)  # the contact is masked
    assert "данные в архиве, их подъём займёт время" in notice["text"]  # the reasons
    assert "RF 152-FZ Art. 14 p.3, Art. 20" in notice["text"]
    assert done.due_at.date().isoformat() in notice["text"]

    # Once only: a second extension is refused and changes nothing.
    with pytest.raises(ExtensionRefused, match="extended already"), ru.db.unit_of_work() as conn:
        ru.requests.extend(conn, dpo, rid, "ещё время")
    with ru.db.engine.connect() as conn:
        assert ru.requests.extension(conn, rid) is None
    assert due_of(ru, rid) == done.due_at
    assert event_kinds(ru, rid).count("extended") == 1
    assert ru.verify_audit().ok


def test_extension_is_refused_when_the_term_ran_out_or_nobody_can_be_told(
    ru: Container, dpo: Actor
) -> None:
    sid = person(ru, dpo)
    late = request(ru, dpo, Kind.ACCESS, sid, now=datetime(2026, 1, 12, 9, 0, tzinfo=UTC))
    with pytest.raises(ExtensionRefused, match="run out"), ru.db.unit_of_work() as conn:
        ru.requests.extend(conn, dpo, late, "архив")
    # No contact on file: an extension nobody was told of is none, and nothing changes.
    mute = person(ru, dpo, 1, contacts=False)
    rid = request(ru, dpo, Kind.ACCESS, mute)
    before = due_of(ru, rid)
    with pytest.raises(ExtensionRefused, match="notified"), ru.db.unit_of_work() as conn:
        ru.requests.extend(conn, dpo, rid, "архив")
    assert due_of(ru, rid) == before
    assert "extended" not in event_kinds(ru, rid)
    # No reasons, no motivated notice.
    rid = request(ru, dpo, Kind.ACCESS, sid)
    with pytest.raises(ExtensionRefused, match="reasons"), ru.db.unit_of_work() as conn:
        ru.requests.extend(conn, dpo, rid, "  \n ")
    # Terms the law does not extend: rectification (Art. 21 p.2).
    rid = request(ru, dpo, Kind.RECTIFY, sid)
    with pytest.raises(ExtensionRefused, match="no extension"), ru.db.unit_of_work() as conn:
        ru.requests.extend(conn, dpo, rid, "архив")
    # A withdrawal takes effect at once (policy 6.5): no extension, though it shares the term.
    rid = request(ru, dpo, Kind.WITHDRAW_CONSENT, sid)
    with ru.db.engine.connect() as conn:
        assert ru.requests.extension(conn, rid) is None
    with pytest.raises(ExtensionRefused, match="withdraw_consent"), ru.db.unit_of_work() as conn:
        ru.requests.extend(conn, dpo, rid, "архив")
    assert outbox(ru) == []


def test_kz_profile_allows_no_extension(services: Container, dpo: Actor) -> None:
    sid = person(services, dpo)
    rid = request(services, dpo, Kind.ACCESS, sid)
    before = due_of(services, rid)
    with services.db.engine.connect() as conn:
        assert services.requests.extension(conn, rid) is None
    with (
        pytest.raises(ExtensionRefused, match=r"kz_94v allows no extension .*Art. 25 p.2 sub.6"),
        services.db.unit_of_work() as conn,
    ):
        services.requests.extend(conn, dpo, rid, "архив")
    assert due_of(services, rid) == before
    assert event_kinds(services, rid) == ["received", "verified"]


def _api_key(services: Container) -> dict[str, str]:
    with services.db.unit_of_work() as conn:
        _, token = services.api_keys.create_key(conn, "dpo", "extension test")
    return {"Authorization": f"Bearer {token}"}


def test_extension_over_the_api(ru: Container, dpo: Actor) -> None:
    api = TestClient(create_app(ru))
    rid = request(ru, dpo, Kind.ACCESS, person(ru, dpo))
    r = api.post(f"/api/v1/requests/{rid}/extend", json={"reason": "архив"}, headers=_api_key(ru))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["extension"], doc["unit"], doc["notice_channel"]) == (5, "working_days", "phone")
    assert doc["source"] == "RF 152-FZ Art. 14 p.3, Art. 20"
    assert datetime.fromisoformat(doc["request"]["due_at"]) == due_of(ru, rid)
    again = api.post(
        f"/api/v1/requests/{rid}/extend", json={"reason": "архив"}, headers=_api_key(ru)
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["type"].endswith("/request-extension-refused")
    empty = api.post(f"/api/v1/requests/{rid}/extend", json={"reason": ""}, headers=_api_key(ru))
    assert empty.status_code == 422


def test_the_kz_api_refuses_an_extension(services: Container, dpo: Actor) -> None:
    kz = TestClient(create_app(services))
    kid = request(services, dpo, Kind.ACCESS, person(services, dpo))
    refused = kz.post(
        f"/api/v1/requests/{kid}/extend", json={"reason": "архив"}, headers=_api_key(services)
    )
    assert refused.status_code == 409
    assert "Art. 25 p.2 sub.6" in refused.json()["detail"]
    assert event_kinds(services, kid) == ["received", "verified"]


def _console(services: Container) -> TestClient:
    client = TestClient(create_app(services), follow_redirects=False)
    with services.db.unit_of_work() as conn:
        user = services.staff.create_user(conn, "dina.dpo", PASSWORD, "dpo")
        cookie, _ = services.staff.open_session(conn, user)
    client.cookies.set(SESSION_COOKIE, cookie, path="/console")
    return client


def _csrf(html: str, form_id: str) -> str:
    start = html.index(f'id="{form_id}"')
    m = re.search(r'name="csrf" value="([^"]+)"', html[start:])
    assert m, "no CSRF token"
    return m.group(1)


def test_extension_from_the_console(ru: Container, dpo: Actor) -> None:
    console = _console(ru)
    rid = request(ru, dpo, Kind.ACCESS, person(ru, dpo))
    page = console.get(f"/console/requests/{rid}")
    assert page.status_code == 200
    assert "RF 152-FZ Art. 14 p.3, Art. 20" in page.text  # the term and its article
    assert 'id="action-extend"' in page.text
    data = {"csrf": _csrf(page.text, "action-extend"), "reason": "данные в архиве"}
    done = console.post(f"/console/requests/{rid}/extend", data=data)
    assert done.status_code == 303, done.text
    page = console.get(f"/console/requests/{rid}")
    assert 'data-event="extended"' in page.text
    assert 'data-event="extension_notice"' in page.text
    assert 'id="action-extend"' not in page.text  # once only
    assert [e["kind"] for e in outbox(ru)] == ["request_extension"]
    # No CSRF token, no extension.
    rid2 = request(ru, dpo, Kind.ACCESS, person(ru, dpo, 1))
    forged = console.post(f"/console/requests/{rid2}/extend", data={"reason": "x"})
    assert forged.status_code == 403
    assert "extended" not in event_kinds(ru, rid2)


def test_the_kz_console_offers_no_extension(services: Container, dpo: Actor) -> None:
    kz = _console(services)
    kid = request(services, dpo, Kind.ACCESS, person(services, dpo))
    page = kz.get(f"/console/requests/{kid}")
    assert page.status_code == 200
    assert 'id="action-extend"' not in page.text
    assert "KZ 94-V Art. 25 p.2 sub.6" in page.text


# -- retention: 30 days from withdrawal or purpose achieved ---------------------------------------


def _marketing_subject(services: Container, actor: Actor) -> str:
    item = services.gate.prepare(
        "potential_borrower",
        "direct_marketing",
        {"first_name": "Тест", "phone": PHONE},
        "staff:test",
    )
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(conn, actor, item)
        services.ledger.grant(
            conn,
            actor,
            ConsentRequest(
                sid, "direct_marketing", "P5 consent.", Evidence("api"), channel=ConsentChannel.API
            ),
        )
    return sid


def _since(services: Container, sid: str, purpose: str) -> datetime:
    with services.db.engine.connect() as conn:
        q = select(basis_state.c.since).where(
            basis_state.c.subject_id == sid, basis_state.c.purpose == purpose
        )
        since = conn.execute(q).scalar_one()
    return since if since.tzinfo else since.replace(tzinfo=UTC)


def test_ru_keeps_withdrawn_data_30_days_less_a_sweep_then_destroys(
    ru: Container, dpo: Actor
) -> None:
    sid = _marketing_subject(ru, dpo)
    with ru.db.unit_of_work() as conn:
        ru.ledger.withdraw(conn, dpo, sid, "direct_marketing", "subject request")
    withdrawn = _since(ru, sid, "direct_marketing")
    sweep = timedelta(hours=ru.settings.retention_interval_hours)
    due = withdrawn + timedelta(days=30) - sweep
    with ru.db.engine.connect() as conn:
        explained = ru.retention.explain(conn, sid)
        assert explained["action"] == "keep"
        assert set(explained["kept_until"].values()) == {due.isoformat()}
        assert ru.retention.plan(conn, due - timedelta(minutes=1)).subjects_to_destroy == 0
        assert ru.retention.plan(conn, due + timedelta(minutes=1)).subjects_to_destroy == 1
    # Stopped at once all the same: no live basis for the purpose (policy 6.5).
    with pytest.raises(NoLiveBasis), ru.db.unit_of_work() as conn:
        ru.gate.read(conn, dpo, sid, "direct_marketing", ["first_name"])
    act = ru.retention.run(ru.db, dpo, withdrawn + timedelta(days=30))
    assert act["subjects_destroyed"] == 1
    assert "RF 152-FZ Art. 5 p.7, Art. 21 p.4-5" in act["grounds"]["depersonalise_and_destroy"]
    assert status(ru, sid) == "destroyed"
    assert ru.verify_audit().ok


def test_kz_destroys_withdrawn_data_at_the_next_sweep(services: Container, dpo: Actor) -> None:
    sid = _marketing_subject(services, dpo)
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, dpo, sid, "direct_marketing", "subject request")
    with services.db.engine.connect() as conn:
        assert services.retention.plan(conn, datetime.now(UTC)).subjects_to_destroy == 1
    act = services.retention.run(services.db, dpo, datetime.now(UTC))
    assert "KZ 94-V Art. 12 p.2, Art. 18" in act["grounds"]["depersonalise_and_destroy"]


@pytest.mark.parametrize("law", ["ru_152fz", "kz_94v"])
def test_an_achieved_contract_purpose_is_destroyed_on_the_profiles_term(
    settings: Settings, dpo: Actor, law: str
) -> None:
    services = build_container(settings.model_copy(update={"law_profile": law}))
    try:
        sid = person(services, dpo)
        with services.db.unit_of_work() as conn:
            services.ledger.record_basis(
                conn, dpo, sid, "contract", BasisKind.CONTRACT, "loan 2026/7", obligation=True
            )
            services.ledger.end_basis(conn, dpo, sid, "contract", BasisKind.CONTRACT, "repaid")
        ended = _since(services, sid, "contract")
        with services.db.engine.connect() as conn:
            in_31_days = services.retention.plan(conn, ended + timedelta(days=31))
            in_6_years = services.retention.plan(conn, ended + timedelta(days=6 * 365))
        # RF: within 30 days of the purpose achieved (Art. 21 p.4); KZ: the purpose's own
        # retention period after the contract's end (policy 2.1).
        assert in_31_days.subjects_to_destroy == (1 if law == "ru_152fz" else 0)
        assert in_6_years.subjects_to_destroy == 1
    finally:
        services.close()


# -- localisation in the published text -------------------------------------------------------


@pytest.mark.parametrize(("storage", "claimed"), [("KZ", False), ("RU", True)])
def test_publishing_under_ru_states_the_location_and_claims_only_what_holds(
    ru: Container, settings: Settings, storage: str, claimed: bool
) -> None:
    env = {
        "QORGAU_HOME": str(settings.home),
        "QORGAU_DATABASE_URL": settings.resolved_database_url,
        "QORGAU_AUDIT_PARTITIONS": str(settings.audit_partitions),
        "QORGAU_LAW_PROFILE": "ru_152fz",
        "QORGAU_OPERATOR_STORAGE_LOCATION": storage,
        "COLUMNS": "200",
    }
    got = CliRunner().invoke(cli_app, ["policy", "publish"], env=env)
    assert got.exit_code == 0, got.output
    warned = "warning: The storage location 'KZ' does not satisfy RF 152-FZ Art. 18 p.5"
    assert (warned in got.stderr) is not claimed
    with ru.db.engine.connect() as conn:
        current = ru.policy.current(conn)
    assert current is not None
    en = current.texts["en"].body
    where = "the Russian Federation" if storage == "RU" else "the Republic of Kazakhstan"
    assert f"The databases holding personal data are located in {where}." in en
    assert ("requirement of the Law that such databases be located" in en) is claimed
    assert ("(Art. 18 p.5)" in en) is claimed
