"""Nothing changes hands without proof (policy 4.1, 6.6, 7.3.8), through the ASGI app: the
public loan form, its code page, the rights page and the staff API, on SQLite and
PostgreSQL.

- The takeover: someone who knows a person's IIN submits the loan form with their own
  phone, confirms their own code, then asks the rights page for "my data" with that phone.
  They get a report of their own submission only, never the person's values; every request
  they file is bound to their own submission; the person's stored rows are unchanged,
  blocked or not, and ``audit verify`` stays green.
- The form answers a known IIN and an unknown one with the same page in the same time: it
  looks nothing up.
- Codes per contact are limited (the refusal page), and staff resolve possible duplicates
  through ``/api/v1/duplicates``.
"""

from __future__ import annotations

import gc
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, or_, select

import leakguard
from qorgau.catalog import make_iban_kz, make_iin, normalise_phone
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.dsr.store import dsr_request
from qorgau.i18n import t
from qorgau.intake.limits import CodeLimits
from qorgau.intake.store import lead, subject_duplicate
from qorgau.security.actors import Actor
from qorgau.server import create_app
from qorgau.vault.store import blind_index, confirmed_contact, history, subject

DPO = Actor("dpo", "e2e:dpo")
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
TIMING_RUNS = 100


@dataclass
class Site:
    services: Container
    client: TestClient
    serial: int = 300

    def person(self, **over: str) -> dict[str, str]:
        """A fictional applicant with a unique IIN, phone and e-mail (registered with the
        leak guard)."""
        self.serial += 1
        n = self.serial
        values = {
            "last_name": "Доказова",
            "first_name": "Гүлжан",
            "patronymic": "",
            "phone": f"+7 701 {n:03d} {n % 100:02d} {(n * 7) % 100:02d}",
            "iin": make_iin(date(1987, 5, 4) + timedelta(days=n), "female", n),
            "email": f"gulzhan.{n}@example.com",
            "city": "Семей",
            "loan_amount": "120 000",
            "loan_term_days": "30",
            "income": "260 000",
            "employment": "employed",
            "note": "",
        }
        values.update(over)
        leakguard.register(*(values[k] for k in ("last_name", "phone", "iin", "email")))
        return values


@pytest.fixture(scope="module")
def site(module_settings: Settings) -> Iterator[Site]:
    # One client address: the per-client form limit must not get in the way here.
    s = module_settings.model_copy(
        update={"rate_limit_burst": 100_000, "rate_limit_per_minute": 100_000.0}
    )
    services = build_container(s)
    with services.db.unit_of_work() as conn:
        services.policy.publish(conn, DPO, note="first")
    app = create_app(services)
    with TestClient(app, headers={"user-agent": UA, "accept-language": "ru"}) as client:
        yield Site(services, client)
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


def outbox_code(services: Container, challenge: str) -> str:
    for line in reversed(services.settings.outbox_path.read_text(encoding="utf-8").splitlines()):
        if f'"challenge": "{challenge}"' in line:
            m = re.search(r'"code": "([0-9]{6})"', line)
            assert m
            return m.group(1)
    raise AssertionError("no outbox entry for the challenge")


def apply(http: TestClient, values: dict[str, str], csrf: str | None = None) -> str:
    """Post the loan form; returns the page (the code page on success)."""
    if csrf is None:
        csrf = token(http.get("/ru/apply").text, "apply-form")
    data: dict[str, str | list[str]] = {"csrf": csrf, **values, "channel": "phone"}
    data["consent"] = ["offers"]
    r = http.post("/ru/apply", data=data)
    assert r.status_code == 200, main_text(r.text)
    return r.text


def apply_and_confirm(site: Site, values: dict[str, str]) -> str:
    """The whole form flow; returns the new lead's subject id."""
    page = apply(site.client, values)
    challenge = hidden(page, "challenge")
    done = site.client.post(
        "/ru/confirm",
        data={"csrf": token(page, "confirm-form"), "challenge": challenge,
              "code": outbox_code(site.services, challenge)},
    )  # fmt: skip
    assert done.status_code == 200, main_text(done.text)
    m = re.search(r'id="reference">(QG-[0-9A-Z]{4}-[0-9A-Z]{4})<', done.text)
    assert m
    with site.services.db.engine.connect() as conn:
        sid = conn.execute(select(lead.c.subject_id).where(lead.c.reference == m.group(1)))
        return str(sid.scalar_one())


def ask_rights(http: TestClient, kind: str, contact: str) -> str:
    page = http.get("/ru/rights").text
    r = http.post(
        "/ru/rights",
        data={"csrf": token(page, "rights-form"), "kind": kind, "contact_kind": "phone",
              "contact": contact},
    )  # fmt: skip
    assert r.status_code == 200, main_text(r.text)
    return r.text


def rights_code(site: Site, page: str) -> str:
    rid = hidden(page, "request")
    return outbox_code(site.services, rid)


