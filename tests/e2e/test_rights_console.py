"""The rights page and the staff console over real HTTP: a uvicorn process per database.

Rights (policy 4.2.1, 4.2.2): a person picks a request, proves who they are with the one-time
code sent to a contact the subject confirmed before (seeded here as the loan form's code
would confirm it; read from the development outbox), and for
"see my data" gets the report as a page in their language; an unknown contact gets the same
page, no code, and an answer in about the same time. Console (policy 7.3.8): argon2id login,
the queue overdue-first, a request's actions, the access report preview, 403 for a role that
may not handle requests, CSRF on every form. No personal value reaches the server's log.
The log test runs last: keep it at the end of the file.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from leakguard import valid_iins
from qorgau.audit import proofcheck
from qorgau.catalog import make_iin, normalise_phone
from qorgau.config import Settings
from qorgau.consent.model import Channel as ConsentChannel
from qorgau.consent.model import ConsentRequest, Evidence
from qorgau.container import Container, build_container
from qorgau.dsr.model import Channel, Kind
from qorgau.dsr.store import dsr_request
from qorgau.i18n import t
from qorgau.security.actors import Actor
from qorgau.stats.facts import Fact
from qorgau.vault.model import NoLiveBasis, SubjectBlocked

LANGS = ("kk", "ru", "en")
DPO = Actor("dpo", "e2e:dpo")
PASSWORD = "e2e console password 42"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
ZONE = ZoneInfo("Asia/Almaty")
TIMING_PAIRS = 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Person:
    subject_id: str
    values: dict[str, str]


@dataclass
class Server:
    base: str
    log: Path
    outbox: Path
    proc: subprocess.Popen[bytes]
    services: Container
    people: dict[str, Person] = field(default_factory=dict)
    timing_phones: list[str] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)

    def browser(self, lang: str = "ru") -> httpx.Client:
        return httpx.Client(
            base_url=self.base,
            headers={"user-agent": UA, "accept-language": f"{lang},en;q=0.5"},
            timeout=30,
            event_hooks={"response": [_no_store]},
        )

    def outbox_entry(self, challenge: str, wait: float = 5.0) -> dict[str, str] | None:
        """The outbox line for a request id; codes are sent after the response, so poll."""
        deadline = time.monotonic() + wait
        while True:
            if self.outbox.exists():
                for line in reversed(self.outbox.read_text(encoding="utf-8").splitlines()):
                    entry: dict[str, str] = json.loads(line)
                    if entry["challenge"] == challenge:
                        return entry
            if time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _no_store(response: httpx.Response) -> None:
    response.read()
    where = f"{response.request.method} {response.request.url.path}"
    assert response.headers.get("cache-control") == "no-store", where


def _phone(n: int) -> str:
    return f"+7 701 {n:03d} {n % 100:02d} {(n * 7) % 100:02d}"


def _seed(services: Container, srv: Server) -> None:
    """Fictional people: one per flow, and some for the timing test; their values are
    remembered for the log check."""
    specs = {
        "access": ("Тестова-Праваева", "Әсел", 501),
        "rectify": ("Исправлева", "Дана", 502),
        "withdraw": ("Отзывова", "Мадина", 503),
        "block": ("Блокова", "Сая", 504),
        "console": ("Консольбаева", "Алия", 505),
        "console_access": ("Отчётова", "Лаура", 506),
        "console_rectify": ("Правкина", "Жанна", 507),
    }
    with services.db.unit_of_work() as conn:
        for key, (last, first, n) in specs.items():
            values = {
                "last_name": last,
                "first_name": first,
                "phone": _phone(n),
                "iin": make_iin(date(1990, 1, 1) + timedelta(days=n), "female", n),
                "email": f"person.{n}@example.org",
                "income": "350000",
                "city": "Семей",
            }
            item = services.gate.prepare("potential_borrower", "contract", values, "staff:e2e")
            sid = services.gate.collect(conn, DPO, item)
            # As the loan form's code would have (the rights page codes only such contacts).
            for kind in ("phone", "email"):
                services.gate.confirm_contact(conn, DPO, sid, kind, values[kind], f"otp:{kind}")
            srv.people[key] = Person(sid, values)
            srv.sent.update(v for k, v in values.items() if k not in ("income", "city"))
            srv.sent.add(normalise_phone(values["phone"]))
        for key in ("access", "withdraw"):
            services.ledger.grant(
                conn,
                DPO,
                ConsentRequest(
                    srv.people[key].subject_id,
                    "offers",
                    "Согласие на предложения (P3).",
                    Evidence("api"),
                    channel=ConsentChannel.API,
                ),
            )
        items = []
        for i in range(TIMING_PAIRS):
            phone = _phone(600 + i)
            srv.timing_phones.append(phone)
            srv.sent.add(normalise_phone(phone))
            items.append(
                services.gate.prepare(
                    "potential_borrower",
                    "contract",
                    {"last_name": "Таймингова", "first_name": "Гүл", "phone": phone},
                    "staff:e2e",
                )
            )
        for sid, item in zip(services.gate.collect_many(conn, DPO, items), items, strict=True):
            services.gate.confirm_contact(conn, DPO, sid, "phone", item.values["phone"], "otp")
        staff = (
            ("dpo.one", "dpo"),
            ("admin.one", "admin"),
            ("oper.one", "operator"),
            ("analyst.one", "analyst"),
            ("oper.two", "operator"),  # locked out by a stranger in one test
            ("dpo.two", "dpo"),  # restrictions, late in the module (dpo.one's logins count)
        )
        for name, role in staff:
            services.staff.create_user(conn, name, PASSWORD, role)


@pytest.fixture(scope="module")
def server(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = module_settings
    services = build_container(s)
    workdir = tmp_path_factory.mktemp("e2e-rights")
    log = workdir / "server.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    env.update(
        QORGAU_HOME=str(s.home),
        QORGAU_DATABASE_URL=s.resolved_database_url,
        QORGAU_AUDIT_PARTITIONS=str(s.audit_partitions),
        QORGAU_RATE_LIMIT_BURST="300",
        QORGAU_RATE_LIMIT_PER_MINUTE="300",
    )
    cmd = [sys.executable, "-m", "uvicorn", "qorgau.asgi:app", "--port", str(port)]
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [*cmd, "--log-level", "info"], cwd=workdir, env=env, stdout=fh, stderr=fh
        )
    srv = Server(f"http://127.0.0.1:{port}", log, s.outbox_path, proc, services)
    try:
        _seed(services, srv)
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{srv.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not answer /healthz:\n{log.read_text()}")
            time.sleep(0.1)
        yield srv
    finally:
        srv.stop()
        services.close()


def token(html: str, form_id: str) -> str:
    start = html.index(f'id="{form_id}"')
    m = re.search(r'name="csrf" value="([^"]+)"', html[start:])
    assert m, "no CSRF token"
    return m.group(1)


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" id="{name}" value="([^"]*)"', html)
    assert m, name
    return m.group(1)


def main_text(html: str) -> str:
    m = re.search(r"<main.*?</main>", html, re.S)
    assert m
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(0)))).strip()


def ask(
    http: httpx.Client, lang: str, kind: str, contact: str, contact_kind: str = "phone"
) -> httpx.Response:
    page = http.get(f"/{lang}/rights")
    assert page.status_code == 200
    data = {
        "csrf": token(page.text, "rights-form"),
        "kind": kind,
        "contact_kind": contact_kind,
        "contact": contact,
    }
    return http.post(f"/{lang}/rights", data=data)


def confirm(http: httpx.Client, lang: str, page: str, code: str) -> httpx.Response:
    data = {
        "csrf": token(page, "rights-code-form"),
        "request": hidden(page, "request"),
        "code": code,
    }
    return http.post(f"/{lang}/rights/confirm", data=data)


def code_for(srv: Server, page: str) -> str:
    entry = srv.outbox_entry(hidden(page, "request"))
    assert entry is not None, "no code in the outbox"
    return entry["code"]


def _request_row(srv: Server, request_id: str) -> dict[str, object]:
    with srv.services.db.engine.connect() as conn:
        row = conn.execute(select(dsr_request).where(dsr_request.c.id == request_id))
        return dict(row.mappings().one())


# -- the rights page -----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_rights_page_in_every_language(server: Server, lang: str) -> None:
    with server.browser(lang) as http:
        home = http.get(f"/{lang}/")
        assert f'href="/{lang}/rights"' in home.text
        assert t(lang, "nav.rights") in home.text
        r = http.get(f"/{lang}/rights")
        assert r.status_code == 200
        html = r.text
        assert f'<html lang="{lang}">' in html
        assert r.headers["x-frame-options"] == "DENY"
        assert "content-security-policy" in r.headers
        assert "<script" not in html
        for key in ("rights.title", "rights.kind.access", "rights.kind.withdraw_consent"):
            assert t(lang, key) in html, key
        for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'<label for="{input_id}">' in html, input_id
        for other in LANGS:
            assert f'href="/{other}/rights"' in html
        bad = ask(http, lang, "", "+7 495 123 45 67")
        assert bad.status_code == 422
        assert t(lang, "rights.kind.required") in bad.text
        assert 'id="error-summary"' in bad.text


def test_access_request_shows_the_report(server: Server) -> None:
    """Known contact -> code from the outbox -> wrong code -> right code -> the report, with
    the audit trail: the events before the checkpoint proved, the proofs downloadable and
    checked with the key /transparency publishes (issue 13, must-have 7)."""
    person = server.people["access"]
    server.services.checkpoint()
    with server.browser("kk") as http:
        r = ask(http, "kk", "access", person.values["phone"])
        assert r.status_code == 200, main_text(r.text)
        assert t("kk", "rights.code.title") in r.text
        assert person.values["phone"] not in r.text
        rid = hidden(r.text, "request")
        code = code_for(server, r.text)
        entry = server.outbox_entry(rid)
        assert entry is not None
        assert entry["to_masked"] in r.text
        assert entry["language"] == "kk"
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        bad = confirm(http, "kk", r.text, wrong)
        assert bad.status_code == 422
        assert t("kk", "rights.code.wrong") in bad.text
        ok = confirm(http, "kk", bad.text, code)
        assert ok.status_code == 200, main_text(ok.text)
        text = main_text(ok.text)
        assert t("kk", "rights.report.title") in text
        for key in ("last_name", "first_name", "iin", "email"):
            assert person.values[key] in text, key
        assert normalise_phone(person.values["phone"]) in text
        # Labels, purposes, bases, consents and rights in the page language.
        cat = server.services.catalogue
        assert cat.field("iin").labels["kk"] in text
        assert cat.purpose("contract").labels["kk"] in text
        assert t("kk", "basis.contract") in text
        assert cat.purpose("offers").labels["kk"] in text
        assert t("kk", "consent.state.live") in text
        assert t("kk", "right.access") in text
        assert t("kk", "unit.working_days", n=3) in text
        assert t("kk", "rights.report.no_recipients") in text
        assert 'id="report-closed"' in ok.text
        _check_trail(http, ok.text, person)
        again = confirm(http, "kk", bad.text, code)
        assert again.status_code == 422
    row = _request_row(server, rid)
    assert row["status"] == "closed"
    assert row["subject_id"] == person.subject_id
    assert row["answered_at"] is not None
    assert server.services.verify_audit().ok


def _check_trail(http: httpx.Client, html: str, person: Person) -> None:
    """The report page's audit trail: proved and pending rows, no value, the bundles of the
    download verify with the single-file checker and the key /transparency publishes."""
    start, end = html.index('id="report-trail-title"'), html.index('id="report-rights-title"')
    trail = html[start:end]
    assert t("kk", "rights.trail.title") in html
    assert re.search(r'<tr data-action="collect" data-proved="yes">', trail)
    assert t("kk", "audit.action.collect") in trail
    assert t("kk", "rights.trail.pending") in trail  # the report's own read
    m = re.search(r'href="data:application/json;base64,([A-Za-z0-9+/=]+)"', trail)
    assert m, "no download of the proofs"
    bundles = json.loads(base64.b64decode(m.group(1)))
    assert {b["entry"]["action"] for b in bundles} >= {"collect", "record", "consent.grant"}
    key = unescape(re.search(r'id="trail-log-key">([^<]+)<', trail).group(1))  # type: ignore[union-attr]
    published = http.get("/transparency.json").json()
    assert published["log_key"] == key
    assert all(proofcheck.check(b, key, []).startswith("ok: event") for b in bundles)
    # The notes in the bundles are the ones /transparency publishes (or older ones of them).
    notes = {p["part"]: p["checkpoint"] for p in published["partitions"]}
    assert all(b["checkpoint"] == notes[b["entry"]["part"]] for b in bundles)
    shown = unescape(trail[: m.start()])
    for value in person.values.values():
        assert value not in shown
    page = http.get("/kk/transparency")
    assert page.status_code == 200
    assert key in unescape(page.text)


def test_unknown_contact_gets_the_same_page_and_no_code(server: Server) -> None:
    known = server.people["block"].values["phone"]
    # Same last two digits as the known number, so even the masked contact is the same.
    unknown = known[:-5] + ("00 " if known[-5:-3] != "00" else "11 ") + known[-2:]
    server.sent.add(unknown)
    with server.browser("ru") as http:
        a = ask(http, "ru", "destroy", known)
        b = ask(http, "ru", "destroy", unknown)
        assert a.status_code == b.status_code == 200
        rid_a, rid_b = hidden(a.text, "request"), hidden(b.text, "request")

        def strip(html: str) -> str:
            return main_text(html.replace(rid_a, "").replace(rid_b, ""))

        assert strip(a.text) == strip(b.text)
        assert t("ru", "rights.code.none") in b.text
        assert server.outbox_entry(rid_a) is not None
        assert server.outbox_entry(rid_b, wait=1.0) is None
        # Any code for the unknown contact: the same answer as a wrong code for a known one.
        wrong = confirm(http, "ru", a.text, "000000")
        guess = confirm(http, "ru", b.text, "000000")
        assert wrong.status_code == guess.status_code == 422
        assert strip(wrong.text) == strip(guess.text)
    assert _request_row(server, rid_b)["status"] == "received"
    assert _request_row(server, rid_b)["subject_id"] is None


def test_known_and_unknown_answer_in_about_the_same_time(server: Server) -> None:
    """The median answer times for known and unknown contacts differ by < 30 ms."""
    known: list[float] = []
    unknown: list[float] = []
    with server.browser("en") as http:
        page = http.get("/en/rights").text
        csrf = token(page, "rights-form")

        def timed(contact: str) -> float:
            data = {"csrf": csrf, "kind": "access", "contact_kind": "phone", "contact": contact}
            started = time.perf_counter()
            r = http.post("/en/rights", data=data)
            took = time.perf_counter() - started
            assert r.status_code == 200
            return took

        timed(_phone(990))  # warm up
        for i, phone in enumerate(server.timing_phones):
            other = _phone(700 + i)
            server.sent.add(other)
            known.append(timed(phone))
            unknown.append(timed(other))
    diff = abs(statistics.median(known) - statistics.median(unknown))
    assert diff < 0.030, f"median known {statistics.median(known):.3f}s, unknown " \
        f"{statistics.median(unknown):.3f}s"  # fmt: skip


def test_rectify_request_takes_the_corrected_values(server: Server) -> None:
    person = server.people["rectify"]
    new_name = "Исправленова"
    server.sent.add(new_name)
    with server.browser("ru") as http:
        r = ask(http, "ru", "rectify", person.values["email"], "email")
        assert r.status_code == 200
        rid = hidden(r.text, "request")
        form = confirm(http, "ru", r.text, code_for(server, r.text))
        assert form.status_code == 200, main_text(form.text)
        cat = server.services.catalogue
        assert f'<label for="value-last_name">{cat.field("last_name").labels["ru"]}</label>' in (
            form.text
        )
        # Labels only: the current values are not shown on this step.
        assert person.values["last_name"] not in form.text
        grant = hidden(form.text, "grant")
        base = {"csrf": token(form.text, "rights-rectify-form"), "request": rid}
        tampered = http.post(
            "/ru/rights/details", data={**base, "grant": grant[:-2] + "00", "value.last_name": "X"}
        )
        assert tampered.status_code == 403
        bad = http.post(
            "/ru/rights/details",
            data={**base, "grant": grant, "value.iin": "123", "value.last_name": ""},
        )
        assert bad.status_code == 422
        done = http.post(
            "/ru/rights/details",
            data={**base, "grant": grant, "value.last_name": new_name, "value.iin": ""},
        )
        assert done.status_code == 200, main_text(done.text)
        row = _request_row(server, rid)
        due = row["due_at"]
        assert isinstance(due, datetime)
        due_local = (due if due.tzinfo else due.replace(tzinfo=UTC)).astimezone(ZONE)
        assert row["reference"]
        assert f'id="reference">{row["reference"]}<' in done.text
        assert due_local.date().isoformat() in done.text
        assert t("ru", "rights.kind.rectify") in done.text
    assert row["status"] == "verified"
    assert row["payload_sealed"] is not None
    assert new_name.encode() not in bytes(row["payload_sealed"])  # type: ignore[arg-type]


def test_withdrawal_takes_effect_at_once_and_block_is_left_for_staff(server: Server) -> None:
    """policy 6.5: a withdrawal, once the code is confirmed, takes effect at once and the
    request is closed (it used to wait for staff); blocking is still staff's to carry out."""
    with server.browser("en") as http:
        r = ask(http, "en", "withdraw_consent", server.people["withdraw"].values["phone"])
        rid = hidden(r.text, "request")
        form = confirm(http, "en", r.text, code_for(server, r.text))
        assert form.status_code == 200
        assert 'id="purpose-offers"' in form.text
        data = {
            "csrf": token(form.text, "rights-withdraw-form"),
            "request": rid,
            "grant": hidden(form.text, "grant"),
            "purpose": "offers",
        }
        done = http.post("/en/rights/details", data=data)
        assert done.status_code == 200
        assert t("en", "rights.withdrawn.title") in done.text
        withdrawn = _request_row(server, rid)
        assert withdrawn["payload_sealed"] is not None  # the request records what was asked
        assert withdrawn["status"] == "closed"
        sid = server.people["withdraw"].subject_id
        with pytest.raises(NoLiveBasis), server.services.db.unit_of_work() as conn:
            server.services.gate.read(conn, DPO, sid, "offers", ["phone"])

        b = ask(http, "en", "block", server.people["block"].values["email"], "email")
        bid = hidden(b.text, "request")
        blocked = confirm(http, "en", b.text, code_for(server, b.text))
        assert blocked.status_code == 200
        row = _request_row(server, bid)
        assert f'id="reference">{row["reference"]}<' in blocked.text
        assert t("en", "rights.kind.block") in blocked.text
    assert row["status"] == "verified"


