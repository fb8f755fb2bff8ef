"""The public site's loan-request intake and cookie tracking, on SQLite and PostgreSQL
(policy 2.1, 3.2, 5.1, 6.1, 6.6, 8.2; DESIGN 1, 5).

Service level: submit -> one-time code -> consents granted only with the right code, each
with its exact text, the policy version and the evidence method; duplicates clarify the same
person; invalid input stores nothing; codes are hashed at rest, expire and are single use.
The pure pieces (form rules, consent texts, CSRF tokens, rate limiter, Markdown, header
parsing) are tested here too, without I/O.
"""

from __future__ import annotations

import hashlib
import re
import socket
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

import leakguard
from qorgau.app import Services
from qorgau.catalog import Catalogue, make_iin
from qorgau.consent.store import consent
from qorgau.intake.model import (
    CONSENTS,
    TRANSFER,
    CodeReason,
    CodeRejected,
    ConsentTerms,
    LeadConfirmed,
    LeadRejected,
    LeadSubmission,
    age_on,
    consent_texts,
    new_reference,
)
from qorgau.intake.otp import DevSender, OtpUndeliverable, SmtpSender, hash_code
from qorgau.intake.service import SITE_ACTOR, PendingCode
from qorgau.intake.store import lead, otp_challenge
from qorgau.tracking.model import Client, Landing, languages, parse_client, referrer_host
from qorgau.tracking.store import cookie_choice, visit
from qorgau.vault.model import Actor, FieldDenied
from qorgau.vault.store import subject
from qorgau.web.csrf import CsrfGuard
from qorgau.web.i18n import MESSAGES, error_message, negotiate
from qorgau.web.markup import to_html
from qorgau.web.ratelimit import RateLimiter

IP = "203.0.113.9"  # TEST-NET-3, documentation range
UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0.0.0 Mobile"


def adult_iin(serial: int = 77) -> str:
    return make_iin(date(1992, 6, 14), "female", serial)


def form(**over: str) -> dict[str, str]:
    values = {
        "last_name": "Нұрланова",
        "first_name": "Әсем",
        "patronymic": "",
        "phone": "+7 705 555 01 23",
        "iin": adult_iin(),
        "email": "asem.test@example.com",
        "city": "Алматы",
        "loan_amount": "150 000",
        "loan_term_days": "30",
        "income": "320000",
        "employment": "employed",
        "note": "",
    }
    values.update(over)
    leakguard.register(*(v for k, v in values.items() if k in ("last_name", "iin", "email")))
    return values


@dataclass
class FakeSender:
    sent: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def send(
        self, channel: str, address: str, code: str, language: str, *, challenge: str = ""
    ) -> None:
        self.sent.append((channel, address, code, language, challenge))


@pytest.fixture
def sender(services: Services) -> FakeSender:
    fake = FakeSender()
    services.intake.sender = fake
    return fake


@pytest.fixture
def published(services: Services, dpo: Actor) -> str:
    with services.db.unit_of_work() as conn:
        return services.policy.publish(conn, dpo, note="test").id


def submit(
    services: Services,
    consents: frozenset[str] = frozenset(),
    channel: str = "phone",
    lang: str = "ru",
    **over: str,
) -> PendingCode:
    sub = LeadSubmission(form(**over), consents, channel, lang)
    with services.db.unit_of_work() as conn:
        pending = services.intake.submit_lead(conn, SITE_ACTOR, sub)
    services.intake.deliver(pending)
    return pending


def confirm(
    services: Services, challenge: str, code: str, **kw: object
) -> LeadConfirmed | CodeRejected:
    with services.db.unit_of_work() as conn:
        return services.intake.confirm_code(
            conn,
            SITE_ACTOR,
            challenge,
            code,
            ip=IP,
            user_agent=UA,
            **kw,  # type: ignore[arg-type]
        )


def count(services: Services, table: object) -> int:
    with services.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- the flow ---------------------------------------------------------------------------------


