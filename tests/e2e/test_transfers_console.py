"""The console's registry, delivery queue and transfer history over real HTTP (a uvicorn
process per database): the operator's storage location and cross-border recipients shown,
an agreement ending within 30 days flagged, dead letters first with a CSRF-protected retry,
a subject's transfers by kind of data (never values), 403 for a role that may not handle
requests, and the problem types of the transfer API documented (policy 6.2-6.4)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx
import orjson
import pytest
from sqlalchemy import select, update

from qorgau.audit.store import audit_event
from qorgau.catalog import normalise_phone
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.i18n import t
from qorgau.transfers.model import DeliveryMode, Kind
from qorgau.transfers.store import outbox
from servers import start_server, stop_server
from transferkit import DPO, agreement, consent_to, partner, person

PASSWORD = "e2e transfer console password 7"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass
class Server:
    base: str
    services: Container
    subject: str = ""
    dead: str = ""
    alive: str = ""
    sent: set[str] = field(default_factory=set)

    def browser(self, lang: str = "ru") -> httpx.Client:
        return httpx.Client(
            base_url=self.base,
            headers={"user-agent": UA, "accept-language": f"{lang},en;q=0.5"},
            timeout=30,
        )


def _seed(services: Container, srv: Server) -> None:
    today = datetime.now(UTC).date()
    with services.db.unit_of_work() as conn:
        reg = services.registry.register
        reg(conn, DPO, partner("mfo-alpha", n=1, delivery=DeliveryMode.PULL))
        reg(conn, DPO, partner("mfo-soon", n=2, contract=agreement(
            start=today - timedelta(days=300), days=310)))  # fmt: skip
        reg(conn, DPO, partner("abroad", n=3, country="DE"))
        reg(conn, DPO, partner("mfo-old", n=4, contract=agreement(
            start=today - timedelta(days=400), days=30)))  # fmt: skip
        reg(conn, DPO, partner("police", kind=Kind.STATE_BODY, delivery=DeliveryMode.NONE,
                                with_agreement=False))  # fmt: skip
        for name, role in (("dpo.tc", "dpo"), ("oper.tc", "operator")):
            services.staff.create_user(conn, name, PASSWORD, role)
    sid = person(services, 71)
    consent_to(services, sid, ("mfo-alpha", "mfo-soon"))
    with services.db.unit_of_work() as conn:
        alive = services.transfers.transfer(conn, DPO, sid, "mfo-alpha", "contract", ("phone",))
        dead = services.transfers.transfer(
            conn, DPO, sid, "mfo-soon", "contract", ("last_name", "iin")
        )
        conn.execute(
            update(outbox)
            .where(outbox.c.transfer_id == dead.id)
            .values(status="dead", attempts=8, last_error="http 503")
        )
        values = services.gate.read(conn, DPO, sid, "contract").values
    srv.subject, srv.dead, srv.alive = sid, dead.id, alive.id
    srv.sent.update(v for k, v in values.items() if k != "loan_amount")
    srv.sent.add(normalise_phone(values["phone"]))


@pytest.fixture(scope="module")
def server(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    services = build_container(module_settings)
    srv = Server("", services)
    _seed(services, srv)
    env = {"QORGAU_RATE_LIMIT_BURST": "300", "QORGAU_RATE_LIMIT_PER_MINUTE": "300"}
    base, proc, _log = start_server(
        module_settings, tmp_path_factory.mktemp("e2e-transfers"), env=env
    )
    srv.base = base
    try:
        yield srv
    finally:
        stop_server(proc)
        services.close()


def token(html: str, form_id: str) -> str:
    start = html.index(f'id="{form_id}"')
    m = re.search(r'name="csrf" value="([^"]+)"', html[start:])
    assert m, "no CSRF token"
    return m.group(1)


def login(http: httpx.Client, username: str) -> None:
    page = http.get("/console/login")
    data = {"csrf": token(page.text, "login-form"), "username": username, "password": PASSWORD}
    r = http.post("/console/login", data=data)
    assert r.status_code == 303, r.text


def main_text(html: str) -> str:
    m = re.search(r"<main.*?</main>", html, re.S)
    assert m
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(0)))).strip()


def no_values(srv: Server, html: str) -> None:
    leaked = sorted(v for v in srv.sent if v in html)
    assert not leaked, f"{len(leaked)} personal values on the page"


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_registry_page_flags_expiring_and_cross_border(server: Server, lang: str) -> None:
    with server.browser(lang) as http:
        login(http, "dpo.tc")
        home = http.get("/console/")
        assert 'href="/console/recipients"' in home.text
        assert 'href="/console/deliveries"' in home.text
        r = http.get("/console/recipients")
        assert r.status_code == 200
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-frame-options"] == "DENY"
        html = r.text
        assert 'id="storage-location" data-country="KZ"' in html
        assert t(lang, "console.recipients.storage", country="KZ") in unescape(html)
        rows = dict(re.findall(r'<tr data-recipient="([a-z0-9-]+)" data-state="([a-z]+)"', html))
        assert rows == {
            "abroad": "valid",
            "mfo-alpha": "valid",
            "mfo-soon": "expiring",
            "mfo-old": "expired",
            "police": "law",
        }
        cross = re.findall(r'data-recipient="([a-z0-9-]+)"[^>]*data-cross-border="yes"', html)
        assert cross == ["abroad"]
        assert 'id="expiring-warning"' in html
        assert t(lang, "console.recipients.expiring", n=1) in unescape(html)
        assert t(lang, "console.badge.expiring") in html
        assert t(lang, "console.badge.cross_border") in html
        assert t(lang, "console.badge.expired") in html
        assert t(lang, "console.rkind.state_body") in html
        assert t(lang, "console.recipients.by_law") in html
        assert "Agreement No. 7/2026 of 01.02.2026" in html
        assert "000000000001" in html  # the fictional partner's BIN


def test_delivery_queue_dead_first_and_retry_with_csrf(server: Server) -> None:
    with server.browser("en") as http:
        login(http, "dpo.tc")
        page = http.get("/console/deliveries")
        assert page.status_code == 200
        order = re.findall(r'<tr data-transfer="([0-9a-f]{32})" data-status="([a-z]+)"', page.text)
        assert order[0] == (server.dead, "dead")
        assert (server.alive, "pending") in order
        assert "http 503" in page.text
        assert f'id="retry-{server.dead}"' in page.text
        assert f'id="retry-{server.alive}"' not in page.text
        no_values(server, page.text)
        url = f"/console/deliveries/{server.dead}/retry"
        # Without the token, or with another form's token: refused, nothing changes.
        assert http.post(url, data={}).status_code == 403
        other = token(page.text, "logout-form")
        assert http.post(url, data={"csrf": other}).status_code == 403
        with server.services.db.engine.connect() as conn:
            assert server.services.queue.deliveries(conn, "dead")[0]["transfer_id"] == (server.dead)
        r = http.post(url, data={"csrf": token(page.text, f"retry-{server.dead}")})
        assert r.status_code == 303
        assert r.headers["location"] == "/console/deliveries"
        after = http.get("/console/deliveries")
        assert f'id="retry-{server.dead}"' not in after.text
        # Retrying again: not dead any more, a clear refusal.
        again = http.post(url, data={"csrf": token(page.text, f"retry-{server.dead}")})
        assert again.status_code == 409
    with server.services.db.engine.connect() as conn:
        assert server.services.queue.deliveries(conn, "dead") == []
        actors = [
            orjson.loads(bytes(r[0]))["by"]
            for r in conn.execute(
                select(audit_event.c.body).where(audit_event.c.action == "transfer.retry")
            )
        ]
    assert len(actors) == 1
    assert actors[0].startswith("staff:")


def test_subject_transfer_history_shows_kinds_of_data_only(server: Server) -> None:
    with server.browser("ru") as http:
        login(http, "dpo.tc")
        r = http.get(f"/console/subjects/{server.subject}/transfers")
        assert r.status_code == 200
        html = r.text
        got = re.findall(r'<tr data-transfer="([0-9a-f]{32})" data-recipient="([a-z0-9-]+)"', html)
        assert sorted(got) == sorted([(server.alive, "mfo-alpha"), (server.dead, "mfo-soon")])
        fields = server.services.catalogue.fields
        for code in ("phone", "last_name", "iin"):
            assert fields[code].labels["ru"] in unescape(html), code
        assert t("ru", "console.basis.consent") in html
        assert "Test Microfinance 1 LLP" in html
        no_values(server, html)
        assert http.get(f"/console/subjects/{'0' * 32}/transfers").status_code == 404
        assert http.get("/console/subjects/not-an-id/transfers").status_code == 404


def test_operator_may_not_see_the_transfer_pages(server: Server) -> None:
    with server.browser("en") as http:
        login(http, "oper.tc")
        for path in (
            "/console/recipients",
            "/console/deliveries",
            f"/console/subjects/{server.subject}/transfers",
        ):
            r = http.get(path)
            assert r.status_code == 403, path
            assert t("en", "console.forbidden") in main_text(r.text)
    with server.browser() as anonymous:
        assert anonymous.get("/console/recipients").status_code == 303


def test_transfer_problem_types_are_documented(server: Server) -> None:
    codes = (
        "transfer-refused",
        "recipient-not-found",
        "recipient-exists",
        "invalid-recipient",
        "invalid-state-request",
        "invalid-delivery-state",
        "transfer-not-found",
        "not-a-partner",
        "partner-key",
        "not-a-pull-partner",
    )
    with httpx.Client(base_url=server.base, timeout=30) as http:
        missing = [c for c in codes if http.get(f"/problems/{c}").status_code != 200]
    assert not missing, missing
