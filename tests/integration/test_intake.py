"""The public site's loan-request intake and cookie tracking, on SQLite and PostgreSQL
(policy 2.1, 3.2, 5.1, 6.1, 6.6, 8.2; DESIGN 1, 5).

Service level: submit -> one-time code -> subject collected and consents granted only with
the right code, each with its exact text, the policy version and the evidence method; until
then the submission is sealed outside the vault (policy 4.1, 7.3.8); a known IIN makes a new
subject flagged as a possible duplicate, never a change to the existing one; invalid input
stores nothing; codes are hashed at rest, expire, are single use and limited per contact.
The pure pieces (form rules, consent texts, CSRF tokens, rate limiter, Markdown, header
parsing) are tested here too, without I/O.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

import leakguard
from qorgau.audit.store import audit_event
from qorgau.catalog import Catalogue, make_iin
from qorgau.config import Settings
from qorgau.consent.store import consent
from qorgau.container import Container
from qorgau.dsr.model import Channel, Kind
from qorgau.i18n import MESSAGES, error_message, negotiate
from qorgau.intake.duplicates import DuplicateNotFound, DuplicateResolved, UnknownResolution
from qorgau.intake.limits import CodeLimits, TooManyCodes
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
from qorgau.intake.store import code_send, lead, subject_duplicate
from qorgau.security.access import OperationNotPermitted
from qorgau.security.actors import RIGHTS, Actor
from qorgau.tracking.model import Client, Landing, languages, parse_client, referrer_host
from qorgau.tracking.store import cookie_choice, visit
from qorgau.vault.keys import kek_usage, rewrap_batch
from qorgau.vault.model import FieldDenied, IntegrityFailure
from qorgau.vault.store import blind_index, otp_challenge, subject
from qorgau.web.csrf import CsrfGuard
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
def sender(services: Container) -> FakeSender:
    fake = FakeSender()
    services.intake.sender = fake
    return fake


@pytest.fixture
def published(services: Container, dpo: Actor) -> str:
    with services.db.unit_of_work() as conn:
        return services.policy.publish(conn, dpo, note="test").id


def submit(
    services: Container,
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
    services: Container, challenge: str, code: str, **kw: object
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


def count(services: Container, table: object) -> int:
    with services.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- the flow ---------------------------------------------------------------------------------


def test_code_grants_exactly_the_ticked_consents(
    services: Container, sender: FakeSender, published: str, dpo: Actor
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

    # Wrong codes count attempts; nothing is collected and no consent before the right code.
    for left in (4, 3):
        result = confirm(services, challenge, wrong(code))
        assert result == CodeRejected(CodeReason.WRONG, left, "phone")
    assert (count(services, subject), count(services, blind_index)) == (0, 0)
    assert (count(services, consent), count(services, lead)) == (0, 0)

    done = confirm(services, challenge, code)
    assert isinstance(done, LeadConfirmed)
    assert re.fullmatch(r"QG-[2-9A-Z]{4}-[2-9A-Z]{4}", done.reference)
    assert set(done.consents) == {"offers", TRANSFER}
    texts = services.intake.consent_texts("ru")
    with services.db.engine.connect() as conn:
        row = conn.execute(select(otp_challenge)).mappings().one()
        # The subject is set on confirmation and the sealed submission dropped.
        assert row["subject_id"] == done.subject_id
        assert (row["kek_id"], row["wrapped_key"], row["sealed"]) == (None, None, None)
        views = {c.purpose: c for c in services.ledger.consents(conn, done.subject_id)}
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
        assert row["subject_id"] == done.subject_id
        assert row["reference"] == done.reference
        assert row["status"] == "new"
        # The evidence (IP, user agent) is sealed, not stored in clear.
        sealed = conn.execute(select(consent.c.evidence_sealed)).scalars().all()
        assert all(s is not None and IP.encode() not in s for s in sealed)

    # Single use.
    assert confirm(services, challenge, code) == CodeRejected(CodeReason.USED, 0, "phone")
    assert services.verify_audit().ok


def test_attempts_are_limited(services: Container, sender: FakeSender) -> None:
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


def test_expired_and_unknown_codes_are_refused(services: Container, sender: FakeSender) -> None:
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


def test_code_is_hashed_at_rest(services: Container, sender: FakeSender) -> None:
    pending = submit(services)
    code = sender.sent[-1][2]
    with services.db.engine.connect() as conn:
        row = conn.execute(select(otp_challenge)).mappings().one()
    assert row["hash"] == hash_code(services.intake._code_key, pending.challenge_id, code)
    values = form()
    for value in row.values():
        text = value if isinstance(value, str) else repr(value)
        assert code not in text
        assert "+77055550123" not in text
        # The submission is sealed: no value of it in clear, in the row or in the vault.
        assert not any(v and v in text for v in (values["iin"], values["email"], "Нұрланова"))
    assert row["subject_id"] is None
    assert row["sealed"] is not None
    assert row["wrapped_key"] is not None
    assert (count(services, subject), count(services, blind_index)) == (0, 0)
    assert code not in repr(pending)
    assert "+77055550123" not in repr(pending)


def test_no_consent_ticked_still_records_the_lead(services: Container, sender: FakeSender) -> None:
    pending = submit(services)
    done = confirm(services, pending.challenge_id, sender.sent[-1][2])
    assert isinstance(done, LeadConfirmed)
    assert done.consents == ()
    assert count(services, consent) == 0
    assert count(services, lead) == 1


def submit_and_confirm(services: Container, sender: FakeSender, **over: str) -> LeadConfirmed:
    pending = submit(services, **over)
    done = confirm(services, pending.challenge_id, sender.sent[-1][2])
    assert isinstance(done, LeadConfirmed)
    return done


def stored(services: Container, sid: str) -> tuple[object, ...]:
    """A subject's stored rows: status, sealed values, history, blind indexes."""
    with services.db.engine.connect() as conn:
        row = conn.execute(
            select(subject.c.status, subject.c.sealed).where(subject.c.id == sid)
        ).one()
        index = conn.execute(
            select(blind_index.c.kind, blind_index.c.digest)
            .where(blind_index.c.subject_id == sid)
            .order_by(blind_index.c.kind)
        ).all()
    return (row[0], bytes(row[1]), tuple(index))


