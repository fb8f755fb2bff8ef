"""The rights page and the staff console in a real browser (Chromium via Playwright).

A person asks to see their data on ``/{lang}/rights`` (policy 4.2.1): the language switch,
a phone in another spelling, the one-time code from the development outbox, the report page.
An unknown phone gets the same code page and no code; any code is then "wrong" (policy
4.2.1, 4.2.2: nothing tells whether the operator holds data for a contact). A correction
request is sent on the site and carried out by the data protection officer in the console
(policy 7.3.8): the queue overdue-first, the request page, the answer with re-entered values,
the report preview, close. An operator gets 403, a wrong password the login error, and
logout revokes the session. The rights page works from the keyboard, every input labelled.
Screenshots go to ``test-artifacts/screenshots/``. All personal values are fictional.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from qorgau.audit import proofcheck
from qorgau.catalog import make_iin, normalise_phone
from qorgau.consent.model import Channel as ConsentChannel
from qorgau.consent.model import ConsentRequest, Evidence
from qorgau.dsr.model import Channel, Kind
from qorgau.i18n import LANGUAGE_NAMES, t
from qorgau.intake.otp import mask
from qorgau.security.actors import Actor

if TYPE_CHECKING:  # the fixtures' types (tests/browser/conftest.py)
    from conftest import BrowserSite, ContextFactory, Shot

SEED = Actor("dpo", "browser:rights-seed")
PASSWORD = "browser console password 42"
CODE_PAGE_TEXT_MASK = "<contact>"


@dataclass(frozen=True)
class Person:
    subject_id: str
    values: dict[str, str]

    @property
    def phone(self) -> str:
        return self.values["phone"]


#: key: (last name, first name, phone, serial for the IIN); phones +7 70x, all fictional.
PEOPLE = {
    "access": ("Браузерова-Правова", "Айгерім", "+7 705 811 22 33", 811),
    "known": ("Сравнителева", "Гүлназ", "+7 707 812 40 51", 812),
    "rectify": ("Correctova", "Dinara", "+7 701 813 63 74", 813),
    "overdue": ("Просрочкина", "Самал", "+7 708 814 85 96", 814),
}
#: Held by nobody. Same last two digits as "known", so today the masks are equal too; the
#: comparison replaces each page's own mask anyway.
UNKNOWN_PHONE = "+7 707 999 00 51"


@pytest.fixture(scope="module")
def people(site: BrowserSite) -> dict[str, Person]:
    """Fictional subjects collected through the gate with their phone confirmed (as the loan
    form's code confirms it: the rights page codes only confirmed contacts), a consent for
    the report, and the console's staff: two DPOs (one per console test, so the login limit
    never bites) and an operator."""
    services = site.services
    made: dict[str, Person] = {}
    with services.db.unit_of_work() as conn:
        for key, (last, first, phone, n) in PEOPLE.items():
            values = {
                "last_name": last,
                "first_name": first,
                "phone": phone,
                "iin": make_iin(date(1991, 3, 1) + timedelta(days=n), "female", n),
                "email": f"rights.{n}@example.org",
                "income": "350000",
                "city": "Өскемен",
            }
            item = services.gate.prepare("potential_borrower", "contract", values, "staff:browser")
            made[key] = Person(services.gate.collect(conn, SEED, item), values)
            services.gate.confirm_contact(
                conn, SEED, made[key].subject_id, "phone", phone, "otp:phone"
            )
        services.ledger.grant(
            conn,
            SEED,
            ConsentRequest(
                made["access"].subject_id,
                "offers",
                "Согласие на предложения (P3).",
                Evidence("api"),
                channel=ConsentChannel.API,
            ),
        )
        for name, role in (
            ("dpo.browser", "dpo"),
            ("dpo.keys", "dpo"),
            ("oper.browser", "operator"),
        ):
            services.staff.create_user(conn, name, PASSWORD, role)
    return made


# -- helpers ------------------------------------------------------------------------------------


def ask(page: Page, lang: str, kind: str, contact: str) -> int:
    """On the rights form: pick the request and the phone channel, type the contact, send;
    the HTTP status of the answer."""
    page.get_by_label(t(lang, f"rights.kind.{kind}"), exact=True).check()
    page.get_by_label(t(lang, "channel.phone"), exact=True).check()
    page.get_by_label(t(lang, "rights.contact"), exact=True).fill(contact)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{lang}/rights")
    ) as answer:
        page.get_by_role("button", name=t(lang, "rights.submit"), exact=True).click()
    page.wait_for_load_state()
    return answer.value.status


def enter_code(page: Page, lang: str, code: str) -> int:
    page.get_by_label(t(lang, "confirm.code"), exact=True).fill(code)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{lang}/rights/confirm")
    ) as answer:
        page.get_by_role("button", name=t(lang, "confirm.submit"), exact=True).click()
    page.wait_for_load_state()
    return answer.value.status


def challenge(page: Page) -> str:
    """The request id the code page carries (the outbox's ``challenge``)."""
    rid = page.locator("#request").input_value()
    assert re.fullmatch(r"[0-9a-f]{32}", rid), rid
    return rid


def in_outbox(site: BrowserSite, rid: str) -> bool:
    if not site.outbox.exists():
        return False
    lines = site.outbox.read_text(encoding="utf-8").splitlines()
    return any(json.loads(line)["challenge"] == rid for line in lines)


def main_text(page: Page) -> str:
    return re.sub(r"\s+", " ", page.locator("main").inner_text()).strip()


def cell(page: Page, field: str) -> str:
    return page.locator(f'#report-values tr[data-field="{field}"] td.value').inner_text().strip()


def sign_in(page: Page, lang: str, username: str, password: str = PASSWORD) -> int:
    page.goto("/console/login")
    expect(page.locator("h1")).to_have_text(t(lang, "console.login.title"))
    page.get_by_label(t(lang, "console.username"), exact=True).fill(username)
    page.get_by_label(t(lang, "console.password"), exact=True).fill(password)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/console/login")
    ) as answer:
        page.get_by_role("button", name=t(lang, "console.login.submit"), exact=True).click()
    page.wait_for_load_state()
    return answer.value.status