def test_code_grants_exactly_the_ticked_consents(
    services: Services, sender: FakeSender, published: str, dpo: Actor
) -> None:
    """policy 6.1, 8.2: each ticked consent with its exact text, the policy version, the
    language, channel WEB and evidence otp:<channel>; nothing else."""
    pending = submit(services, frozenset({"offers", TRANSFER}))
    channel, address, code, language, challenge = sender.sent[-1]
    assert (channel, address, language, challenge) == (
        "phone",
        "+77055550123",
        "ru",
        pending.challenge_id,
    )
    assert pending.masked == "+7 *** *** ** 23"
    assert re.fullmatch(r"[0-9]{6}", code)

    # Wrong codes count attempts; no consent before the right code.
    for left in (4, 3):
        result = confirm(services, challenge, wrong(code))
        assert result == CodeRejected(CodeReason.WRONG, left, "phone")
    with services.db.engine.connect() as conn:
        assert services.ledger.consents(conn, pending.subject_id) == []
    assert count(services, lead) == 0

    done = confirm(services, challenge, code)
    assert isinstance(done, LeadConfirmed)
    assert re.fullmatch(r"QG-[2-9A-Z]{4}-[2-9A-Z]{4}", done.reference)
    assert set(done.consents) == {"offers", TRANSFER}
    texts = services.intake.consent_texts("ru")
    with services.db.engine.connect() as conn:
        views = {c.purpose: c for c in services.ledger.consents(conn, pending.subject_id)}
        assert set(views) == {"offers", TRANSFER}
        for purpose, view in views.items():
            assert view.text_hash == hashlib.sha256(texts[purpose].encode()).hexdigest()
            assert services.ledger.text(conn, view.text_hash) == texts[purpose]
            assert view.policy_version == published
            assert view.policy_hash is not None
            assert view.evidence_method == "otp:phone"
            assert view.channel == "web"
            assert view.language == "ru"
        assert views[TRANSFER].recipients == tuple(p.code for p in services.settings.partners)
        assert views[TRANSFER].third_party_transfer
        row = conn.execute(select(lead)).mappings().one()
        assert row["subject_id"] == pending.subject_id
        assert row["reference"] == done.reference
        assert row["status"] == "new"
        # The evidence (IP, user agent) is sealed, not stored in clear.
        sealed = conn.execute(select(consent.c.evidence_sealed)).scalars().all()
        assert all(s is not None and IP.encode() not in s for s in sealed)

    # Single use.
    assert confirm(services, challenge, code) == CodeRejected(CodeReason.USED, 0, "phone")
    assert services.verify_audit().ok


def test_attempts_are_limited(services: Services, sender: FakeSender) -> None:
    pending = submit(services, frozenset({"offers"}))
    code = sender.sent[-1][2]
    results = [confirm(services, pending.challenge_id, wrong(code)) for _ in range(5)]
    assert [r.attempts_left for r in results if isinstance(r, CodeRejected)] == [4, 3, 2, 1, 0]
    assert isinstance(results[-1], CodeRejected)
    assert results[-1].reason == CodeReason.ATTEMPTS
    # Even the right code is refused now, and nothing was granted.
    assert confirm(services, pending.challenge_id, code) == CodeRejected(
        CodeReason.ATTEMPTS, 0, "phone"
    )
    assert count(services, consent) == 0
    assert count(services, lead) == 0


def test_expired_and_unknown_codes_are_refused(services: Services, sender: FakeSender) -> None:
    pending = submit(services, frozenset({"service_info"}), channel="email")
    code = sender.sent[-1][2]
    assert sender.sent[-1][0:2] == ("email", "asem.test@example.com")
    later = datetime.now(UTC) + timedelta(minutes=11)
    assert confirm(services, pending.challenge_id, code, now=later) == CodeRejected(
        CodeReason.EXPIRED, 0, "email"
    )
    assert confirm(services, "0" * 32, code) == CodeRejected(CodeReason.UNKNOWN)
    assert isinstance(confirm(services, pending.challenge_id, "12a"), CodeRejected)
    assert count(services, consent) == 0


