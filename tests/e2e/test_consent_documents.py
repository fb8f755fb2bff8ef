"""Consents as documents and withdrawal at once, over real HTTP (issue 14, must-haves 4, 7).

A uvicorn process per database (SQLite and PostgreSQL) under the Kazakh profile: a person
applies on the site with consents, confirms the code from the development outbox, then on the
rights page gets the access report and each consent's document as a page and as a PDF (what
LAW.md Art. 8 p.4 requires, the full name, the one-time code's record), withdraws a consent
and sees it take effect at once (the gate refuses that purpose immediately), or sees the
reason the profile refuses it; staff open the same documents in the console and the API.
A second process on the same database runs the Russian profile, where each consent is its
own document with its own confirmation. No personal value reaches either server's log.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from leakguard import valid_iins
from pdftext import pdf_text
from qorgau.catalog import make_iin, normalise_phone
from qorgau.config import Settings
from qorgau.consent.model import BasisKind, Channel, ConsentRequest, Evidence
from qorgau.consent.store import consent
from qorgau.container import Container, build_container
from qorgau.dsr.store import dsr_request
from qorgau.i18n import t
from qorgau.intake.store import lead
from qorgau.security.actors import Actor
from qorgau.vault.model import NoLiveBasis
from servers import start_server, stop_server

DPO = Actor("dpo", "e2e:dpo")
PASSWORD = "e2e consent documents 42"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass
class Site:
    base: str
    ru_base: str
    logs: list[Path]
    outbox: Path
    procs: list[subprocess.Popen[bytes]]
    services: Container
    token: str
    sent: set[str] = field(default_factory=set)
    serial: int = 700

    def browser(self, lang: str = "ru", *, ru: bool = False) -> httpx.Client:
        return httpx.Client(
            base_url=self.ru_base if ru else self.base,
            headers={"user-agent": UA, "accept-language": f"{lang},en;q=0.5"},
            timeout=30,
            event_hooks={"response": [_no_store]},
        )

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )

    def person(self, last: str) -> dict[str, str]:
        self.serial += 1
        n = self.serial
        values = {
            "last_name": last,
            "first_name": "Айжан",
            "patronymic": "Маратқызы",
            "phone": f"+7 701 {n:03d} {n % 100:02d} {(n * 3) % 100:02d}",
            "iin": make_iin(date(1989, 5, 6), "female", n),
            "email": f"aizhan.{n}@example.com",
            "city": "Семей",
            "loan_amount": "150 000",
            "loan_term_days": "30",
            "income": "300 000",
            "employment": "employed",
            "note": "",
        }
        self.sent.update({values["last_name"], values["phone"], values["iin"], values["email"]})
        self.sent.add(normalise_phone(values["phone"]))
        return values

    def code(self, challenge: str) -> str:
        for line in reversed(self.outbox.read_text(encoding="utf-8").splitlines()):
            entry: dict[str, str] = json.loads(line)
            if entry["challenge"] == challenge:
                return entry["code"]
        raise AssertionError("no outbox entry")


def _no_store(response: httpx.Response) -> None:
    response.read()
    assert response.headers.get("cache-control") == "no-store", response.request.url.path


@pytest.fixture(scope="module")
def site(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = module_settings
    services = build_container(s)
    with services.db.unit_of_work() as conn:
        services.policy.publish(conn, DPO, note="first")
        services.staff.create_user(conn, "dpo.docs", PASSWORD, "dpo")
        _key, token = services.api_keys.create_key(conn, "dpo", "e2e-docs")
    env = {"QORGAU_RATE_LIMIT_BURST": "300", "QORGAU_RATE_LIMIT_PER_MINUTE": "300"}
    base, proc, log = start_server(s, tmp_path_factory.mktemp("e2e-docs-kz"), env=env)
    procs, logs = [proc], [log]
    try:
        ru_env = {**env, "QORGAU_LAW_PROFILE": "ru_152fz"}
        ru_base, ru_proc, ru_log = start_server(
            s, tmp_path_factory.mktemp("e2e-docs-ru"), env=ru_env
        )
        procs.append(ru_proc)
        logs.append(ru_log)
        yield Site(base, ru_base, logs, s.outbox_path, procs, services, token)
    finally:
        for p in procs:
            stop_server(p)
        services.close()


def token(html: str, form_id: str) -> str:
    start = html.index(f'id="{form_id}"')
    m = re.search(r'name="csrf" value="([^"]+)"', html[start:])
    assert m, f"no CSRF token in {form_id}"
    return m.group(1)


def hidden(html: str, name: str, form_id: str | None = None) -> str:
    part = html[html.index(f'id="{form_id}"') :] if form_id else html
    m = re.search(rf'name="{name}"(?: id="{name}")? value="([^"]*)"', part)
    assert m, name
    return m.group(1)


def main_text(html: str) -> str:
    m = re.search(r"<main.*?</main>", html, re.S)
    assert m
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(0)))).strip()


def apply(
    site: Site, http: httpx.Client, lang: str, values: dict[str, str], consents: tuple[str, ...]
) -> httpx.Response:
    """The loan form and its code: the page after the code."""
    page = http.get(f"/{lang}/apply")
    data: dict[str, str | list[str]] = {"csrf": token(page.text, "apply-form"), **values}
    data["consent"] = list(consents)
    data["channel"] = "phone"
    r = http.post(f"/{lang}/apply", data=data)
    assert r.status_code == 200, main_text(r.text)
    challenge = hidden(r.text, "challenge")
    done = http.post(
        f"/{lang}/confirm",
        data={"csrf": token(r.text, "confirm-form"), "challenge": challenge,
              "code": site.code(challenge)},
    )  # fmt: skip
    assert done.status_code == 200, main_text(done.text)
    return done


def subject_of(site: Site, html: str) -> str:
    m = re.search(r'id="reference">(QG-[0-9A-Z]{4}-[0-9A-Z]{4})<', html)
    assert m
    with site.services.db.engine.connect() as conn:
        sid = conn.execute(select(lead.c.subject_id).where(lead.c.reference == m.group(1)))
        return str(sid.scalar_one())


def consents_of(site: Site, sid: str) -> dict[str, str]:
    with site.services.db.engine.connect() as conn:
        rows = conn.execute(
            select(consent.c.purpose, consent.c.id).where(consent.c.subject_id == sid)
        )
        return {str(p): str(i) for p, i in rows}


def rights_request(
    site: Site, http: httpx.Client, lang: str, kind: str, phone: str
) -> httpx.Response:
    """Ask on the rights page and confirm the code: the page after the code."""
    page = http.get(f"/{lang}/rights")
    r = http.post(
        f"/{lang}/rights",
        data={"csrf": token(page.text, "rights-form"), "kind": kind, "contact_kind": "phone",
              "contact": phone},
    )  # fmt: skip
    rid = hidden(r.text, "request")
    deadline = time.monotonic() + 5  # the code is sent after the response
    while True:
        try:
            code = site.code(rid)
            break
        except (AssertionError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    done = http.post(
        f"/{lang}/rights/confirm",
        data={"csrf": token(r.text, "rights-code-form"), "request": rid, "code": code},
    )
    assert done.status_code == 200, main_text(done.text)
    return done


def open_document(
    http: httpx.Client, lang: str, page: str, cid: str, fmt: str = "html", **over: str
) -> httpx.Response:
    form = f"consent-doc-{cid}"
    data = {
        "csrf": token(page, form),
        "request": hidden(page, "request", form),
        "consent": cid,
        "grant": hidden(page, "grant", form),
        "format": fmt,
        **over,
    }
    return http.post(f"/{lang}/rights/consent", data=data)


def _request_row(site: Site, rid: str) -> dict[str, object]:
    with site.services.db.engine.connect() as conn:
        return dict(
            conn.execute(select(dsr_request).where(dsr_request.c.id == rid)).mappings().one()
        )


# -- the person ---------------------------------------------------------------------------------


def test_the_person_gets_each_consent_as_a_page_and_a_pdf(site: Site) -> None:
    values = site.person("Құжатова")
    with site.browser("ru") as http:
        done = apply(site, http, "ru", values, ("offers", "transfer"))
        sid = subject_of(site, done.text)
        ids = consents_of(site, sid)
        report = rights_request(site, http, "ru", "access", values["phone"])
        assert 'id="report-consents"' in report.text
        for cid in ids.values():
            assert f'id="consent-doc-{cid}"' in report.text
        page = open_document(http, "ru", report.text, ids["transfer"])
        assert page.status_code == 200, main_text(page.text)
        text = main_text(page.text)
        assert "Құжатова Айжан Маратқызы" in text
        assert site.services.settings.operator.bin in text
        assert "Трансграничная передача" in text
        assert "не допускается" in text
        assert "ИИН" in text  # the exact data of the transfer consent
        with site.services.db.engine.connect() as conn:
            record = conn.execute(
                select(consent.c.evidence_record).where(consent.c.id == ids["transfer"])
            ).scalar_one()
        challenge = json.loads(record)["code"]["challenge"]
        assert challenge in text
        assert site.services.intake.consent_texts("ru")["transfer"] in unescape(page.text)
        pdf = open_document(http, "ru", page.text, ids["transfer"], "pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert "attachment" in pdf.headers["content-disposition"]
        extracted = pdf_text(pdf.content)
        assert "Құжатова Айжан Маратқызы" in extracted
        assert challenge in extracted
        assert "Согласие на обработку персональных данных" in extracted
        # In English too, the frame's words in English, the text as it was given.
        en = open_document(http, "en", report.text, ids["offers"], "pdf")
        assert "Consent to the processing of personal data" in pdf_text(en.content)
        # A forged token, or a consent that is not the requester's: nothing.
        forged = open_document(http, "ru", report.text, ids["offers"], grant="1.00")
        assert forged.status_code == 403
        other = open_document(http, "ru", report.text, ids["offers"], consent="f" * 32)
        assert other.status_code == 403
        assert "Құжатова" not in other.text


def test_a_withdrawal_on_the_rights_page_takes_effect_at_once(site: Site) -> None:
    """Failed before: the withdrawal waited in the staff queue for 3 working days."""
    values = site.person("Кері-Қайтарова")
    with site.browser("kk") as http:
        done = apply(site, http, "kk", values, ("offers",))
        sid = subject_of(site, done.text)
        form = rights_request(site, http, "kk", "withdraw_consent", values["phone"])
        rid = hidden(form.text, "request")
        assert 'id="purpose-offers"' in form.text
        withdrawn = http.post(
            "/kk/rights/details",
            data={"csrf": token(form.text, "rights-withdraw-form"), "request": rid,
                  "grant": hidden(form.text, "grant"), "purpose": "offers"},
        )  # fmt: skip
        assert withdrawn.status_code == 200
        assert t("kk", "rights.withdrawn.title") in withdrawn.text
        # At once: the gate refuses the purpose, the request is closed, no queue.
        with pytest.raises(NoLiveBasis), site.services.db.unit_of_work() as conn:
            site.services.gate.read(conn, DPO, sid, "offers", ["phone"])
        row = _request_row(site, rid)
        assert row["status"] == "closed"
        assert row["payload_sealed"] is not None
        with site.services.db.engine.connect() as conn:
            assert rid not in {v.id for v in site.services.requests.queue(conn)}
        cid = consents_of(site, sid)["offers"]
        doc = open_document(http, "kk", withdrawn.text, cid)
        assert doc.status_code == 200
        assert t("kk", "consent.state.withdrawn") in main_text(doc.text)


def test_a_withdrawal_the_profile_forbids_shows_the_reason(site: Site) -> None:
    values = site.person("Міндеттемова")
    with site.browser("en") as http:
        done = apply(site, http, "en", values, ())
        sid = subject_of(site, done.text)
        with site.services.db.unit_of_work() as conn:
            site.services.ledger.grant(
                conn, DPO,
                ConsentRequest(sid, "contract", "Loan agreement consent.", Evidence("api"),
                               channel=Channel.API),
            )  # fmt: skip
            site.services.ledger.record_basis(
                conn, DPO, sid, "contract", BasisKind.CONTRACT, "loan agreement 2026/77",
                obligation=True,
            )  # fmt: skip
        form = rights_request(site, http, "en", "withdraw_consent", values["phone"])
        rid = hidden(form.text, "request")
        r = http.post(
            "/en/rights/details",
            data={"csrf": token(form.text, "rights-withdraw-form"), "request": rid,
                  "grant": hidden(form.text, "grant"), "purpose": "contract"},
        )  # fmt: skip
        assert r.status_code == 200
        text = main_text(r.text)
        assert t("en", "rights.withdraw.refused.title") in text
        assert "kz_94v Art. 8 p.2" in text
        assert "obligation" in text
        assert _request_row(site, rid)["status"] == "closed"
        with site.services.db.unit_of_work() as conn:
            assert site.services.gate.read(conn, DPO, sid, "contract", ["phone"]).values


# -- staff ---------------------------------------------------------------------------------------


def test_staff_open_consent_documents_in_the_console_and_the_api(site: Site) -> None:
    values = site.person("Консольдокова")
    with site.browser("ru") as http:
        done = apply(site, http, "ru", values, ("service_info",))
        sid = subject_of(site, done.text)
        cid = consents_of(site, sid)["service_info"]
        report = rights_request(site, http, "ru", "access", values["phone"])
        rid = hidden(report.text, "request", f"consent-doc-{cid}")
    with site.browser("ru") as http:
        page = http.get("/console/login")
        http.post(
            "/console/login",
            data={"csrf": token(page.text, "login-form"), "username": "dpo.docs",
                  "password": PASSWORD},
        )  # fmt: skip
        preview = http.get(f"/console/requests/{rid}/report")
        assert preview.status_code == 200
        assert f'href="/console/requests/{rid}/consents/{cid}"' in preview.text
        doc = http.get(f"/console/requests/{rid}/consents/{cid}")
        assert doc.status_code == 200
        assert "Консольдокова Айжан Маратқызы" in main_text(doc.text)
        pdf = http.get(f"/console/requests/{rid}/consents/{cid}.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert "Консольдокова Айжан Маратқызы" in pdf_text(pdf.content)
    with site.api() as api:
        got = api.get(
            f"/api/v1/subjects/{sid}/consents/{cid}/document", params={"purpose": "contract"}
        )
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["full_name"] == "Консольдокова Айжан Маратқызы"
        assert body["evidence"]["code"]["channel"] == "phone"
        assert [f["code"] for f in body["fields"]][:2] == ["last_name", "first_name"]
        assert api.get(f"/api/v1/subjects/{sid}/consents/{cid}/document").status_code == 422
        pdf = api.get(
            f"/api/v1/subjects/{sid}/consents/{cid}/document.pdf",
            params={"purpose": "contract", "lang": "kk"},
        )
        assert pdf.headers["content-type"] == "application/pdf"
        assert "Дербес деректерді өңдеуге келісім" in pdf_text(pdf.content)
        via_request = api.get(f"/api/v1/requests/{rid}/consents/{cid}/document")
        assert via_request.json()["full_name"] == body["full_name"]
        listed = api.get(f"/api/v1/subjects/{sid}/consents").json()["consents"]
        assert listed[0]["full_name_sealed"] is True


# -- the Russian profile: each consent its own document -------------------------------------------


def test_under_the_russian_profile_each_consent_is_confirmed_separately(site: Site) -> None:
    values = site.person("Отдельнова")
    with site.browser("ru", ru=True) as http:
        page = apply(site, http, "ru", values, ("offers", "transfer"))
        assert t("ru", "consents.separate.title") in page.text
        sid = subject_of(site, page.text)
        assert consents_of(site, sid) == {}  # the code granted none
        for code in ("offers", "transfer"):
            assert f'id="doc-{code}-form"' in page.text
        assert "Отдельнова Айжан Маратқызы" in main_text(page.text)
        assert site.services.intake.consent_texts("ru")["offers"] in unescape(page.text)

        def press(html: str, code: str, **over: str) -> httpx.Response:
            form = f"doc-{code}-form"
            data = {
                "csrf": token(html, form),
                "challenge": hidden(html, "challenge", form),
                "grant": hidden(html, "grant", form),
                "consent": code,
                **over,
            }
            return http.post("/ru/consents/confirm", data=data)

        assert press(page.text, "offers", grant="1.00").status_code == 403
        first = press(page.text, "offers")
        assert first.status_code == 200
        assert 'id="doc-offers-confirmed"' in first.text
        assert 'id="doc-transfer-form"' in first.text
        assert set(consents_of(site, sid)) == {"offers"}
        last = press(first.text, "transfer")
        assert last.status_code == 200
        assert t("ru", "done.title") in last.text
        assert set(consents_of(site, sid)) == {"offers", "transfer"}
    with site.services.db.engine.connect() as conn:
        records = conn.execute(
            select(consent.c.evidence_record).where(consent.c.subject_id == sid)
        ).scalars()
        assert all(json.loads(r)["code"]["separate_at"] for r in records)


def test_no_personal_value_in_the_server_logs(site: Site) -> None:
    for log in site.logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        for value in site.sent:
            assert value not in text, "a personal value reached the server log"
        assert not valid_iins(text)