def replay(new_context: ContextFactory, site: BrowserSite, session: str) -> Page:
    """/console/ in a fresh browser context that holds only a copy of a session cookie."""
    context = new_context(locale="ru-RU")
    context.add_cookies(
        [
            {
                "name": "qg_staff",
                "value": session,
                "url": f"{site.base}/console/",
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    page = context.new_page()
    page.goto("/console/")
    return page


# -- 1. see my data -----------------------------------------------------------------------------


def test_access_request_from_form_to_report(
    site: BrowserSite, people: dict[str, Person], new_context: ContextFactory, shot: Shot
) -> None:
    """policy 4.2.1, 4.2.2, 7.3.8: the rights page in ru (and kk via the switcher), "see my
    data" with the phone spelt 8 (7xx) ..., the code from the outbox, the report page with
    the person's values and the purposes in the page's language."""
    person = people["access"]
    site.services.checkpoint()  # the person's events so far are under a signed tree head
    page = new_context(locale="ru-RU").new_page()
    page.goto("/ru/rights")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text(t("ru", "rights.title"))
    # The language switch works on this page and keeps it.
    page.get_by_role("link", name=LANGUAGE_NAMES["kk"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/kk/rights$"))
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("h1")).to_have_text(t("kk", "rights.title"))
    expect(page.get_by_label(t("kk", "rights.kind.access"), exact=True)).to_be_visible()
    expect(page.locator("#lang-kk")).to_have_attribute("aria-current", "true")
    page.get_by_role("link", name=LANGUAGE_NAMES["ru"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/ru/rights$"))
    expect(page.locator("h1")).to_have_text(t("ru", "rights.title"))

    digits = normalise_phone(person.phone)[2:]  # 10 digits after +7
    spelt = f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    assert spelt != person.phone
    page.get_by_label(t("ru", "rights.kind.access"), exact=True).check()
    page.get_by_label(t("ru", "rights.contact"), exact=True).fill(spelt)
    shot(page, "form")
    assert ask(page, "ru", "access", spelt) == 200

    expect(page.locator("h1")).to_have_text(t("ru", "rights.code.title"))
    rid = challenge(page)
    entry = site.outbox_entry(rid)
    assert entry["language"] == "ru"
    assert entry["to_masked"] == mask("phone", normalise_phone(person.phone))
    expect(page.locator("#code-sent")).to_have_text(
        t("ru", "rights.code.sent", to=entry["to_masked"])
    )
    expect(page.locator("main")).not_to_contain_text(digits[3:6])  # the number is masked
    shot(page, "code")

    assert enter_code(page, "ru", entry["code"]) == 200
    expect(page.locator("h1")).to_have_text(t("ru", "rights.report.title"))
    expect(page.locator("#report-closed")).to_have_text(t("ru", "rights.report.closed"))
    assert cell(page, "first_name") == person.values["first_name"]
    assert cell(page, "phone") == normalise_phone(person.phone)
    cat = site.services.catalogue
    phone_row = page.locator('#report-values tr[data-field="phone"]')
    expect(phone_row.locator("th")).to_have_text(cat.field("phone").labels["ru"])
    contract = cat.purpose("contract")
    expect(phone_row).to_contain_text(f"{contract.number}. {contract.labels['ru']}")
    offers = cat.purpose("offers")
    expect(page.locator("#report-consents")).to_contain_text(
        f"{offers.number}. {offers.labels['ru']}"
    )
    expect(page.locator("#report-consents")).to_contain_text(t("ru", "consent.state.live"))
    expect(page.locator("#report-rights")).to_contain_text(t("ru", "right.access"))
    shot(page, "report")
    # The audit trail (issue 13, must-have 7): the events before the checkpoint proved, the
    # proofs downloaded as a file and checked with the key the page shows.
    trail = page.locator("#report-trail")
    expect(trail.locator('tr[data-action="collect"]')).to_have_attribute("data-proved", "yes")
    expect(trail.locator('tr[data-proved="no"]').first).to_contain_text(
        t("ru", "rights.trail.pending")
    )
    expect(trail).not_to_contain_text(person.values["first_name"])
    with page.expect_download() as download:
        page.locator("#trail-download").click()
    bundles = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    key = page.locator("#trail-log-key").inner_text().strip()
    assert {b["entry"]["action"] for b in bundles} >= {"collect", "record", "consent.grant"}
    assert all(proofcheck.check(b, key, []).startswith("ok: event") for b in bundles)
    page.locator("#trail-transparency").click()
    expect(page.locator("h1")).to_have_text(t("ru", "transparency.title"))
    expect(page.locator("#transparency-log-key")).to_have_text(key)
    shot(page, "transparency")


# -- 2. an unknown phone ------------------------------------------------------------------------


def test_unknown_phone_gets_the_same_page_and_no_code(
    site: BrowserSite, people: dict[str, Person], new_context: ContextFactory, shot: Shot
) -> None:
    """policy 4.2.1, 4.2.2, 7.3.8: the code page for a phone nobody holds reads the same as
    for a known one (apart from the masked contact), no code is sent, and a made-up code is
    refused with the very message a wrong code gets."""
    context = new_context(locale="ru-RU")
    unknown = context.new_page()
    unknown.goto("/ru/rights")
    assert ask(unknown, "ru", "access", UNKNOWN_PHONE) == 200
    known = context.new_page()
    known.goto("/ru/rights")
    assert ask(known, "ru", "access", people["known"].phone) == 200
    shot(unknown, "unknown-code")

    masks = {
        unknown: mask("phone", normalise_phone(UNKNOWN_PHONE)),
        known: mask("phone", normalise_phone(people["known"].phone)),
    }
    texts = []
    for page, masked in masks.items():
        expect(page.locator("h1")).to_have_text(t("ru", "rights.code.title"))
        expect(page.locator("#code-sent")).to_contain_text(masked)
        expect(page.locator("#code-none")).to_have_text(t("ru", "rights.code.none"))
        texts.append(main_text(page).replace(masked, CODE_PAGE_TEXT_MASK))
    assert texts[0] == texts[1]

    known_rid, unknown_rid = challenge(known), challenge(unknown)
    code = site.outbox_entry(known_rid)["code"]  # the known one's code has gone out...
    time.sleep(0.5)  # ...and the unknown one was answered earlier: nothing is on its way
    assert not in_outbox(site, unknown_rid), "a code was sent for a phone nobody holds"

    # A made-up code for the unknown phone; a wrong code for the known one: the same answer.
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert enter_code(unknown, "ru", "424242") == 422
    assert enter_code(known, "ru", wrong) == 422
    refused = []
    for page in (unknown, known):
        expect(page.locator("h1")).to_have_text(t("ru", "rights.code.title"))
        expect(page.locator("#code-error")).to_have_text(t("ru", "rights.code.wrong"))
        expect(page.get_by_label(t("ru", "confirm.code"), exact=True)).to_have_attribute(
            "aria-invalid", "true"
        )
        refused.append(main_text(page))
    assert refused[0] == refused[1]
    shot(unknown, "made-up-code")


# -- 3. a correction, from the site to the console ----------------------------------------------


def test_rectify_request_is_carried_out_in_the_console(
    site: BrowserSite, people: dict[str, Person], new_context: ContextFactory, shot: Shot
) -> None:
    """policy 4.2.1, 4.2.2, 7.3.8: "correct my data" (en) lists the fields held by label;
    the DPO finds it in the queue behind an overdue request, re-enters the corrected value,
    answers, previews the report and closes; the subject's income is then the new one."""
    person = people["rectify"]
    services = site.services
    cat = services.catalogue
    corrected = "420 000"
    stored = cat.normalise("income", corrected)
    assert stored != person.values["income"]
    past = datetime.now(UTC) - timedelta(days=30)
    with services.db.unit_of_work() as conn:
        overdue_id = services.requests.receive(
            conn, SEED, Kind.BLOCK, Channel.PHONE, "phone", people["overdue"].phone, "ru", now=past
        ).request_id

    page = new_context(locale="en-US").new_page()
    page.goto("/en/rights")
    assert ask(page, "en", "rectify", person.phone) == 200
    rid = challenge(page)
    assert enter_code(page, "en", site.outbox_entry(rid)["code"]) == 200
    expect(page.locator("h1")).to_have_text(t("en", "rights.rectify.title"))
    form = page.locator("#rights-rectify-form")
    for code in ("last_name", "first_name", "phone", "iin", "email", "income", "city"):
        expect(form.get_by_label(cat.field(code).labels["en"], exact=True)).to_have_value("")
    for value in (person.values["last_name"], person.values["income"]):
        expect(page.locator("main")).not_to_contain_text(value)  # labels only, no values
    form.get_by_label(cat.field("income").labels["en"], exact=True).fill(corrected)
    shot(page, "rectify-form")
    with page.expect_response(lambda r: r.url.endswith("/en/rights/details")) as answer:
        page.get_by_role("button", name=t("en", "rights.rectify.submit"), exact=True).click()
    assert answer.value.status == 200
    expect(page.locator("h1")).to_have_text(t("en", "rights.done.title"))
    reference = page.locator("#reference").inner_text().strip()
    expect(page.locator("#due")).to_contain_text(t("en", "rights.kind.rectify"))

    # The data protection officer, in a browser of their own.
    staff = new_context(locale="en-US").new_page()
    assert sign_in(staff, "en", "dpo.browser") == 303
    expect(staff).to_have_url(re.compile(r"/console/$"))
    expect(staff.locator("h1")).to_have_text(t("en", "console.queue.title"))
    expect(staff.locator("#signed-in")).to_contain_text("dpo.browser")
    rows = staff.locator("#queue tbody tr")
    first = rows.first
    expect(first).to_have_attribute("data-request", overdue_id)
    expect(first).to_have_attribute("data-state", "overdue")
    expect(first.locator(".badge")).to_have_text(t("en", "console.badge.overdue"))
    expect(first).to_contain_text(t("en", "console.kind.block"))
    mine = staff.locator(f'#queue tr[data-request="{rid}"]')
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(t("en", "console.kind.rectify"))
    expect(mine).to_contain_text(t("en", "console.status.verified"))
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.request)").index(rid) > 0
    shot(staff, "queue")

    mine.get_by_role("link", name=reference, exact=True).click()
    expect(staff).to_have_url(re.compile(rf"/console/requests/{rid}$"))
    expect(staff.locator("h1")).to_contain_text(reference)
    expect(staff.locator("#fact-kind")).to_have_text(t("en", "console.kind.rectify"))
    expect(staff.locator("#fact-status")).to_have_attribute("data-status", "verified")
    expect(staff.locator("#fact-subject")).to_have_text(person.subject_id)
    answer_form = staff.locator("#action-answer")
    expect(answer_form).to_contain_text(t("en", "console.answer.note"))
    answer_form.get_by_label(t("en", "console.answer.field", n=1), exact=True).select_option(
        label=cat.field("income").labels["en"]
    )
    answer_form.get_by_label(t("en", "console.answer.value", n=1), exact=True).fill(corrected)
    shot(staff, "request")
    answer_form.get_by_role("button", name=t("en", "console.action.answer"), exact=True).click()
    expect(staff.locator("#action-error")).to_have_count(0)
    expect(staff.locator("#fact-status")).to_have_attribute("data-status", "answered")
    expect(staff.locator("#fact-outcome")).to_contain_text("income")

    staff.get_by_role("link", name=t("en", "console.report"), exact=True).click()
    expect(staff).to_have_url(re.compile(rf"/console/requests/{rid}/report$"))
    expect(staff.locator("h1")).to_have_text(t("en", "console.report.title", reference=reference))
    assert cell(staff, "income") == stored
    assert cell(staff, "first_name") == person.values["first_name"]
    shot(staff, "report-preview")

    staff.locator("#back").click()
    staff.get_by_role("button", name=t("en", "console.action.close"), exact=True).click()
    expect(staff.locator("#fact-status")).to_have_attribute("data-status", "closed")
    events = staff.locator("#events tbody tr").evaluate_all("rs => rs.map(r => r.dataset.event)")
    assert events == ["received", "verified", "answered", "closed"]
    staff.get_by_role("link", name=t("en", "console.back"), exact=True).click()
    expect(staff).to_have_url(re.compile(r"/console/$"))
    expect(staff.locator(f'#queue tr[data-request="{rid}"]')).to_have_count(0)
    expect(staff.locator("#queue tbody tr").first).to_have_attribute("data-request", overdue_id)
    staff.locator("#queue-all").click()
    expect(staff.locator(f'#queue tr[data-request="{rid}"]')).to_have_attribute(
        "data-state", "done"
    )

    with services.db.unit_of_work() as conn:
        read = services.gate.read(
            conn, Actor("dpo", "test"), person.subject_id, "contract", ["income"]
        )
    assert read.values["income"] == stored


# -- 4. who may use the console -----------------------------------------------------------------


def test_console_refuses_operator_wrong_password_and_revoked_session(
    site: BrowserSite, people: dict[str, Person], new_context: ContextFactory, shot: Shot
) -> None:
    """policy 7.3.8: an operator signs in but gets the 403 page; a wrong password shows the
    login error; signing out revokes the session (the old cookie no longer opens the queue)."""
    operator = new_context(locale="ru-RU").new_page()
    assert sign_in(operator, "ru", "oper.browser") == 303
    expect(operator.locator("#error-message")).to_have_text(t("ru", "console.forbidden"))
    expect(operator.locator("h1")).to_have_text(f"{t('ru', 'error.title')} 403")
    expect(operator.locator("#queue")).to_have_count(0)
    response = operator.goto("/console/")
    assert response is not None
    assert response.status == 403
    shot(operator, "operator-403")

    context = new_context(locale="ru-RU")
    page = context.new_page()
    assert sign_in(page, "ru", "dpo.keys", "not the password at all") == 401
    expect(page.locator("#login-error")).to_have_text(t("ru", "console.login.failed"))
    expect(page.get_by_label(t("ru", "console.username"), exact=True)).to_have_value("dpo.keys")
    expect(page.get_by_label(t("ru", "console.password"), exact=True)).to_have_value("")
    shot(page, "login-error")

    assert sign_in(page, "ru", "dpo.keys") == 303
    expect(page.locator("h1")).to_have_text(t("ru", "console.queue.title"))
    session = [c for c in context.cookies() if c["name"] == "qg_staff"]
    assert len(session) == 1
    cookie = session[0]["value"]
    before = replay(new_context, site, cookie)  # a copy of the cookie works while signed in
    expect(before.locator("h1")).to_have_text(t("ru", "console.queue.title"))
    page.get_by_role("button", name=t("ru", "console.logout"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    assert not [c for c in context.cookies() if c["name"] == "qg_staff"]
    # Back to the queue (no-store: fetched again) and to /console/ by address: login page.
    page.go_back()
    page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    expect(page.locator("h1")).to_have_text(t("ru", "console.login.title"))
    expect(page.locator("#queue")).to_have_count(0)
    page.goto("/console/")
    expect(page).to_have_url(re.compile(r"/console/login$"))
    expect(page.locator("h1")).to_have_text(t("ru", "console.login.title"))
    shot(page, "after-logout")
    # Revoked on the server: the copy that opened the queue before logout opens nothing now.
    after = replay(new_context, site, cookie)
    expect(after).to_have_url(re.compile(r"/console/login$"))
    expect(after.locator("#signed-in")).to_have_count(0)


# -- 5. the keyboard ----------------------------------------------------------------------------


def test_rights_page_by_keyboard_and_labels(new_context: ContextFactory, shot: Shot) -> None:
    """policy 4.2.1, 4.2.2, 7.3.8: the first Tab reaches the skip link, which leads to the
    form; every input of the form has a label that finds it."""
    page = new_context(locale="ru-RU").new_page()
    page.goto("/ru/rights")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(t("ru", "skip"))
    expect(skip).to_have_attribute("href", "#main")
    shot(page, "skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#kind-access")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#kind-access")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#contact_kind-phone")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#contact")).to_be_focused()
    page.keyboard.type("+7 700 000 00 00")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=t("ru", "rights.submit"), exact=True)).to_be_focused()

    controls = page.locator(
        "#rights-form input:not([type=hidden]), #rights-form select, #rights-form textarea"
    )
    ids = controls.evaluate_all("cs => cs.map(c => c.id)")
    assert len(ids) == 5 + 2 + 1, ids  # five requests, two channels, the contact
    for control_id in ids:
        assert control_id, "every control has an id for its label"
        text = page.locator(f'label[for="{control_id}"]').inner_text().strip()
        assert text, control_id
        expect(page.get_by_label(text, exact=True)).to_have_attribute("id", control_id)
    expect(page.get_by_label(t("ru", "rights.contact"), exact=True)).to_have_accessible_description(
        t("ru", "rights.contact.hint")
    )
