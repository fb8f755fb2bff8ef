"""The public site in a real browser (Chromium via Playwright), the way a person uses it.

Language switching (kk/ru/en), the cookie banner and the cookie settings (policy 5.1), the
policy and its earlier versions (policy 8.2), the loan request with separate, unticked
consents (policy 6.1) confirmed by the one-time code from the development outbox, per-field
errors in the page's language including special categories (policy 3.2, 5.1), the same flow
with JavaScript off, keyboard use, and a wrong code. Screenshots of the main pages go to
``test-artifacts/screenshots/``. All personal values are fictional.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import func, select

from qorgau.catalog import make_iin
from qorgau.consent.store import consent
from qorgau.i18n import LANGUAGE_NAMES, error_message, t
from qorgau.intake.model import CONSENTS, MAX_ATTEMPTS
from qorgau.intake.store import lead
from qorgau.tracking.store import cookie_choice, visit
from qorgau.vault.store import otp_challenge

if TYPE_CHECKING:  # the fixtures' types (tests/browser/conftest.py)
    from conftest import BrowserSite, ContextFactory, Shot

LANGS = ("kk", "ru", "en")
REFERENCE = re.compile(r"QG-[0-9A-Z]{4}-[0-9A-Z]{4}")
#: Text inputs and the textarea of the form, in display order (employment is a select).
TEXT_FIELDS = (
    "last_name", "first_name", "patronymic", "iin", "phone", "email", "city",
    "loan_amount", "loan_term_days", "income", "note",
)  # fmt: skip
_serial = itertools.count(201)


def person(**over: str) -> dict[str, str]:
    """A fictional applicant with a unique valid IIN, a +7 70x phone and an example e-mail."""
    n = next(_serial)
    values = {
        "last_name": "Браузерова",
        "first_name": "Әсел",
        "patronymic": "Тестқызы",
        "iin": make_iin(date(1990, 6, 14), "female", n),
        "phone": f"+7 70{'12578'[n % 5]} {n:03d} {n % 100:02d} {(n * 7) % 100:02d}",
        "email": f"asel.{n}@example.org",
        "city": "Павлодар",
        "loan_amount": "150 000",
        "loan_term_days": "30",
        "income": "320 000",
        "employment": "employed",
        "note": "",
    }
    values.update(over)
    return values


# -- helpers ------------------------------------------------------------------------------------


def label(lang: str, name: str) -> str:
    return t(lang, f"field.{name}")


def field(page: Page, lang: str, name: str) -> Locator:
    """A form control found by its label's text (a required field's label ends in " *")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label(lang, name))}\s*\*?$"))


def fill_form(page: Page, lang: str, values: dict[str, str]) -> None:
    """Fill every field through its visible label (proves each label is wired)."""
    for name in TEXT_FIELDS:
        field(page, lang, name).fill(values[name])
    field(page, lang, "employment").select_option(values["employment"])


def submit_form(page: Page, lang: str) -> int:
    """Click "Get the code"; the HTTP status of the answer."""
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{lang}/apply")
    ) as answer:
        page.get_by_role("button", name=t(lang, "apply.submit"), exact=True).click()
    page.wait_for_load_state()
    return answer.value.status


def enter_code(page: Page, lang: str, code: str) -> int:
    page.get_by_label(t(lang, "confirm.code"), exact=True).fill(code)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{lang}/confirm")
    ) as answer:
        page.get_by_role("button", name=t(lang, "confirm.submit"), exact=True).click()
    page.wait_for_load_state()
    return answer.value.status


def assert_cookie_settings_link(page: Page, lang: str) -> None:
    """Every page's footer links to the cookie settings, where the choice can be changed."""
    link = page.get_by_role("link", name=t(lang, "footer.cookies"), exact=True)
    expect(link).to_have_attribute("href", f"/{lang}/cookies")


def choice_id(context: BrowserContext) -> str:
    ids = [c["value"] for c in context.cookies() if c["name"] == "qg_cookies"]
    assert len(ids) == 1, "exactly one cookie-choice cookie"
    return ids[0]


def visit_pages(site: BrowserSite, cid: str) -> list[str]:
    with site.engine.connect() as conn:
        rows = conn.execute(
            select(visit.c.page).where(visit.c.choice_id == cid).order_by(visit.c.id)
        )
        return [r[0] for r in rows]


def visit_count(site: BrowserSite) -> int:
    with site.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(visit)).scalar_one())