def test_a_known_iin_makes_a_new_subject_flagged_as_duplicate(
    services: Container, sender: FakeSender, dpo: Actor
) -> None:
    """policy 4.1, 7.3.8: a confirmed code proves the contact, not the identity. The same
    IIN again (new phone and e-mail) is a NEW subject flagged for staff; the existing one
    keeps its values and blind indexes, also when it is blocked."""
    first = submit_and_confirm(services, sender)
    before = stored(services, first.subject_id)
    again = submit_and_confirm(
        services, sender, email="asem.new@example.com", phone="+7 777 555 99 88"
    )
    assert again.subject_id != first.subject_id
    assert stored(services, first.subject_id) == before
    with services.db.unit_of_work() as conn:
        old = services.gate.read(conn, dpo, first.subject_id, "contract", ["email", "phone"])
        new = services.gate.read(conn, dpo, again.subject_id, "contract", ["email", "iin"])
        flags = services.intake.open_duplicates(conn, dpo)
    assert old.values == {"email": "asem.test@example.com", "phone": "+77055550123"}
    assert new.values == {"email": "asem.new@example.com", "iin": adult_iin()}
    assert [(f.subject_id, f.of_subject_id) for f in flags] == [
        (again.subject_id, first.subject_id)
    ]
    # The flag's audit event names subject ids only.
    with services.db.engine.connect() as conn:
        body = conn.execute(
            select(audit_event.c.body).where(audit_event.c.action == "duplicate.flag")
        ).scalar_one()
    assert first.subject_id.encode() in bytes(body)
    assert adult_iin().encode() not in bytes(body)

    # A blocked subject is not changed either; the new one is flagged against both.
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, dpo, first.subject_id, "complaint")
    blocked = stored(services, first.subject_id)
    third = submit_and_confirm(services, sender, phone="+7 701 555 44 33")
    assert stored(services, first.subject_id) == blocked
    with services.db.engine.connect() as conn:
        of = (
            conn.execute(
                select(subject_duplicate.c.of_subject_id)
                .where(subject_duplicate.c.subject_id == third.subject_id)
                .order_by(subject_duplicate.c.of_subject_id)
            )
            .scalars()
            .all()
        )
    assert of == sorted([first.subject_id, again.subject_id])

    # The same phone under another IIN is another person: a new subject, no flag.
    other = submit_and_confirm(services, sender, iin=adult_iin(4242), first_name="Дана")
    with services.db.engine.connect() as conn:
        flagged = conn.execute(
            select(subject_duplicate.c.subject_id).where(
                subject_duplicate.c.subject_id == other.subject_id
            )
        ).all()
    assert flagged == []
    assert count(services, subject) == 4
    assert services.verify_audit().ok