def test_code_is_hashed_at_rest(services: Services, sender: FakeSender) -> None:
    pending = submit(services)
    code = sender.sent[-1][2]
    with services.db.engine.connect() as conn:
        row = conn.execute(select(otp_challenge)).mappings().one()
    assert row["hash"] == hash_code(services.intake._code_key, pending.challenge_id, code)
    for value in row.values():
        text = value if isinstance(value, str) else repr(value)
        assert code not in text
        assert "+77055550123" not in text
    assert code not in repr(pending)
    assert "+77055550123" not in repr(pending)


def test_no_consent_ticked_still_records_the_lead(services: Services, sender: FakeSender) -> None:
    pending = submit(services)
    done = confirm(services, pending.challenge_id, sender.sent[-1][2])
    assert isinstance(done, LeadConfirmed)
    assert done.consents == ()
    assert count(services, consent) == 0
    assert count(services, lead) == 1


def test_duplicate_submission_clarifies_the_same_subject(
    services: Services, sender: FakeSender, dpo: Actor
) -> None:
    first = submit(services)
    again = submit(services, email="asem.new@example.com", phone="8 705 555 01 23")
    assert again.subject_id == first.subject_id
    assert count(services, subject) == 1
    with services.db.unit_of_work() as conn:
        values = services.gate.read(conn, dpo, first.subject_id, "contract", ["email"]).values
    assert values["email"] == "asem.new@example.com"
    # Same IIN from a new phone: still the same person.
    third = submit(services, phone="+7 777 555 99 88")
    assert third.subject_id == first.subject_id
    # The same phone under another IIN is another person: never merged (policy 4.1).
    other = submit(services, iin=adult_iin(4242), first_name="Дана")
    assert other.subject_id != first.subject_id
    assert count(services, subject) == 2


def test_under_age_is_refused_and_nothing_stored(services: Services, sender: FakeSender) -> None:
    today = date.today()
    born = date(today.year - 17, 1, 1)
    with pytest.raises(LeadRejected) as info:
        submit(services, frozenset({"offers"}), iin=make_iin(born, "male", 55))
    assert [(e.field, e.code) for e in info.value.errors] == [("iin", "iin.under_age")]
    assert age_on(date(2000, 6, 15), date(2018, 6, 14)) == 17
    assert age_on(date(2000, 6, 15), date(2018, 6, 15)) == 18
    assert (count(services, subject), count(services, otp_challenge)) == (0, 0)
    assert sender.sent == []


def test_special_category_is_refused_and_nothing_stored(
    services: Services, sender: FakeSender
) -> None:
    """policy 3.2: the note is scanned; the error names the category, never the text."""
    note = "Я православный, прошу учесть"
    with pytest.raises(LeadRejected) as info:
        submit(services, note=note)
    (err,) = info.value.errors
    assert (err.field, err.code, err.category) == ("note", "special_category", "religious_beliefs")
    assert note not in str(info.value)
    assert "религиозные" in error_message("ru", err.code, err.category)
    assert (count(services, subject), count(services, otp_challenge)) == (0, 0)