def choice_row(site: BrowserSite, cid: str) -> tuple[bool, bool]:
    with site.engine.connect() as conn:
        row = conn.execute(
            select(cookie_choice.c.analytics, cookie_choice.c.marketing).where(
                cookie_choice.c.id == cid
            )
        ).one()
        return bool(row[0]), bool(row[1])


def granted_purposes(site: BrowserSite, reference: str) -> list[str]:
    """The consents recorded for the subject of a lead (the lead must exist)."""
    with site.engine.connect() as conn:
        subject = conn.execute(select(lead.c.subject_id).where(lead.c.reference == reference))
        subject_id = subject.scalar_one()
        rows = conn.execute(select(consent.c.purpose).where(consent.c.subject_id == subject_id))
        return sorted(r[0] for r in rows)


def assert_field_error(page: Page, lang: str, name: str, message: str) -> None:
    """The message is shown, tied to its input by aria-describedby, and the input invalid."""
    expect(page.locator(f"#{name}-error")).to_have_text(message)
    box = field(page, lang, name)
    described = (box.get_attribute("aria-describedby") or "").split()
    assert f"{name}-error" in described, described
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(box).to_have_accessible_description(re.compile(re.escape(message)))
    summary = page.locator(f'#error-summary a[href="#{name}"]')
    expect(summary).to_contain_text(message)


def confirm_with_outbox_code(
    page: Page, site: BrowserSite, lang: str
) -> tuple[str, dict[str, str]]:
    """On the code page: read the code sent for this challenge and enter it; the reference."""
    expect(page.locator("h1")).to_have_text(t(lang, "confirm.title"))
    challenge = page.locator("#challenge").input_value()
    entry = site.outbox_entry(challenge)
    assert entry["language"] == lang
    expect(page.locator("#code-sent")).to_contain_text(entry["to_masked"])
    assert enter_code(page, lang, entry["code"]) == 200
    expect(page.locator("#done-title")).to_have_text(t(lang, "done.title"))
    reference = page.locator("#reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference), reference
    return reference, entry


# -- 1. languages -------------------------------------------------------------------------------


@pytest.mark.browser_context(locale="kk-KZ")
def test_root_lands_on_a_language_and_the_switcher_translates(
    context: BrowserContext, shot: Shot
) -> None:
    """policy 8.2: the site (and the policy link) in kk, ru and en, switched on the page."""
    page = context.new_page()
    page.goto("/")  # Accept-Language from the context's locale: kk-KZ
    expect(page).to_have_url(re.compile(r"/kk/$"))
    for lang in LANGS:
        if lang != "kk":
            page.get_by_role("link", name=LANGUAGE_NAMES[lang], exact=True).click()
            expect(page).to_have_url(re.compile(rf"/{lang}/$"))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("h1")).to_have_text(t(lang, "home.title"))
        expect(page.locator("#nav-policy")).to_have_text(t(lang, "nav.policy"))
        expect(page.locator(f"#lang-{lang}")).to_have_attribute("aria-current", "true")
        shot(page, f"home-{lang}")
    # The switcher keeps the page: from the English form to the Kazakh one.
    page.locator("#nav-apply").click()
    page.get_by_role("link", name=LANGUAGE_NAMES["kk"], exact=True).click()
    expect(page).to_have_url(re.compile(r"/kk/apply$"))
    expect(page.locator("h1")).to_have_text(t("kk", "apply.title"))


# -- 2. cookies ---------------------------------------------------------------------------------