def test_staff_resolve_a_possible_duplicate(
    services: Container, sender: FakeSender, dpo: Actor, operator: Actor
) -> None:
    """Only the DPO (operation ``block``) lists and resolves flags; a decision is recorded
    once, audited without the note, and changes neither subject."""
    first = submit_and_confirm(services, sender)
    again = submit_and_confirm(services, sender, phone="+7 777 555 99 88")
    before = (stored(services, first.subject_id), stored(services, again.subject_id))
    with pytest.raises(OperationNotPermitted), services.db.unit_of_work() as conn:
        services.intake.open_duplicates(conn, operator)
    with pytest.raises(UnknownResolution), services.db.unit_of_work() as conn:
        services.intake.resolve_duplicate(conn, dpo, again.subject_id, first.subject_id, "merge")
    with pytest.raises(DuplicateNotFound), services.db.unit_of_work() as conn:
        services.intake.resolve_duplicate(conn, dpo, first.subject_id, again.subject_id, "distinct")
    note = "Checked by call-back: the same applicant, new number."
    with services.db.unit_of_work() as conn:
        done = services.intake.resolve_duplicate(
            conn, dpo, again.subject_id, first.subject_id, "same-person", note
        )
        assert services.intake.open_duplicates(conn, dpo) == []
    assert (done.resolution, done.resolved_by, done.note) == ("same-person", dpo.id, note)
    with pytest.raises(DuplicateResolved), services.db.unit_of_work() as conn:
        services.intake.resolve_duplicate(conn, dpo, again.subject_id, first.subject_id, "distinct")
    assert (stored(services, first.subject_id), stored(services, again.subject_id)) == before
    with services.db.engine.connect() as conn:
        body = conn.execute(
            select(audit_event.c.body).where(audit_event.c.action == "duplicate.resolve")
        ).scalar_one()
    assert b"same-person" in bytes(body)
    assert b"call-back" not in bytes(body)
    assert services.verify_audit().ok


def test_under_age_is_refused_and_nothing_stored(services: Container, sender: FakeSender) -> None:
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
    services: Container, sender: FakeSender
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


def test_every_text_field_is_scanned_and_every_category_named(
    services: Container, sender: FakeSender
) -> None:
    """Issue 14 (policy 3.2): the city (a place) was not scanned; a note naming several
    categories names them all; ordinary borrower speech passes."""
    city = "Мусульманин, ранее судим"
    note = "Уйгур, состоит в партии"
    with pytest.raises(LeadRejected) as info:
        submit(services, city=city, note=note)
    errors = {e.field: e for e in info.value.errors}
    assert set(errors) == {"city", "note"}
    assert errors["city"].categories == ("religious_beliefs", "criminal_record")
    assert errors["note"].categories == ("nationality", "political_views")
    assert errors["note"].code == "special_category"
    assert city not in str(info.value)
    assert note not in str(info.value)
    shown = error_message("ru", "special_category", errors["note"].categories)
    assert "национальная принадлежность" in shown
    assert "политические взгляды" in shown
    assert (count(services, subject), count(services, otp_challenge)) == (0, 0)
    pending = submit(services, note="Нужен заём на закупку партии товара, политика банка строгая")
    assert pending.challenge_id
    assert count(services, otp_challenge) == 1