def test_a_code_for_a_request_staff_refused_is_not_accepted(server: Server) -> None:
    with server.browser("ru") as http:
        r = ask(http, "ru", "access", server.people["rectify"].values["phone"])
        rid = hidden(r.text, "request")
        code = code_for(server, r.text)
        with server.services.db.unit_of_work() as conn:
            server.services.requests.refuse(conn, DPO, rid, "duplicate of an earlier request")
        late = confirm(http, "ru", r.text, code)
        assert late.status_code == 422
        assert late.headers["content-type"].startswith("text/html")
        assert t("ru", "rights.code.wrong") in late.text
    assert _request_row(server, rid)["status"] == "refused"


def test_rights_forms_need_csrf(server: Server) -> None:
    with server.browser() as http:
        http.get("/ru/rights")
        phone = server.people["access"].values["phone"]
        data = {"kind": "access", "contact_kind": "phone", "contact": phone}
        r = http.post("/ru/rights", data=data)
        assert r.status_code == 403
        assert http.post("/ru/rights/confirm", data={"code": "123456"}).status_code == 403
        assert http.post("/ru/rights/details", data={"request": "0" * 32}).status_code == 403


# -- the console --------------------------------------------------------------------------------


def login(http: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    page = http.get("/console/login")
    assert page.status_code == 200
    data = {"csrf": token(page.text, "login-form"), "username": username, "password": password}
    return http.post("/console/login", data=data)


def act(http: httpx.Client, request_id: str, action: str, **fields: str) -> httpx.Response:
    page = http.get(f"/console/requests/{request_id}")
    assert page.status_code == 200
    data = {"csrf": token(page.text, f"action-{action}"), **fields}
    return http.post(f"/console/requests/{request_id}/{action}", data=data)


def _receive(
    srv: Server, kind: Kind, contact: str, *, now: datetime | None = None
) -> tuple[str, str | None]:
    with srv.services.db.unit_of_work() as conn:
        got = srv.services.requests.receive(
            conn, DPO, kind, Channel.PHONE, "phone", contact, "ru", now=now
        )
    return got.request_id, got.code


def test_console_login_session_cookie_and_logout(server: Server) -> None:
    with server.browser() as http:
        first = http.get("/console/")
        assert first.status_code == 303
        assert first.headers["location"] == "/console/login"
        bad = login(http, "dpo.one", "not the password")
        assert bad.status_code == 401
        assert t("ru", "console.login.failed") in bad.text
        nobody = login(http, "nobody.at.all")
        assert nobody.status_code == 401
        assert main_text(nobody.text).replace("nobody.at.all", "dpo.one") == main_text(bad.text)
        r = login(http, "dpo.one")
        assert r.status_code == 303
        assert r.headers["location"] == "/console/"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("qg_staff=")
        lowered = cookie.lower()
        for attr in ("httponly", "samesite=strict", "path=/console", "max-age=", "expires="):
            assert attr in lowered, attr
        page = http.get("/console/")
        assert page.status_code == 200
        assert page.headers["x-frame-options"] == "DENY"
        assert 'id="signed-in"' in page.text
        # No witness configured here: staff are told, in their language (issue 13).
        assert 'id="audit-warning"' in page.text
        assert t("ru", "console.audit_warning.no_witness") in page.text
        stolen = http.cookies["qg_staff"]
        out = http.post("/console/logout", data={"csrf": token(page.text, "logout-form")})
        assert out.status_code == 303
        assert http.get("/console/").status_code == 303
    # The session is revoked server-side: a copy of the cookie no longer works.
    with server.browser() as other:
        other.cookies.set("qg_staff", stolen, path="/console")
        assert other.get("/console/").status_code == 303


def test_queue_is_overdue_first(server: Server) -> None:
    person = server.people["console"]
    past = datetime.now(UTC) - timedelta(days=20)
    overdue_id, _ = _receive(server, Kind.BLOCK, person.values["phone"], now=past)
    fresh_id, _ = _receive(server, Kind.ACCESS, person.values["phone"])
    with server.browser("en") as http:
        assert login(http, "dpo.one").status_code == 303
        page = http.get("/console/")
        assert page.status_code == 200
        order = re.findall(r'<tr data-request="([0-9a-f]{32})" data-state="([a-z_]+)"', page.text)
        ids = [i for i, _ in order]
        assert ids[0] == overdue_id
        assert dict(order)[overdue_id] == "overdue"
        assert ids.index(fresh_id) > ids.index(overdue_id)
        assert t("en", "console.badge.overdue") in page.text
        states = [s for _, s in order]
        assert states == sorted(states, key=["overdue", "due_soon", "on_time", "done"].index)
        # Due dates are shown in the operator's time zone.
        with server.services.db.engine.connect() as conn:
            due = server.services.requests.get(conn, overdue_id).due_at
        assert due.astimezone(ZONE).strftime("%Y-%m-%d %H:%M") in page.text


def test_request_actions_from_verification_to_close(server: Server) -> None:
    person = server.people["console"]
    rid, _ = _receive(server, Kind.BLOCK, person.values["phone"])
    with server.browser("en") as http:
        assert login(http, "dpo.one").status_code == 303
        detail = http.get(f"/console/requests/{rid}")
        assert detail.status_code == 200
        assert detail.headers["x-frame-options"] == "DENY"
        assert 'id="action-verify"' in detail.text
        assert 'id="action-answer"' not in detail.text
        # No CSRF token: refused, nothing changes.
        r = http.post(f"/console/requests/{rid}/start", data={})
        assert r.status_code == 403
        # A token of another form does not fit.
        other = http.post(
            f"/console/requests/{rid}/answer", data={"csrf": token(detail.text, "action-verify")}
        )
        assert other.status_code == 403
        v = act(http, rid, "verify", subject_id=person.subject_id, how="ID card at the office")
        assert v.status_code == 303, main_text(v.text)
        assert act(http, rid, "start").status_code == 303
        twice = act(http, rid, "restrict", ground="")
        assert twice.status_code == 422
        answered = act(http, rid, "answer")
        assert answered.status_code == 303, main_text(answered.text)
        page = http.get(f"/console/requests/{rid}")
        assert 'data-status="answered"' in page.text
        assert act(http, rid, "close").status_code == 303
        page = http.get(f"/console/requests/{rid}")
        assert 'data-status="closed"' in page.text
        events = re.findall(r'<tr data-event="([a-z_]+)">', page.text)
        assert events == ["received", "verified", "started", "answered", "closed"]
        assert "staff:" in page.text
        assert 'id="actions-title"' not in page.text
    # The block was carried out: processing is halted for the subject.
    with server.services.db.unit_of_work() as conn, pytest.raises(SubjectBlocked):
        server.services.gate.read(conn, DPO, person.subject_id, "contract")


def test_report_preview_restrict_refuse_and_rectify(server: Server) -> None:
    person = server.people["console_access"]
    rid, code = _receive(server, Kind.ACCESS, person.values["phone"])
    assert code is not None
    with server.services.db.unit_of_work() as conn:
        assert server.services.requests.verify(conn, DPO, rid, code)
    fixer = server.people["console_rectify"]
    fix_id, fix_code = _receive(server, Kind.RECTIFY, fixer.values["phone"])
    assert fix_code is not None
    with server.services.db.unit_of_work() as conn:
        assert server.services.requests.verify(conn, DPO, fix_id, fix_code)
    corrected = "Исправлена-Консолью"
    server.sent.add(corrected)
    with server.browser("ru") as http:
        assert login(http, "dpo.one").status_code == 303
        preview = http.get(f"/console/requests/{rid}/report")
        assert preview.status_code == 200, main_text(preview.text)
        text = main_text(preview.text)
        assert person.values["last_name"] in text
        assert person.values["iin"] in text
        assert t("ru", "rights.col.retained") in text
        # Restricted access (policy 4.2.2): a typed ground and its reference, never free text.
        free = act(http, rid, "restrict", ground="AML/CFT law: check", reference="AFM 5/2026")
        assert free.status_code == 422
        assert 'id="action-error"' in free.text
        done = act(http, rid, "restrict", ground="aml_cft", reference="AFM request 5/2026")
        assert done.status_code == 303, main_text(done.text)
        page = http.get(f"/console/requests/{rid}")
        assert 'data-restricted="yes"' in page.text
        assert "AFM request 5/2026" in page.text  # staff see the reference
        restricted = http.get(f"/console/requests/{rid}/report")
        assert 'id="report-restricted"' in restricted.text
        assert person.values["iin"] not in restricted.text
        assert "AFM" not in main_text(restricted.text)  # the person never does
        refused = act(http, rid, "refuse", reason="AML/CFT law: access restricted")
        assert refused.status_code == 303
        assert 'data-status="refused"' in http.get(f"/console/requests/{rid}").text
        # The restriction is of the person: their next request is restricted too ...
        again, again_code = _receive(server, Kind.ACCESS, person.values["phone"])
        assert again_code is not None
        with server.services.db.unit_of_work() as conn:
            assert server.services.requests.verify(conn, DPO, again, again_code)
        assert 'id="report-restricted"' in http.get(f"/console/requests/{again}/report").text
        # ... until staff lift it, from the request's page.
        page = http.get(f"/console/requests/{again}")
        found = re.search(r'data-restriction="([0-9a-f]{32})" data-active="yes"', page.text)
        assert found is not None
        rest = found.group(1)
        listed = http.get("/console/restrictions")
        assert listed.status_code == 200
        assert f'data-restriction="{rest}"' in listed.text
        lift = {"csrf": token(page.text, f"lift-{rest}"), "reason": "AFM check closed",
                "request": again}  # fmt: skip
        lifted = http.post(f"/console/restrictions/{rest}/lift", data=lift)
        assert lifted.status_code == 303
        assert lifted.headers["location"] == f"/console/requests/{again}"
        twice = http.post(f"/console/restrictions/{rest}/lift", data=lift)
        assert twice.status_code == 409
        open_again = http.get(f"/console/requests/{again}/report")
        assert 'id="report-restricted"' not in open_again.text
        assert person.values["iin"] in open_again.text
        # Rectification applied by staff.
        empty = act(http, fix_id, "answer")
        assert empty.status_code == 422
        assert 'id="action-error"' in empty.text
        done = act(http, fix_id, "answer", field_1="last_name", value_1=corrected)
        assert done.status_code == 303, main_text(done.text)
        # A request id that does not exist, or is not an id at all.
        assert http.get(f"/console/requests/{'0' * 32}").status_code == 404
        assert http.get("/console/requests/not-an-id").status_code == 404
    with server.services.db.unit_of_work() as conn:
        values = server.services.gate.read(conn, DPO, fixer.subject_id, "contract").values
    assert values["last_name"] == corrected


def test_admin_sees_masks_and_operator_is_refused(server: Server) -> None:
    person = server.people["console_access"]
    rid, code = _receive(server, Kind.ACCESS, person.values["phone"])
    assert code is not None
    with server.services.db.unit_of_work() as conn:
        assert server.services.requests.verify(conn, DPO, rid, code)
    with server.browser("en") as http:
        assert login(http, "oper.one").status_code == 303
        for path in ("/console/", f"/console/requests/{rid}", f"/console/requests/{rid}/report"):
            r = http.get(path)
            assert r.status_code == 403, path
            assert t("en", "console.forbidden") in r.text
        r = http.post(f"/console/requests/{rid}/close", data={})
        assert r.status_code == 403
    with server.browser("en") as http:
        assert login(http, "admin.one").status_code == 303
        preview = http.get(f"/console/requests/{rid}/report")
        assert preview.status_code == 200
        assert person.values["last_name"] in preview.text
        assert person.values["iin"] not in preview.text  # high sensitivity: masked for admin


def test_login_is_rate_limited_per_username(server: Server) -> None:
    with server.browser("en") as http:
        statuses = [login(http, "admin.one", "wrong password!").status_code for _ in range(8)]
    assert statuses[0] == 401
    assert 429 in statuses
    first = statuses.index(429)
    assert all(s == 429 for s in statuses[first:])


def test_a_stranger_guessing_cannot_lock_out_a_browser_that_logged_in_before(
    server: Server,
) -> None:
    """The per-username limit spares a browser holding that user's device cookie from an
    earlier successful login (issue 11); the stranger stays limited."""
    with server.browser("en") as own, server.browser("en") as stranger:
        assert login(own, "oper.two").status_code == 303
        device = own.cookies.get("qg_device", path="/console/login")
        assert device
        assert "oper" not in device
        own.cookies.delete("qg_staff", path="/console")
        guesses = [login(stranger, "oper.two", "guess " + str(i)).status_code for i in range(6)]
        assert guesses[-1] == 429  # the stranger is limited for this user...
        assert login(own, "oper.two").status_code == 303  # ...the staff member is not
        # A forged or another user's device cookie does not help the stranger.
        stranger.cookies.set("qg_device", device, path="/console/login")
        assert login(stranger, "admin.one", "guess").status_code in (401, 429)
        forged = device.split(".")[0] + ".0000"
        stranger.cookies.set("qg_device", forged, path="/console/login")
        assert login(stranger, "oper.two", "guess").status_code == 429


def test_stats_page_draws_the_chart_and_withholds_small_cells(server: Server) -> None:
    base = {
        "month": "2026-10",
        "age_band": "25-34",
        "sex": "female",
        "amount_band": "100-250k",
        "outcome": "issued",
        "subject_category": "borrower",
        "amount_kzt": 200_000,
    }
    regions = {"almaty": 9, "astana": 8, "pavlodar": 2}
    facts = [Fact(region=r, **base) for r, n in regions.items() for _ in range(n)]
    with server.services.db.unit_of_work() as conn:
        server.services.stats.record(conn, facts)
    with server.browser("en") as http:
        assert login(http, "analyst.one").status_code == 303
        page = http.get("/console/stats", params={"by": "region"})
        assert page.status_code == 200
        assert 'id="nav-stats"' in page.text
        assert "<svg" in page.text
        rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th>\s*<td>([^<]+)</td>", page.text)
        cells = dict(rows)
        # 2 < k: withheld, and one more cell with it so the total cannot give it away.
        assert cells["pavlodar"] == t("en", "console.stats.withheld")
        shown = [v for v in cells.values() if v.isdigit()]
        assert shown
        assert len(shown) < len(cells) - 1
        assert http.get("/console/stats", params={"by": "iin"}).status_code == 422
    with server.browser("en") as http:
        assert login(http, "oper.one").status_code == 303
        refused = http.get("/console/stats")
        assert refused.status_code == 403
        assert t("en", "console.stats.forbidden") in refused.text


def test_console_restricts_a_person_directly_and_lists_them_for_review(server: Server) -> None:
    """Policy 4.2.2: a restriction of the person, set without a request in hand, covering
    one data category; the restrictions page lists it and lifts it."""
    person = server.people["console"]
    with server.browser("en") as http:
        assert login(http, "dpo.two").status_code == 303
        page = http.get("/console/restrictions")
        assert page.status_code == 200
        assert 'id="nav-restrictions"' in page.text
        form = {"csrf": token(page.text, "action-restriction"), "subject_id": person.subject_id,
                "ground": "x", "reference": "Claim 12/2026"}  # fmt: skip
        free = http.post("/console/restrictions", data=form)
        assert free.status_code == 422
        assert 'id="action-error"' in free.text
        form.update(ground="third_party_rights", fields=["income"])
        done = http.post("/console/restrictions", data=form)
        assert done.status_code == 303
        page = http.get("/console/restrictions")
        found = re.search(r'data-restriction="([0-9a-f]{32})" data-active="yes"', page.text)
        assert found is not None
        assert "Claim 12/2026" in page.text
        lift = {"csrf": token(page.text, f"lift-{found.group(1)}"), "reason": "claim withdrawn"}
        lifted = http.post(f"/console/restrictions/{found.group(1)}/lift", data=lift)
        assert lifted.status_code == 303
        assert lifted.headers["location"] == "/console/restrictions"
        assert f'data-restriction="{found.group(1)}"' not in http.get("/console/restrictions").text
        shown = http.get("/console/restrictions", params={"all": "1"}).text
        assert f'data-restriction="{found.group(1)}" data-active="no"' in shown
    with server.browser("en") as http:
        assert login(http, "oper.one").status_code == 303
        assert http.get("/console/restrictions").status_code == 403


# -- keep this last ------------------------------------------------------------------------------


def test_server_log_has_no_personal_values(server: Server) -> None:
    """DESIGN 5: nothing a person or staff typed reaches the log (the outbox echo is masked)."""
    server.stop()
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "Application startup complete" in log
    assert "qorgau outbox:" in log
    leaked = sorted(v for v in server.sent if v in log)
    assert not leaked, f"{len(leaked)} personal values in the server log"
    assert not valid_iins(log)
    assert PASSWORD not in log
    with contextlib.suppress(FileNotFoundError):
        outbox = server.outbox.read_text(encoding="utf-8")
        assert not [v for v in server.sent if v in outbox]