def test_cookie_banner_reject_all_then_accept_all(
    site: BrowserSite, new_context: ContextFactory, shot: Shot
) -> None:
    """policy 5.1: no visit is recorded without consent; "Reject all" is as easy as "Accept
    all"; visits only after "Accept all"; the choice can be changed from every page."""
    before = visit_count(site)
    rejecting = new_context(locale="ru-RU")
    page = rejecting.new_page()
    page.goto("/ru/")
    banner = page.locator("#cookie-banner")
    expect(banner).to_be_visible()
    expect(banner.locator("h2")).to_have_text(t("ru", "banner.title"))
    accept = page.get_by_role("button", name=t("ru", "banner.accept_all"), exact=True)
    reject = page.get_by_role("button", name=t("ru", "banner.reject_all"), exact=True)
    expect(accept).to_be_visible()
    expect(reject).to_be_visible()
    # Equal weight: the same class, colours, type and size.
    assert accept.get_attribute("class") == reject.get_attribute("class")
    style = (
        "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color, s.fontSize,"
        " s.fontWeight, s.borderTopWidth, s.paddingTop, s.minWidth]; }"
    )
    assert accept.evaluate(style) == reject.evaluate(style)
    a_box, r_box = accept.bounding_box(), reject.bounding_box()
    assert a_box is not None
    assert r_box is not None
    assert a_box["height"] == r_box["height"]
    assert [c["name"] for c in rejecting.cookies()] == ["qg_csrf"]  # nothing else before
    shot(page, "banner")

    reject.click()
    expect(page).to_have_url(re.compile(r"/ru/$"))
    expect(banner).to_have_count(0)
    rejected = choice_id(rejecting)
    for link in ("#nav-apply", "#nav-policy", "#footer-versions"):
        page.locator(link).click()
        page.wait_for_load_state()
        expect(page.locator("#cookie-banner")).to_have_count(0)
        assert_cookie_settings_link(page, "ru")
    assert choice_row(site, rejected) == (False, False)
    assert visit_pages(site, rejected) == []
    assert visit_count(site) == before

    accepting = new_context(locale="ru-RU")
    page = accepting.new_page()
    page.goto("/ru/")
    page.get_by_role("button", name=t("ru", "banner.accept_all"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/ru/$"))
    expect(page.locator("#cookie-banner")).to_have_count(0)
    accepted = choice_id(accepting)
    page.locator("#nav-apply").click()
    page.locator("#nav-policy").click()
    page.wait_for_load_state()
    assert choice_row(site, accepted) == (True, True)
    assert visit_pages(site, accepted) == ["home", "apply", "policy"]

    # Changing the choice from the footer link: analytics off, from then on no visits.
    page.get_by_role("link", name=t("ru", "footer.cookies"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/ru/cookies$"))
    expect(page.locator("h1")).to_have_text(t("ru", "cookies.title"))
    analytics = page.get_by_label(f"{t('ru', 'cookies.allow')}: {t('ru', 'cookies.analytics')}")
    marketing = page.get_by_label(f"{t('ru', 'cookies.allow')}: {t('ru', 'cookies.marketing')}")
    expect(analytics).to_be_checked()
    expect(marketing).to_be_checked()
    analytics.uncheck()
    marketing.uncheck()
    page.get_by_role("button", name=t("ru", "cookies.save"), exact=True).click()
    expect(page.locator("#cookies-saved")).to_have_text(t("ru", "cookies.saved"))
    expect(analytics).not_to_be_checked()
    shot(page, "cookie-settings")
    changed = choice_id(accepting)
    assert changed != accepted  # a new record; the old one stays as proof
    assert choice_row(site, changed) == (False, False)
    page.locator("#nav-home").click()
    page.wait_for_load_state()
    assert visit_pages(site, changed) == []
    assert visit_pages(site, accepted) == ["home", "apply", "policy", "cookies"]


# -- 3. the policy ------------------------------------------------------------------------------


def test_policy_in_every_language_and_an_earlier_version(page: Page, shot: Shot) -> None:
    """policy 8.2: the current policy in kk/ru/en, the versions list, an older version by id."""
    page.goto("/kk/policy")
    headings = set()
    for lang in LANGS:
        if lang != "kk":
            page.locator(f"#lang-{lang}").click()
            expect(page).to_have_url(re.compile(rf"/{lang}/policy$"))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("#policy")).to_have_attribute("data-version", "v2")
        expect(page.locator("#policy-version")).to_contain_text("v2")
        expect(page.locator("#policy-version .tag")).to_have_text(t(lang, "policy.current"))
        heading = page.locator("#policy h1").first.inner_text().strip()
        assert heading
        headings.add(heading)
        assert_cookie_settings_link(page, lang)
        shot(page, f"policy-{lang}")
    assert len(headings) == 3, "the policy's heading is translated"

    page.get_by_role("link", name=t("en", "footer.versions"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/en/policy/versions$"))
    expect(page.locator("h1")).to_have_text(t("en", "policy.versions"))
    expect(page.locator("#policy-versions li")).to_have_count(2)
    expect(page.locator("#policy-versions li").first).to_contain_text(t("en", "policy.current"))
    shot(page, "versions")
    page.locator("#policy-v1").click()
    expect(page).to_have_url(re.compile(r"/en/policy/v1$"))
    expect(page.locator("#policy")).to_have_attribute("data-version", "v1")
    expect(page.locator("#policy-version")).to_contain_text("v1")
    expect(page.locator("#policy-version .tag")).to_have_count(0)
    notice = page.get_by_role("note")
    expect(notice).to_have_text(t("en", "policy.old", link=t("en", "policy.current")))
    shot(page, "policy-v1")
    notice.get_by_role("link", name=t("en", "policy.current")).click()
    expect(page).to_have_url(re.compile(r"/en/policy$"))
    expect(page.locator("#policy")).to_have_attribute("data-version", "v2")


# -- 4. the loan request end to end ---------------------------------------------------------------


def test_valid_request_end_to_end(site: BrowserSite, page: Page, shot: Shot) -> None:
    """policy 5.1, 6.1: every field filled, consents each separate and unticked by default,
    confirmed by the code; exactly the ticked consents are granted and a lead exists."""
    lang = "ru"
    page.goto(f"/{lang}/apply")
    expect(page.locator("h1")).to_have_text(t(lang, "apply.title"))
    boxes = page.locator('input[type="checkbox"][name="consent"]')
    expect(boxes).to_have_count(len(CONSENTS))
    for i in range(len(CONSENTS)):
        expect(boxes.nth(i)).not_to_be_checked()
    values = person()
    fill_form(page, lang, values)
    texts = site.services.intake.consent_texts(lang)
    ticked = ("offers", "service_info", "transfer")
    for code in ticked:
        page.get_by_label(texts[code], exact=True).check()
    page.get_by_label(t(lang, "channel.phone"), exact=True).check()
    assert_cookie_settings_link(page, lang)
    shot(page, "form")
    assert submit_form(page, lang) == 200
    assert_cookie_settings_link(page, lang)
    shot(page, "code")
    reference, entry = confirm_with_outbox_code(page, site, lang)
    assert entry["channel"] == "phone"
    expect(page.locator("#granted li")).to_have_count(len(ticked))
    assert_cookie_settings_link(page, lang)
    shot(page, "done")
    assert granted_purposes(site, reference) == sorted(ticked)
    with site.engine.connect() as conn:
        row = conn.execute(select(lead.c.status).where(lead.c.reference == reference)).one()
    assert row[0] == "new"


# -- 5. per-field errors in the page's language -------------------------------------------------


def test_invalid_requests_show_messages_in_the_page_language(
    site: BrowserSite, page: Page, shot: Shot
) -> None:
    """policy 3.2, 5.1: checksum (ru), a Russian number (kk), a minor (en), a special
    category in the note (ru); each message from i18n, tied to its field, values re-shown."""
    good = make_iin(date(1987, 4, 21), "male", 77)
    broken = good[:11] + str((int(good[11]) + 1) % 10)
    young = make_iin(date(date.today().year - 16, 2, 1), "male", 9)
    note = "Мой дядя был осуждён, судимость снята"
    cases = (
        ("ru", "iin", {"iin": broken}, error_message("ru", "iin.checksum")),
        ("kk", "phone", {"phone": "+7 916 123 45 67"}, error_message("kk", "phone.country")),
        ("en", "iin", {"iin": young}, error_message("en", "iin.under_age")),
        ("ru", "note", {"note": note}, error_message("ru", "special_category", "criminal_record")),
    )
    for lang, name, over, message in cases:
        values = person(**over)
        page.goto(f"/{lang}/apply")
        fill_form(page, lang, values)
        offers = site.services.intake.consent_texts(lang)["offers"]
        page.get_by_label(offers, exact=True).check()
        assert submit_form(page, lang) == 422, (lang, name)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("#error-summary h2")).to_have_text(t(lang, "apply.errors"))
        summary = page.locator("#error-summary li")
        expect(summary, f"only {name}: {summary.all_inner_texts()}").to_have_count(1)
        assert_field_error(page, lang, name, message)
        for other in TEXT_FIELDS:  # every value re-shown from the POST
            expect(field(page, lang, other)).to_have_value(values[other])
        expect(field(page, lang, "employment")).to_have_value("employed")
        expect(page.locator("#consent-offers")).to_be_checked()
        expect(page.locator("#consent-transfer")).not_to_be_checked()
        shot(page, f"errors-{lang}-{name}")


# -- 6. without JavaScript ------------------------------------------------------------------------


def test_whole_flow_without_javascript(
    site: BrowserSite, new_context: ContextFactory, shot: Shot
) -> None:
    """policy 5.1, 6.1: the form, the code and the confirmation need no JavaScript."""
    lang = "kk"
    context = new_context(locale="kk-KZ", java_script_enabled=False)
    page = context.new_page()
    # The context really runs no script: this one would rewrite the paragraph.
    page.set_content("<p id=probe>static</p><script>probe.textContent = 'ran'</script>")
    expect(page.locator("#probe")).to_have_text("static")
    page.goto(f"/{lang}/apply")
    values = person()
    fill_form(page, lang, values)
    page.get_by_label(site.services.intake.consent_texts(lang)["statistics"], exact=True).check()
    page.get_by_label(t(lang, "channel.email"), exact=True).check()
    assert submit_form(page, lang) == 200
    reference, entry = confirm_with_outbox_code(page, site, lang)
    assert entry["channel"] == "email"
    assert entry["to_masked"].endswith("@example.org")
    shot(page, "done-no-js")
    assert granted_purposes(site, reference) == ["statistics"]


# -- 7. keyboard ----------------------------------------------------------------------------------


def test_keyboard_skip_link_first_and_submit_reachable(page: Page) -> None:
    """policy 5.1: the form is usable by keyboard alone; skip link first, submit reachable."""
    lang = "ru"
    page.goto(f"/{lang}/apply")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(t(lang, "skip"))
    box = skip.bounding_box()
    assert box is not None
    assert box["y"] >= 0, "the focused skip link is on screen"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/ru/apply#main$"))
    expect(page.locator("#main")).to_be_focused()

    active = "() => document.activeElement.id || document.activeElement.tagName"
    seen: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        now = page.evaluate(active)
        assert not seen or now != seen[-1], "Tab moves the focus"
        seen.append(now)
        if now == "submit-apply":
            break
    assert seen[0] == "last_name", seen
    assert seen[-1] == "submit-apply", seen
    for name in TEXT_FIELDS:
        assert name in seen, name
    expect(page.locator("#submit-apply:focus-visible")).to_have_count(1)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 422
    expect(page.locator("#last_name-error")).to_have_text(error_message(lang, "value.empty"))


# -- 8. a wrong code ------------------------------------------------------------------------------


def test_wrong_code_shows_the_error_and_attempts_are_limited(
    site: BrowserSite, context: BrowserContext, shot: Shot
) -> None:
    """policy 6.1: no consent without the right code; five wrong codes end the challenge."""
    lang = "en"
    page = context.new_page()
    page.goto(f"/{lang}/apply")
    fill_form(page, lang, person())
    page.get_by_label(site.services.intake.consent_texts(lang)["offers"], exact=True).check()
    assert submit_form(page, lang) == 200
    challenge = page.locator("#challenge").input_value()
    right = site.outbox_entry(challenge)["code"]
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in range(MAX_ATTEMPTS - 1, 0, -1):
        assert enter_code(page, lang, wrong) == 422
        message = error_message(lang, "code.wrong", left=left)
        expect(page.locator("#code-error")).to_have_text(message)
        box = page.get_by_label(t(lang, "confirm.code"), exact=True)
        expect(box).to_have_attribute("aria-invalid", "true")
        assert "code-error" in (box.get_attribute("aria-describedby") or "").split()
        expect(page.locator("#challenge")).to_have_value(challenge)
        if left == MAX_ATTEMPTS - 1:
            shot(page, "wrong-code")
    token = page.locator('#confirm-form input[name="csrf"]').input_value()
    assert enter_code(page, lang, wrong) == 422
    expect(page.locator("#code-error")).to_have_text(error_message(lang, "code.attempts"))
    expect(page.locator("#confirm-form")).to_have_count(0)
    expect(page.locator("#restart")).to_have_attribute("href", f"/{lang}/apply")
    shot(page, "attempts-exhausted")
    # Even the right code is refused now.
    late = context.request.post(
        f"/{lang}/confirm", form={"csrf": token, "challenge": challenge, "code": right}
    )
    assert late.status == 422
    assert error_message(lang, "code.attempts") in late.text()
    with site.engine.connect() as conn:
        row = conn.execute(
            select(otp_challenge.c.attempts, otp_challenge.c.used_at).where(
                otp_challenge.c.id == challenge
            )
        ).one()
        leads = conn.execute(select(func.count()).where(lead.c.challenge_id == challenge))
        assert leads.scalar_one() == 0
    assert (row[0], row[1]) == (MAX_ATTEMPTS, None)