def test_invalid_input_reports_every_field_and_stores_nothing(
    services: Container, sender: FakeSender
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
    services: Container, sender: FakeSender, dpo: Actor
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
        stats = services.gate.read(conn, dpo, done.subject_id, "statistics").values
    assert stats["os"] == "Android 14"
    assert stats["ip_address"] == IP
    assert stats["device_type"] == "mobile"
    assert "screen_resolution" not in stats
    # Without the P4 consent the same data is not collected.
    other = submit(services, frozenset({"offers"}), iin=adult_iin(999), phone="+77015550000")
    second = confirm(services, other.challenge_id, sender.sent[-1][2], user_data=user_data)
    assert isinstance(second, LeadConfirmed)
    with services.db.unit_of_work() as conn:
        meta = services.gate.read(conn, dpo, second.subject_id, "contract").meta
    assert all(m.purpose == "contract" for m in meta.values())


def test_the_site_role_reads_nothing(services: Container, sender: FakeSender) -> None:
    """DESIGN 1: the public site writes through the gate but may not read any field."""
    done = submit_and_confirm(services, sender)
    with pytest.raises(FieldDenied), services.db.unit_of_work() as conn:
        services.gate.read(conn, SITE_ACTOR, done.subject_id, "contract", ["phone"])
    # Nor everything the purpose allows: a role that may see no field is refused outright.
    with pytest.raises(FieldDenied), services.db.unit_of_work() as conn:
        services.gate.read(conn, SITE_ACTOR, done.subject_id, "contract")


def test_dev_sender_writes_masked_outbox(services: Container) -> None:
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


def test_purge_challenges(services: Container, sender: FakeSender) -> None:
    """Retention (policy 4.1): an unconfirmed submission goes at its code's expiry, sealed
    payload and wrapped key with it; a used challenge (payload already dropped) a day past
    its expiry; code counts after a day. One row past each cutoff, one not."""
    unconfirmed = submit(services)
    used = submit_and_confirm(services, sender, phone="+7 777 555 99 88")
    now = datetime.now(UTC)
    with services.db.unit_of_work() as conn:
        assert services.intake.purge_challenges(conn, now) == 0
        ids = set(conn.execute(select(otp_challenge.c.id)).scalars())
        assert unconfirmed.challenge_id in ids
        assert len(ids) == 2
        # Expired, not confirmed: purged at once (the two code counts stay: < 1 day).
        at_expiry = now + timedelta(minutes=10, seconds=1)
        assert services.intake.purge_challenges(conn, at_expiry) == 1
        left = conn.execute(select(otp_challenge.c.id, otp_challenge.c.subject_id)).all()
        assert [r[1] for r in left] == [used.subject_id]
        assert services.intake.purge_challenges(conn, now + timedelta(hours=23)) == 0
        # A day past its expiry, the used one goes too, and so do the counts.
        later = now + timedelta(days=1, minutes=11)
        assert services.intake.purge_challenges(conn, later) == 1 + 2
    assert (count(services, otp_challenge), count(services, code_send)) == (0, 0)


def test_a_sealed_submission_opens_only_for_its_challenge(
    services: Container, sender: FakeSender
) -> None:
    """DESIGN 4: the payload is bound to its challenge id: moved onto another challenge row
    it does not open, and nothing is collected."""
    a = submit(services)
    code_a = sender.sent[-1][2]
    b = submit(services, phone="+7 777 555 99 88")
    c = otp_challenge.c
    with services.db.unit_of_work() as conn:
        row_b = conn.execute(select(c.sealed).where(c.id == b.challenge_id)).scalar_one()
        conn.execute(update(otp_challenge).where(c.id == a.challenge_id).values(sealed=row_b))
    with pytest.raises(IntegrityFailure), services.db.unit_of_work() as conn:
        services.intake.confirm_code(conn, SITE_ACTOR, a.challenge_id, code_a)
    assert (count(services, subject), count(services, consent)) == (0, 0)


def test_a_challenge_refused_for_good_drops_its_submission(
    services: Container, sender: FakeSender
) -> None:
    """The last wrong attempt and an expired code drop the sealed submission at once."""
    tries = submit(services)
    code = sender.sent[-1][2]
    late = submit(services, phone="+7 777 555 99 88")
    for _ in range(5):
        confirm(services, tries.challenge_id, wrong(code))
    confirm(services, late.challenge_id, "000000", now=datetime.now(UTC) + timedelta(minutes=11))
    with services.db.engine.connect() as conn:
        rows = conn.execute(select(otp_challenge.c.sealed, otp_challenge.c.wrapped_key)).all()
    assert rows == [(None, None), (None, None)]
    assert count(services, subject) == 0


def test_key_rotation_moves_pending_submissions_too(
    services: Container, sender: FakeSender
) -> None:
    """DESIGN 4, 10: ``keys rotate`` re-wraps the data key of a submission waiting for its
    code and counts it as in use, so retiring the old KEK never strands a pending lead."""
    pending = submit(services)
    code = sender.sent[-1][2]
    old = services.keys.active_kek_id
    new = services.keys.add_kek()
    with services.db.engine.connect() as conn:
        assert kek_usage(conn) == {old: 1}
    with services.db.unit_of_work() as conn:
        assert rewrap_batch(conn, services.keys, services.audit, "test:keys").moved == 1
        assert rewrap_batch(conn, services.keys, services.audit, "test:keys").moved == 0
    with services.db.engine.connect() as conn:
        assert kek_usage(conn) == {new: 1}
    services.keys.retire_kek(old)
    done = confirm(services, pending.challenge_id, code)
    assert isinstance(done, LeadConfirmed)
    assert services.verify_audit().ok


def test_codes_per_contact_are_limited(services: Container, sender: FakeSender) -> None:
    """policy 7.3.8: 3 codes per contact in 15 minutes and 10 a day, loan form and rights
    page together, counted for a known contact and an unknown one alike; refused requests
    store nothing. The limits are settings."""
    start = datetime.now(UTC) - timedelta(hours=5)
    sub = LeadSubmission(form(), frozenset(), "phone", "ru")

    def post(at: datetime) -> PendingCode:
        with services.db.unit_of_work() as conn:
            return services.intake.submit_lead(conn, SITE_ACTOR, sub, now=at)

    for i in range(3):
        post(start + timedelta(minutes=i))
    with pytest.raises(TooManyCodes):
        post(start + timedelta(minutes=4))
    # The rights page counts the same contact (here: a fourth code in the window).
    with pytest.raises(TooManyCodes), services.db.unit_of_work() as conn:
        services.requests.receive(
            conn, RIGHTS, Kind.ACCESS, Channel.WEB, "phone", "8 705 555 01 23", "ru",
            now=start + timedelta(minutes=5),
        )  # fmt: skip
    assert count(services, otp_challenge) == 3
    # A new window: three more, and so on up to 10 within the day.
    for i in range(7):
        post(start + timedelta(minutes=20 * (1 + i // 3), seconds=i))
    with pytest.raises(TooManyCodes):
        post(start + timedelta(hours=4))
    assert count(services, otp_challenge) == 10
    # Another contact has its own count, known to the vault or not.
    with services.db.unit_of_work() as conn:
        for _ in range(3):
            services.requests.receive(
                conn, RIGHTS, Kind.ACCESS, Channel.WEB, "phone", "+7 702 000 11 22", "ru"
            )
    with pytest.raises(TooManyCodes), services.db.unit_of_work() as conn:
        services.requests.receive(
            conn, RIGHTS, Kind.ACCESS, Channel.WEB, "phone", "+7 702 000 11 22", "ru"
        )
    # Staff-entered requests send no code and count nothing.
    with services.db.unit_of_work() as conn:
        services.requests.receive(
            conn, RIGHTS, Kind.ACCESS, Channel.PHONE, "phone", "+7 702 000 11 22", "ru",
            send_code=False,
        )  # fmt: skip
    with services.db.engine.connect() as conn:
        digests = conn.execute(select(code_send.c.digest)).scalars().all()
    assert len(digests) == 13
    assert len(set(digests)) == 2
    tighter = Settings(otp_per_contact_15min=1, otp_per_contact_day=2)
    assert (tighter.otp_per_contact_15min, tighter.otp_per_contact_day) == (1, 2)
    services.intake.code_limits = CodeLimits(1, 2)
    sub = LeadSubmission(form(phone="+7 701 000 00 01"), frozenset(), "phone", "ru")
    post(datetime.now(UTC))
    with pytest.raises(TooManyCodes):
        post(datetime.now(UTC))


@pytest.mark.pg
def test_code_limit_holds_under_parallel_requests(
    services: Container, sender: FakeSender, database_url: str
) -> None:
    """DESIGN 10: 8 real connections submit for one contact at the same instant; the
    advisory lock on the contact lets exactly 3 through (on SQLite the writer lock does)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL: parallel writers")
    sub = LeadSubmission(form(), frozenset(), "phone", "ru")
    gate = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        gate.wait()
        try:
            with services.db.unit_of_work() as conn:
                services.intake.submit_lead(conn, SITE_ACTOR, sub)
                time.sleep(0.05)  # hold the transaction open: a racing count would pass
            got = "sent"
        except TooManyCodes:
            got = "refused"
        with lock:
            outcomes.append(got)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["refused"] * 5 + ["sent"] * 3
    assert (count(services, otp_challenge), count(services, code_send)) == (3, 3)


# -- cookie choices and visits (policy 5.1) ----------------------------------------------------


def client() -> Client:
    return parse_client(UA, "ru-RU,ru;q=0.9,kk;q=0.8")


def test_visits_only_with_analytics_and_no_raw_ip(services: Container) -> None:
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


def test_purge_visits_keeps_the_recent_one(services: Container) -> None:
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
