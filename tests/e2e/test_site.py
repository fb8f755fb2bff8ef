"""The public site over real HTTP: a uvicorn process per database (SQLite and PostgreSQL).

Every response is checked by a client hook for ``Cache-Control: no-store``. The flows are the
ones a person follows without JavaScript: read the policy in kk/ru/en (policy 8.2), choose
cookies (policy 5.1), fill in the loan request with per-field errors in the page's language
(policy 3.2, 5.1), confirm with the one-time code from the development outbox, and get a
reference. Personal values travel only in POST bodies and never reach the server's log
(DESIGN 5). The rate-limit test and the log test run last: keep them at the end of the file.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from leakguard import valid_iins
from qorgau.catalog import SPECIAL_CATEGORIES, make_iin, normalise_phone
from qorgau.config import Settings
from qorgau.consent.store import consent
from qorgau.container import Container, build_container
from qorgau.i18n import error_message, t
from qorgau.intake.store import lead
from qorgau.security.actors import Actor
from qorgau.tracking.store import cookie_choice, visit
from servers import start_server, stop_server

LANGS = ("kk", "ru", "en")
DPO = Actor("dpo", "e2e:dpo")
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
ESCAPE_PROBE = "<script>alert('policy')</script>"


@dataclass
class Site:
    base: str
    log: Path
    outbox: Path
    proc: subprocess.Popen[bytes]
    services: Container
    sent: set[str] = field(default_factory=set)
    serial: int = 100

    def browser(self, lang: str = "ru") -> httpx.Client:
        """A cookie-keeping client, like a browser without JavaScript."""
        return httpx.Client(
            base_url=self.base,
            headers={"user-agent": UA, "accept-language": f"{lang},en;q=0.5"},
            timeout=30,
            event_hooks={"response": [_no_store]},
        )

    def person(self, **over: str) -> dict[str, str]:
        """A fictional applicant (unique IIN and phone); remembered for the log check."""
        self.serial += 1
        n = self.serial
        values = {
            "last_name": "Тестбаева-Сайтова",
            "first_name": "Жанар",
            "patronymic": "",
            "phone": f"+7 701 {n:03d} {n % 100:02d} {(n * 7) % 100:02d}",
            "iin": make_iin(date(1988, 3, 9), "female", n),
            "email": f"zhanar.{n}@example.com",
            "city": "Семей",
            "loan_amount": "200 000",
            "loan_term_days": "45",
            "income": "280 000",
            "employment": "employed",
            "note": "",
        }
        values.update(over)
        for k in ("last_name", "phone", "iin", "email"):
            self.sent.add(values[k])
        with contextlib.suppress(ValueError):
            self.sent.add(normalise_phone(values["phone"]))
        return values

    def outbox_code(self, challenge: str) -> dict[str, str]:
        for line in reversed(self.outbox.read_text(encoding="utf-8").splitlines()):
            entry: dict[str, str] = json.loads(line)
            if entry["challenge"] == challenge:
                return entry
        raise AssertionError("no outbox entry for the challenge")

    def stop(self) -> None:
        stop_server(self.proc)


def _no_store(response: httpx.Response) -> None:
    response.read()
    where = f"{response.request.method} {response.request.url.path}"
    assert response.headers.get("cache-control") == "no-store", where


@pytest.fixture(scope="module")
def site(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = module_settings
    services = build_container(s)
    with services.db.unit_of_work() as conn:
        services.policy.publish(conn, DPO, note="first")
        # v2: the English text is the operator's own and carries markup to be escaped.
        own = f"# Privacy policy\n\nOwn text {ESCAPE_PROBE}\n\n- one item\n- **two**\n"
        services.policy.publish(conn, DPO, {"en": own}, note="second")
    base, proc, log = start_server(
        s,
        tmp_path_factory.mktemp("e2e-site"),
        env={"QORGAU_RATE_LIMIT_BURST": "60", "QORGAU_RATE_LIMIT_PER_MINUTE": "60"},
    )
    srv = Site(base, log, s.outbox_path, proc, services)
    try:
        yield srv
    finally:
        srv.stop()
        services.close()


def token(html: str, form_id: str | None = None, form_name: str | None = None) -> str:
    """The CSRF token of a form (by its id), or of the cookie banner's form."""
    if form_id is not None:
        start = html.index(f'id="{form_id}"')
        html = html[start:]
    elif form_name is not None:
        html = html[html.index(f'action="{form_name}"') :]
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token"
    return m.group(1)