def test_invalid_input_reports_every_field_and_stores_nothing(
    services: Services, sender: FakeSender
) -> None:
    bad = {
        "iin": "123456789012",
        "phone": "+7 999 123 45 67",
        "email": "not-an-email",
        "loan_amount": "10",
        "employment": "astronaut",
        "first_name": "",
    }
    with pytest.raises(LeadRejected) as info:
        submit(services, frozenset({"bogus"}), channel="pigeon", **bad)
    got = {e.field: e.code for e in info.value.errors}
    assert got == {
        "first_name": "value.empty",
        "phone": "phone.country",
        "iin": "iin.century",
        "email": "email.format",
        "loan_amount": "money.range",
        "employment": "enum.choice",
        "consent": "consent.unknown",
        "channel": "channel.choice",
    }
    message = str(info.value)
    assert "123456789012" not in message
    assert "999" not in message
    assert (count(services, subject), count(services, otp_challenge)) == (0, 0)
    for e in info.value.errors:
        for lang in ("kk", "ru", "en"):
            assert error_message(lang, e.code, e.category, min="1", max="2") != error_message(
                lang, "no.such.code"
            ), (e.code, lang)


def test_statistics_consent_links_the_web_user_data(
    services: Services, sender: FakeSender, dpo: Actor
) -> None:
    """policy 5.1: user data goes to the vault under statistics only with analytics allowed
    (the caller passes it) and the P4 consent given."""
    user_data = {
        "ip_address": IP,
        "os": "Android 14",
        "browser": "Chrome 126",
        "device_type": "mobile",
        "referrer": "https://search.example.org/",
        "ad_source": "newsletter",
        "languages": "ru-RU,kk",
        "screen_resolution": "not a resolution",  # refused by the catalogue: left out
    }
    pending = submit(services, frozenset({"statistics"}))
    done = confirm(services, pending.challenge_id, sender.sent[-1][2], user_data=user_data)
    assert isinstance(done, LeadConfirmed)
    with services.db.unit_of_work() as conn:
        stats = services.gate.read(conn, dpo, pending.subject_id, "statistics").values
    assert stats["os"] == "Android 14"
    assert stats["ip_address"] == IP
    assert stats["device_type"] == "mobile"
    assert "screen_resolution" not in stats
    # Without the P4 consent the same data is not collected.
    other = submit(services, frozenset({"offers"}), iin=adult_iin(999), phone="+77015550000")
    confirm(services, other.challenge_id, sender.sent[-1][2], user_data=user_data)
    with services.db.unit_of_work() as conn:
        meta = services.gate.read(conn, dpo, other.subject_id, "contract").meta
    assert all(m.purpose == "contract" for m in meta.values())


def test_the_site_role_reads_nothing(services: Services, sender: FakeSender) -> None:
    """DESIGN 1: the public site writes through the gate but may not read any field."""
    pending = submit(services)
    with pytest.raises(FieldDenied), services.db.unit_of_work() as conn:
        services.gate.read(conn, SITE_ACTOR, pending.subject_id, "contract", ["phone"])
    with services.db.unit_of_work() as conn:
        found = services.gate.read(conn, SITE_ACTOR, pending.subject_id, "contract")
    assert found.values == {}


def test_dev_sender_writes_masked_outbox(services: Services) -> None:
    path = services.settings.outbox_path
    DevSender(path, echo=False).send("phone", "+77055550123", "123456", "kk", challenge="c1")
    DevSender(path, echo=False).send("email", "asem.test@example.com", "654321", "en")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert '"to_masked": "+7 *** *** ** 23"' in lines[0]
    assert '"code": "123456"' in lines[0]
    assert '"challenge": "c1"' in lines[0]
    assert "a***@example.com" in lines[1]
    assert "+77055550123" not in lines[0]
    assert "asem.test" not in lines[1]
    assert path.stat().st_mode & 0o077 == 0


def test_smtp_sender_refuses_sms_and_hides_the_address() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    smtp = SmtpSender("127.0.0.1", port, "noreply@example.org", starttls=False, timeout=2)
    with pytest.raises(OtpUndeliverable, match="channel 'phone'"):
        smtp.send("phone", "+77055550123", "123456", "ru")
    with pytest.raises(OtpUndeliverable) as info:
        smtp.send("email", "asem.test@example.com", "123456", "ru")
    assert "asem.test" not in str(info.value)
    assert "123456" not in str(info.value)