def enter_rights_code(http: TestClient, page: str, code: str) -> str:
    r = http.post(
        "/ru/rights/confirm",
        data={"csrf": token(page, "rights-code-form"), "request": hidden(page, "request"),
              "code": code},
    )  # fmt: skip
    return r.text


def count_subjects(services: Container) -> int:
    with services.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(subject)).scalar_one())


def stored(services: Container, sid: str) -> tuple[object, ...]:
    """Everything the vault holds of a subject: row, history, blind indexes, confirmations."""
    with services.db.engine.connect() as conn:
        row = conn.execute(select(subject).where(subject.c.id == sid)).one()
        hist = conn.execute(
            select(func.count()).select_from(history).where(history.c.subject_id == sid)
        ).scalar_one()
        index = conn.execute(
            select(blind_index.c.kind, blind_index.c.digest)
            .where(blind_index.c.subject_id == sid)
            .order_by(blind_index.c.kind)
        ).all()
        confirmed = conn.execute(
            select(confirmed_contact.c.kind, confirmed_contact.c.digest)
            .where(confirmed_contact.c.subject_id == sid)
            .order_by(confirmed_contact.c.kind)
        ).all()
    return (tuple(row), hist, tuple(index), tuple(confirmed))


@pytest.mark.parametrize("blocked", [False, True], ids=["active", "blocked"])
def test_a_known_iin_and_an_own_phone_never_open_the_persons_data(
    site: Site, blocked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = site.services
    # Four codes to the attacker's phone here (form, access, destroy, rectify).
    monkeypatch.setattr(services.requests, "code_limits", CodeLimits(10, 10))
    victim_values = site.person(last_name="Жертвова", first_name="Әлия")
    victim = apply_and_confirm(site, victim_values)
    iban = make_iban_kz("123", f"{site.serial:013d}")
    address = f"г. Семей, ул. Абая, д. {site.serial}, кв. 7"
    leakguard.register(iban, address)
    with services.db.unit_of_work() as conn:
        services.gate.clarify(
            conn, DPO, victim, "contract",
            {"bank_account": iban, "registration_address": address}, "staff:office",
        )  # fmt: skip
        if blocked:
            services.gate.block(conn, DPO, victim, "complaint")
    before = stored(services, victim)

    # The attacker: the person's IIN, their own name, phone and e-mail.
    attacker_values = site.person(iin=victim_values["iin"], last_name="Чужой", first_name="Ерлан")
    attacker_phone = attacker_values["phone"]
    own = apply_and_confirm(site, attacker_values)
    assert own != victim
    assert stored(services, victim) == before

    # "See my data" with their own phone: the report of their own submission only.
    page = ask_rights(site.client, "access", attacker_phone)
    report = enter_rights_code(site.client, page, rights_code(site, page))
    text = main_text(report)
    assert t("ru", "rights.report.title") in text
    assert "Чужой" in text
    for secret in (iban, address, victim_values["last_name"], victim_values["email"],
                   normalise_phone(victim_values["phone"])):  # fmt: skip
        assert secret not in report

    # Destroy and rectify requests with that phone are bound to their own submission too.
    for kind in ("destroy", "rectify"):
        page = ask_rights(site.client, kind, attacker_phone)
        after = enter_rights_code(site.client, page, rights_code(site, page))
        assert victim_values["last_name"] not in after
    with services.db.engine.connect() as conn:
        on_victim = conn.execute(
            select(func.count())
            .select_from(dsr_request)
            .where(or_(dsr_request.c.subject_id == victim, dsr_request.c.candidate_id == victim))
        ).scalar_one()
        bound = conn.execute(
            select(dsr_request.c.subject_id).where(dsr_request.c.subject_id.is_not(None))
        ).scalars()
        flagged = (
            conn.execute(
                select(subject_duplicate.c.of_subject_id).where(
                    subject_duplicate.c.subject_id == own
                )
            )
            .scalars()
            .all()
        )
    assert on_victim == 0
    assert victim not in set(bound)
    assert flagged == [victim]  # for staff to resolve
    # The victim's own phone still works for the victim (the code goes to them).
    page = ask_rights(site.client, "access", victim_values["phone"])
    entry = rights_code(site, page)
    assert entry
    assert stored(services, victim) == before
    assert services.verify_audit().ok


def test_the_form_answers_known_and_unknown_iins_alike(site: Site) -> None:
    """The same page and the same time for a known IIN and an unknown one: submitting looks
    nothing up (no subject, no blind index until the code). Medians within 10%."""
    known_iin = site.person()["iin"]
    apply_and_confirm(site, site.person(iin=known_iin))
    http = site.client
    csrf = token(http.get("/ru/apply").text, "apply-form")
    subjects = count_subjects(site.services)
    pages: dict[str, set[str]] = {"known": set(), "unknown": set()}
    times: dict[str, list[float]] = {"known": [], "unknown": []}

    def post(which: str, n: int) -> None:
        # Distinct phones with the same last digits: one code each, the same masked contact.
        values = site.person(phone=f"+7 705 {n:03d} {n % 100:02d} 45")
        if which == "known":
            values["iin"] = known_iin
        started = time.perf_counter()
        page = apply(http, values, csrf)
        times[which].append(time.perf_counter() - started)
        challenge = hidden(page, "challenge")
        body = main_text(page.replace(challenge, "<challenge>"))
        pages[which].add(re.sub(r'name="csrf" value="[^"]+"', "", body))

    for n in range(20):  # warm up
        post("known" if n % 2 else "unknown", 900 + n)
    # Up to three rounds of interleaved pairs: a lookup the known IIN costs shows in every
    # round; a busy machine (other processes on the two cores) skews one round, not three.
    attempts: list[tuple[float, float]] = []
    for attempt in range(3):
        times = {"known": [], "unknown": []}
        gc.collect()
        gc.disable()  # a collection landing in one group's requests is noise, not a signal
        try:
            for n in range(TIMING_RUNS):
                first, second = ("known", "unknown") if n % 2 else ("unknown", "known")
                post(first, 200 * attempt + 2 * n)
                post(second, 200 * attempt + 2 * n + 1)
        finally:
            gc.enable()
        known, unknown = statistics.median(times["known"]), statistics.median(times["unknown"])
        print(f"form median: known IIN {known * 1000:.2f} ms, unknown IIN {unknown * 1000:.2f} ms")
        attempts.append((known, unknown))
        if abs(known - unknown) <= 0.10 * max(known, unknown):
            break
    assert len(pages["known"]) == 1
    assert pages["known"] == pages["unknown"]
    known, unknown = attempts[-1]
    assert abs(known - unknown) <= 0.10 * max(known, unknown), attempts
    assert count_subjects(site.services) == subjects  # nothing collected without a code


def test_too_many_codes_for_one_contact_is_refused_with_a_page(site: Site) -> None:
    """policy 7.3.8: the fourth code in 15 minutes to one contact is refused, on the form
    and on the rights page, known contact or not, in the same words."""
    values = site.person()
    http = site.client
    for _ in range(3):
        apply(http, values)
    csrf = token(http.get("/ru/apply").text, "apply-form")
    data: dict[str, str | list[str]] = {"csrf": csrf, **values, "channel": "phone"}
    refused = http.post("/ru/apply", data=data)
    assert refused.status_code == 429
    assert t("ru", "error.codes") in main_text(refused.text)
    assert refused.headers["retry-after"] == "900"
    unknown = site.person()["phone"]
    answers = []
    for contact in (values["phone"], unknown):
        for _ in range(3 if contact == unknown else 0):
            ask_rights(http, "access", contact)
        page = http.get("/ru/rights").text
        r = http.post(
            "/ru/rights",
            data={"csrf": token(page, "rights-form"), "kind": "access",
                  "contact_kind": "phone", "contact": contact},
        )  # fmt: skip
        assert r.status_code == 429
        answers.append(main_text(r.text))
    assert answers[0] == answers[1]
    assert t("ru", "error.codes") in answers[0]


def test_staff_resolve_duplicates_through_the_api(site: Site) -> None:
    services = site.services
    first_values = site.person()
    first = apply_and_confirm(site, first_values)
    second = apply_and_confirm(site, site.person(iin=first_values["iin"]))
    with services.db.unit_of_work() as conn:
        _, dpo_key = services.api_keys.create_key(conn, "dpo", "e2e duplicates")
        _, operator_key = services.api_keys.create_key(conn, "operator", "e2e duplicates")
    http = site.client
    listed = http.get("/api/v1/duplicates", headers={"authorization": f"Bearer {dpo_key}"})
    assert listed.status_code == 200, listed.text
    pairs = [(d["subject_id"], d["of_subject_id"]) for d in listed.json()["data"]]
    assert (second, first) in pairs
    assert first_values["iin"] not in listed.text
    denied = http.get("/api/v1/duplicates", headers={"authorization": f"Bearer {operator_key}"})
    assert denied.status_code == 403
    body = {"of": first, "resolution": "distinct", "note": "Two people: a mistyped IIN."}
    done = http.post(
        f"/api/v1/duplicates/{second}/resolve",
        json=body,
        headers={"authorization": f"Bearer {dpo_key}"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["resolution"] == "distinct"
    again = http.post(
        f"/api/v1/duplicates/{second}/resolve",
        json=body,
        headers={"authorization": f"Bearer {dpo_key}"},
    )
    assert again.status_code == 409
    bad = http.post(
        f"/api/v1/duplicates/{second}/resolve",
        json={**body, "resolution": "merge"},
        headers={"authorization": f"Bearer {dpo_key}"},
    )
    assert bad.status_code == 422
    after = http.get("/api/v1/duplicates", headers={"authorization": f"Bearer {dpo_key}"})
    assert (second, first) not in [
        (d["subject_id"], d["of_subject_id"]) for d in after.json()["data"]
    ]
    assert services.verify_audit().ok