def main_text(html: str) -> str:
    m = re.search(r"<main.*?</main>", html, re.S)
    assert m
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(0))))


def apply(
    http: httpx.Client, lang: str, values: dict[str, str], consents: tuple[str, ...] = (),
    channel: str = "phone",
) -> httpx.Response:  # fmt: skip
    page = http.get(f"/{lang}/apply")
    assert page.status_code == 200
    data: dict[str, str | list[str]] = {"csrf": token(page.text, "apply-form"), **values}
    data["consent"] = list(consents)
    data["channel"] = channel
    return http.post(f"/{lang}/apply", data=data)


def hidden(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" id="{name}" value="([^"]*)"', html)
    assert m, name
    return m.group(1)


# -- pages -----------------------------------------------------------------------------------------


def test_root_redirects_by_accept_language(site: Site) -> None:
    with site.browser() as http:
        for header, lang in (("kk-KZ,kk;q=0.9", "kk"), ("en-GB", "en"), ("de-DE", "ru")):
            r = http.get("/", headers={"accept-language": header})
            assert r.status_code == 302
            assert r.headers["location"] == f"/{lang}/"
        assert http.get("/status").status_code == 200


@pytest.mark.parametrize("lang", LANGS)
def test_pages_in_every_language(site: Site, lang: str) -> None:
    """lang attribute, translated frame, skip link, every input labelled, no third party."""
    with site.browser(lang) as http:
        for path in ("/", "/apply", "/policy", "/policy/versions", "/cookies"):
            r = http.get(f"/{lang}{path}")
            assert r.status_code == 200, path
            html = r.text
            assert f'<html lang="{lang}">' in html, path
            assert t(lang, "nav.apply") in html, path
            assert 'class="skip-link" href="#main"' in html
            assert 'id="main"' in html
            assert "content-security-policy" in r.headers
            assert "http://" not in html.replace(site.base, "")
            for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
                assert f'<label for="{input_id}">' in html, (path, input_id)
            for other in LANGS:
                assert f'href="/{other}{path}"' in html, (path, other)
        assert http.get("/static/site.css").status_code == 200
        assert http.get(f"/{lang}/policy/v999").status_code == 404
        assert http.get("/xx/apply").status_code == 404  # not a language: the app's own 404


def test_policy_current_versions_and_unknown(site: Site) -> None:
    """policy 8.2: the current version and every earlier one by id, in each language."""
    with site.browser() as http:
        current = http.get("/ru/policy")
        assert current.status_code == 200
        assert 'data-version="v2"' in current.text
        assert t("ru", "policy.current") in current.text
        old = http.get("/ru/policy/v1")
        assert old.status_code == 200
        assert 'data-version="v1"' in old.text
        assert 'href="/ru/policy"' in old.text
        assert "<h1" in old.text
        assert "<h2" in old.text
        versions = http.get("/kk/policy/versions")
        assert 'href="/kk/policy/v1"' in versions.text
        assert 'href="/kk/policy/v2"' in versions.text
        for missing in ("/ru/policy/v9", "/ru/policy/bogus", "/en/policy/v0x"):
            r = http.get(missing)
            assert r.status_code == 404, missing
            assert r.headers["content-type"].startswith("text/html")
        # The operator's own text is escaped, never passed through as HTML.
        en = http.get("/en/policy")
        assert ESCAPE_PROBE not in en.text
        assert "&lt;script&gt;" in en.text
        assert "<strong>two</strong>" in en.text


# -- cookies (policy 5.1) ------------------------------------------------------------


def _visits(site: Site, choice_id: str) -> list[dict[str, object]]:
    with site.services.db.engine.connect() as conn:
        rows = conn.execute(select(visit).where(visit.c.choice_id == choice_id))
        return [dict(r) for r in rows.mappings()]


def _choice(site: Site, choice_id: str) -> dict[str, object]:
    with site.services.db.engine.connect() as conn:
        row = conn.execute(select(cookie_choice).where(cookie_choice.c.id == choice_id))
        return dict(row.mappings().one())


def test_banner_before_choice_and_reject_all(site: Site) -> None:
    with site.browser() as http:
        first = http.get("/ru/?utm_source=newsletter")
        assert 'id="cookie-banner"' in first.text
        assert 'id="cookies-accept-all"' in first.text
        assert 'id="cookies-reject-all"' in first.text
        # Nothing but the strictly necessary CSRF cookie before a choice.
        assert set(http.cookies.keys()) == {"qg_csrf"}
        r = http.post(
            "/ru/cookies",
            data={"csrf": token(first.text, "cookie-banner"), "action": "reject_all",
                  "next": "/ru/apply"},
        )  # fmt: skip
        assert r.status_code == 303
        assert r.headers["location"] == "/ru/apply"
        choice_id = http.cookies["qg_cookies"]
        assert re.fullmatch(r"[0-9a-f]{32}", choice_id)
        after = http.get("/ru/apply")
        assert 'id="cookie-banner"' not in after.text
        http.get("/ru/policy")
    row = _choice(site, choice_id)
    assert (row["analytics"], row["marketing"], row["policy_version"]) == (False, False, "v2")
    assert _visits(site, choice_id) == []


def test_accept_all_records_generalised_visits(site: Site) -> None:
    with site.browser("en") as http:
        first = http.get("/en/")
        r = http.post(
            "/en/cookies",
            data={"csrf": token(first.text, "cookie-banner"), "action": "accept_all",
                  "next": "/en/"},
        )  # fmt: skip
        assert r.status_code == 303
        choice_id = http.cookies["qg_cookies"]
        http.get(
            "/en/?utm_source=newsletter", headers={"referer": "https://search.example.org/q?x=1"}
        )
        http.get("/en/policy")
    rows = _visits(site, choice_id)
    assert len(rows) == 2
    assert _choice(site, choice_id)["analytics"] is True
    landing = rows[0]
    assert (landing["referrer_host"], landing["utm_source"]) == ("search.example.org", "newsletter")
    assert (landing["os_family"], landing["browser_family"], landing["device_type"]) == (
        "Linux", "Firefox", "desktop",
    )  # fmt: skip
    assert landing["language"] == "en"
    for row in rows:
        assert row["ip_hmac"] is not None
        assert all("127.0.0.1" not in str(v) for v in row.values())
        assert b"127.0.0.1" not in bytes(row["ip_hmac"])  # type: ignore[arg-type]


def test_choice_can_be_changed_on_the_cookies_page(site: Site) -> None:
    with site.browser("kk") as http:
        page = http.get("/kk/cookies")
        assert t("kk", "cookies.none_yet") in page.text
        r = http.post(
            "/kk/cookies",
            data={"csrf": token(page.text, form_name="/kk/cookies"), "action": "save",
                  "analytics": "1"},
        )  # fmt: skip
        assert r.status_code == 303
        assert r.headers["location"] == "/kk/cookies?saved=1"
        saved = http.get(r.headers["location"])
        assert 'id="cookies-saved"' in saved.text
        assert re.search(r'id="cookie-analytics"[^>]*checked', saved.text)
        assert not re.search(r'id="cookie-marketing"[^>]*checked', saved.text)
        first_id = http.cookies["qg_cookies"]
        again = http.post(
            "/kk/cookies",
            data={"csrf": token(saved.text, form_name="/kk/cookies"), "action": "reject_all"},
        )
        assert again.status_code == 303
        assert http.cookies["qg_cookies"] != first_id  # a new record; the old one stays
    assert _choice(site, first_id)["analytics"] is True


def test_csrf_missing_or_wrong_is_refused(site: Site) -> None:
    values = site.person()
    with site.browser() as http, site.browser() as stranger:
        page = http.get("/ru/apply")
        assert http.post("/ru/apply", data=values).status_code == 403
        wrong_form = token(page.text, "cookie-banner")  # a token of another form
        assert http.post("/ru/apply", data={**values, "csrf": wrong_form}).status_code == 403
        # A token is bound to its visitor's cookie: another browser cannot use it.
        stranger.get("/ru/")
        good = token(page.text, "apply-form")
        r = stranger.post("/ru/apply", data={**values, "csrf": good})
        assert r.status_code == 403
        assert t("ru", "error.403") in r.text
        assert http.post("/ru/cookies", data={"action": "accept_all"}).status_code == 403
        assert http.post("/ru/confirm", data={"code": "123456"}).status_code == 403
    assert values["iin"] not in r.text


# -- the loan request ---------------------------------------------------------------------------


def test_full_flow_with_the_code_from_the_outbox(site: Site) -> None:
    """Form -> code by e-mail (outbox) -> wrong code -> right code -> reference; consents as
    ticked, with evidence otp:email; user data linked under statistics (analytics allowed)."""
    values = site.person()
    with site.browser("kk") as http:
        home = http.get("/kk/")
        http.post(
            "/kk/cookies",
            data={"csrf": token(home.text, "cookie-banner"), "action": "accept_all",
                  "next": "/kk/apply"},
        )  # fmt: skip
        r = apply(http, "kk", values, ("offers", "statistics", "transfer"), channel="email")
        assert r.status_code == 200, main_text(r.text)
        challenge = hidden(r.text, "challenge")
        entry = site.outbox_code(challenge)
        assert entry["channel"] == "email"
        assert entry["to_masked"] == "z***@example.com"
        assert entry["to_masked"] in r.text
        assert values["email"] not in site.outbox.read_text(encoding="utf-8")

        wrong = f"{(int(entry['code']) + 1) % 1_000_000:06d}"
        bad = http.post(
            "/kk/confirm",
            data={"csrf": token(r.text, "confirm-form"), "challenge": challenge, "code": wrong},
        )
        assert bad.status_code == 422
        assert error_message("kk", "code.wrong", left=4) in bad.text
        done = http.post(
            "/kk/confirm",
            data={"csrf": token(bad.text, "confirm-form"), "challenge": challenge,
                  "code": entry["code"]},
        )  # fmt: skip
        assert done.status_code == 200, main_text(done.text)
        m = re.search(r'id="reference">(QG-[0-9A-Z]{4}-[0-9A-Z]{4})<', done.text)
        assert m
        reference = m.group(1)
        used = http.post(
            "/kk/confirm",
            data={"csrf": token(bad.text, "confirm-form"), "challenge": challenge,
                  "code": entry["code"]},
        )  # fmt: skip
        assert used.status_code == 422
        assert error_message("kk", "code.used") in used.text
    with site.services.db.engine.connect() as conn:
        sid = conn.execute(select(lead.c.subject_id).where(lead.c.reference == reference))
        subject_id = sid.scalar_one()
        rows = conn.execute(
            select(consent.c.purpose, consent.c.evidence_method, consent.c.language,
                   consent.c.policy_version).where(consent.c.subject_id == subject_id)
        ).all()  # fmt: skip
    assert sorted(r[0] for r in rows) == ["offers", "statistics", "transfer"]
    assert {r[1:] for r in rows} == {("otp:email", "kk", "v2")}
    with site.services.db.unit_of_work() as conn:
        stats = site.services.gate.read(conn, DPO, subject_id, "statistics").values
        contract = site.services.gate.read(conn, DPO, subject_id, "contract").values
    assert stats["browser"] == "Firefox 128"
    assert stats["os"] == "Linux"
    assert stats["ip_address"] == "127.0.0.1"
    assert contract["iin"] == values["iin"]
    assert contract["loan_amount"] == "200000"


@pytest.mark.parametrize("lang", LANGS)
def test_errors_are_shown_in_the_page_language(site: Site, lang: str) -> None:
    """Per-field messages in the page's language; values re-shown from the POST only."""
    good_iin = make_iin(date(1985, 11, 2), "male", 5)
    broken_iin = good_iin[:11] + str((int(good_iin[11]) + 1) % 10)
    values = site.person(iin=broken_iin, phone="+7 495 123 45 67", email="name@", note="")
    site.sent.add(broken_iin)
    with site.browser(lang) as http:
        r = apply(http, lang, values, ("offers",))
        assert r.status_code == 422
        assert r.url.path == f"/{lang}/apply"
        assert 'id="error-summary"' in r.text
        text = main_text(r.text)
        for code in ("iin.checksum", "phone.country", "email.format"):
            assert error_message(lang, code) in text, code
        assert 'aria-describedby="iin-hint iin-error"' in r.text
        assert f'value="{values["last_name"]}"' in r.text  # re-shown from the POST
        assert re.search(r'id="consent-offers"[^>]*checked', r.text)
        assert not re.search(r'id="consent-transfer"[^>]*checked', r.text)
        young = make_iin(date(date.today().year - 16, 2, 1), "male", 9)
        site.sent.add(young)
        minor = apply(http, lang, site.person(iin=young))
        assert minor.status_code == 422
        assert error_message(lang, "iin.under_age") in main_text(minor.text)
        special = apply(http, lang, site.person(note="Мой дядя был осуждён, судимость снята"))
        assert special.status_code == 422
        m = re.search(r'id="note-error">([^<]+)<', special.text)
        assert m
        assert SPECIAL_CATEGORIES["criminal_record"][lang] in unescape(m.group(1))
        assert "осуждён" not in m.group(1)


@pytest.mark.parametrize("lang", LANGS)
def test_note_hint_follows_the_catalogue_rule(site: Site, lang: str) -> None:
    """Issue 14 (policy 3.2): the hint under the note names the special categories of the
    catalogue's one rule, and no longer promises that health data is excluded (health is
    not a special category: policy 5.1 lists disability)."""
    with site.browser(lang) as http:
        page = http.get(f"/{lang}/apply").text
    m = re.search(r'<p class="hint" id="note-hint">([^<]+)<', page)
    assert m, "the note has its hint"
    hint = unescape(m.group(1))
    for labels in SPECIAL_CATEGORIES.values():
        assert labels[lang] in hint
    assert not re.search(r"health|здоров|денсаул", hint, re.IGNORECASE)


def test_nothing_is_pre_ticked(site: Site) -> None:
    with site.browser() as http:
        page = http.get("/ru/apply").text
    boxes = re.findall(r'<input type="checkbox"[^>]*>', page)
    assert len(boxes) == 5
    assert not any("checked" in b for b in boxes)
    for purpose in ("service_info", "offers", "statistics", "direct_marketing", "transfer"):
        assert f'id="consent-{purpose}"' in page
    for partner in site.services.settings.partners:
        assert partner.name in page


# -- keep these two last ------------------------------------------------------------------------


def test_rate_limit_answers_429(site: Site) -> None:
    with site.browser("en") as http:
        for _ in range(300):
            r = http.post("/en/cookies", data={"action": "accept_all"})
            if r.status_code == 429:
                break
            assert r.status_code == 403
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"].startswith("text/html")
        assert "Too many requests" in r.text


def test_server_log_has_no_personal_values(site: Site) -> None:
    """DESIGN 5: nothing a person typed reaches the log (the outbox echo is masked)."""
    site.stop()
    log = site.log.read_text(encoding="utf-8", errors="replace")
    assert "Application startup complete" in log
    assert "qorgau outbox:" in log
    leaked = sorted(v for v in site.sent if v in log)
    assert not leaked, f"{len(leaked)} personal values in the server log"
    assert not valid_iins(log)