def test_purge_challenges(services: Services, sender: FakeSender) -> None:
    submit(services)
    with services.db.unit_of_work() as conn:
        assert services.intake.purge_challenges(conn) == 0
        later = datetime.now(UTC) + timedelta(days=1, minutes=11)
        assert services.intake.purge_challenges(conn, later) == 1


# -- cookie choices and visits (policy 5.1) ----------------------------------------------------


def client() -> Client:
    return parse_client(UA, "ru-RU,ru;q=0.9,kk;q=0.8")


def test_visits_only_with_analytics_and_no_raw_ip(services: Services) -> None:
    tracking = services.tracking
    landing = Landing("search.example.org", "newsletter")
    with services.db.unit_of_work() as conn:
        rejected = tracking.record_choice(conn, False, False, None)
        accepted = tracking.record_choice(conn, True, False, "v1")
        assert not tracking.record_visit(conn, rejected, "home", client(), landing, IP)
        assert tracking.record_visit(conn, accepted, "home", client(), landing, IP)
        assert tracking.record_visit(conn, accepted, "apply", client(), Landing(None, None), IP)
    with services.db.engine.connect() as conn:
        rows = conn.execute(select(visit)).mappings().all()
        assert [r["choice_id"] for r in rows] == [accepted.id, accepted.id]
        first = rows[0]
        assert (first["os_family"], first["browser_family"], first["device_type"]) == (
            "Android",
            "Chrome",
            "mobile",
        )
        assert first["language"] == "ru"
        assert first["ip_hmac"] is not None
        assert IP.encode() not in first["ip_hmac"]
        # Same IP, same day: same hash (distinct visitors can be counted).
        assert rows[0]["ip_hmac"] == rows[1]["ip_hmac"]
        assert tracking.landing(conn, accepted.id) == landing
        assert tracking.get_choice(conn, accepted.id) == accepted
        assert tracking.get_choice(conn, "not-an-id") is None
        stored = conn.execute(select(cookie_choice)).mappings().all()
        assert {(r["analytics"], r["marketing"]) for r in stored} == {(False, False), (True, False)}


def test_purge_visits_keeps_the_recent_one(services: Services) -> None:
    """Retention (policy 4.1): one visit past cookie_retention_days, one not."""
    days = services.settings.cookie_retention_days
    now = datetime.now(UTC)
    with services.db.unit_of_work() as conn:
        choice = services.tracking.record_choice(conn, True, True, None)
        for at in (now - timedelta(days=days, minutes=1), now - timedelta(days=days - 1)):
            conn.execute(
                insert(visit).values(
                    choice_id=choice.id, at=at, page="home", os_family="Linux",
                    browser_family="Firefox", device_type="desktop",
                )
            )  # fmt: skip
    with services.db.unit_of_work() as conn:
        assert services.tracking.purge_visits(conn, now) == 1
        assert services.tracking.purge_visits(conn, now) == 0
    assert count(services, visit) == 1


# -- pure pieces ----------------------------------------------------------------------------------


def test_consent_texts_are_complete_in_every_language() -> None:
    cat = Catalogue.default()
    terms = ConsentTerms("Demo Operator LLP", "220840003513", ("Demo MFO LLP", "Other LLP"), 1825)
    for lang in ("kk", "ru", "en"):
        texts = consent_texts(cat, terms, lang)
        assert set(texts) == set(CONSENTS)
        assert all("Demo Operator LLP" in t and "220840003513" in t for t in texts.values())
        assert "Demo MFO LLP" in texts[TRANSFER]
        assert "Other LLP" in texts[TRANSFER]
        assert cat.purpose("offers").labels[lang] in texts["offers"]
        assert "365" in texts["offers"]
        assert len(set(texts.values())) == len(texts)


def test_references_are_unambiguous() -> None:
    refs = {new_reference() for _ in range(200)}
    assert len(refs) == 200
    assert all(re.fullmatch(r"QG-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", r) for r in refs)


def test_csrf_tokens_are_bound_to_cookie_form_and_time() -> None:
    guard = CsrfGuard(b"k" * 32, max_age=60)
    cookie = CsrfGuard.new_cookie()
    token = guard.token(cookie, "apply", now=1000)
    assert guard.verify(cookie, "apply", token, now=1010)
    assert not guard.verify(cookie, "confirm", token, now=1010)
    assert not guard.verify(CsrfGuard.new_cookie(), "apply", token, now=1010)
    assert not guard.verify(cookie, "apply", token, now=1061)
    assert not guard.verify(None, "apply", token, now=1010)
    assert not guard.verify(cookie, "apply", "", now=1010)
    assert not guard.verify(cookie, "apply", "zz.abc", now=1010)
    assert not CsrfGuard(b"x" * 32).verify(cookie, "apply", token, now=1010)


def test_rate_limiter_token_bucket() -> None:
    now = [0.0]
    limiter = RateLimiter(b"k" * 32, burst=3, per_minute=6, clock=lambda: now[0])
    assert [limiter.hit("198.51.100.1") for _ in range(3)] == [None, None, None]
    assert limiter.hit("198.51.100.1") == 10  # one token every 10 s
    assert limiter.hit("198.51.100.2") is None  # another client has its own bucket
    now[0] = 10.0
    assert limiter.hit("198.51.100.1") is None
    assert all(b"198.51" not in k for k in limiter._buckets)


def test_markdown_is_escaped_and_links_are_safe() -> None:
    out = to_html(
        "# Title <b>\n\nText **bold** [x](javascript:alert(1)) https://example.org/a?b=1&c=2\n\n"
        "- one\n- two\n\n<script>alert(1)</script>"
    )
    assert '<h1 id="title-b">Title &lt;b&gt;</h1>' in out
    assert "<strong>bold</strong>" in out
    assert 'href="javascript' not in out
    assert "[x](javascript:alert(1))" in out  # left as text
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in out
    assert "<ul><li>one</li><li>two</li></ul>" in out
    assert "<script>" not in out
    assert "&lt;script&gt;" in out


def test_headers_are_generalised() -> None:
    c = parse_client(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "kk-KZ,kk;q=0.9,ru;q=0.8,en;q=0",
    )
    assert (c.os_family, c.os_version, c.browser_family, c.device_type) == (
        "iOS",
        "17",
        "Safari",
        "mobile",
    )
    assert (c.language, c.languages) == ("kk", "kk-kz,kk,ru")
    desktop = parse_client(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
        "",
    )
    assert (desktop.os_family, desktop.os_version, desktop.browser_family) == (
        "Windows",
        "10",
        "Edge",
    )
    assert desktop.device_type == "desktop"
    assert desktop.language is None
    assert parse_client("Googlebot/2.1", "").device_type == "other"
    assert referrer_host("https://www.Example.org/path?q=secret", "site.example.com") == (
        "www.example.org"
    )
    assert referrer_host("https://site.example.com/ru/", "site.example.com") is None
    assert referrer_host("javascript:alert(1)", "x") is None
    assert languages("xx-YY;q=0.5, *;q=0.1, en") == ["en", "xx-yy"]


def test_language_negotiation_and_catalogue() -> None:
    assert negotiate("kk-KZ,ru;q=0.8") == "kk"
    assert negotiate("en-US,en;q=0.9,ru;q=0.8") == "en"
    assert negotiate("de-DE,fr;q=0.5") == "ru"
    assert negotiate("ru;q=0.5,kk;q=0.9") == "kk"
    assert negotiate("") == "ru"
    for key, texts in MESSAGES.items():
        assert len(texts) == 3, key
        assert all(texts), key
        # Placeholders agree across languages.
        names = [sorted(re.findall(r"{(\w+)}", s)) for s in texts]
        assert names[0] == names[1] == names[2], key
