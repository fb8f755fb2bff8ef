"""Consent content per LAW.md Art. 8 p.4, consent documents, and withdrawal at once
(policy 6.5), on SQLite and PostgreSQL (issue 14, must-haves 4 and 7).

Each consent the site grants binds the subject's full name (sealed under the subject's key),
the exact data it covers (the transfer consent: the loan request's fields, not "the data in
my request"), the recipients, the cross-border and public-source flags its text states, and
the one-time code's record; a consent is produced as a document with that evidence, its
name opened through the gate. Consents recorded before revision 0017 stay valid and read as
recorded without a name. Under ``ru_152fz`` each consent is its own document with its own
confirmation. A withdrawal from the rights page takes effect at once: the gate refuses the
purpose and the transfer rule withholds a queued lead; where the profile forbids it, the
request is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select

import leakguard
from pdftext import pdf_text
from qorgau.audit.store import audit_event
from qorgau.catalog import make_iin
from qorgau.config import Settings
from qorgau.consent import documents
from qorgau.consent.document_pdf import consent_pdf
from qorgau.consent.model import (
    NAME_LABEL,
    TRANSFER,
    BasisKind,
    Channel,
    ConsentRequest,
    Evidence,
    State,
)
from qorgau.consent.store import consent, consent_text
from qorgau.container import Container, build_container
from qorgau.dsr.model import Channel as RequestChannel
from qorgau.dsr.model import Kind, Status
from qorgau.intake.model import TRANSFER_FIELDS, LeadConfirmed, LeadSubmission
from qorgau.intake.service import SEPARATE_SECONDS, SITE_ACTOR
from qorgau.intake.store import lead
from qorgau.migrate import alembic_config
from qorgau.security.actors import RIGHTS, Actor
from qorgau.transfers.model import DeliveryMode
from qorgau.transfers.store import outbox, transfer
from qorgau.vault.model import NoLiveBasis
from qorgau.vault.store import otp_challenge
from transferkit import DPO, partner

IP = "203.0.113.41"  # TEST-NET-3, documentation range
UA = "Mozilla/5.0 (X11; Linux x86_64) qorgau-consent-test"
ANALYST = Actor("analyst", "test:analyst")


def form(n: int, **over: str) -> dict[str, str]:
    values = {
        "last_name": "Келісімова",
        "first_name": "Динара",
        "patronymic": "Серікқызы",
        "phone": f"+7 705 555 {n // 100 % 100:02d} {n % 100:02d}",
        "iin": make_iin(date(1991, 4, 2), "female", 300 + n),
        "email": f"dinara.{n}@example.com",
        "city": "Семей",
        "loan_amount": "180 000",
        "loan_term_days": "30",
        "income": "310000",
        "employment": "employed",
        "note": "",
    }
    values.update(over)
    leakguard.register(values["last_name"], values["iin"], values["email"])
    return values


def apply(
    services: Container, n: int, consents: tuple[str, ...], lang: str = "ru", **over: str
) -> tuple[str, LeadConfirmed]:
    """The loan form and its code, as the site does it: (challenge, confirmed lead)."""
    submission = LeadSubmission(form(n, **over), frozenset(consents), "phone", lang)
    with services.db.unit_of_work() as conn:
        pending = services.intake.submit_lead(conn, SITE_ACTOR, submission)
    with services.db.unit_of_work() as conn:
        got = services.intake.confirm_code(
            conn, SITE_ACTOR, pending.challenge_id, pending.code, ip=IP, user_agent=UA
        )
    assert isinstance(got, LeadConfirmed), got
    return pending.challenge_id, got


def rows(services: Container, sid: str) -> dict[str, dict[str, object]]:
    with services.db.engine.connect() as conn:
        found = conn.execute(select(consent).where(consent.c.subject_id == sid)).mappings()
        return {str(r["purpose"]): dict(r) for r in found}


def bodies(services: Container, action: str) -> list[dict[str, object]]:
    with services.db.engine.connect() as conn:
        got = conn.execute(select(audit_event.c.body).where(audit_event.c.action == action))
        return [orjson.loads(r[0]) for r in got]


def produce(
    services: Container, actor: Actor, sid: str, cid: str, purpose: str = "contract"
) -> dict[str, object]:
    with services.db.unit_of_work() as conn:
        return documents.produce(
            conn, actor, ledger=services.ledger, gate=services.gate, subject_id=sid,
            consent_id=cid, purpose=purpose, recipient_names=services.registry.names(conn),
        )  # fmt: skip


# -- Art. 8 p.4: what the site's consents contain ---------------------------------------------


def test_site_consents_bind_the_name_the_data_and_the_code(services: Container) -> None:
    """Failed before: the transfer consent stored an empty data list, no consent held the
    full name, and the one-time code left no record with the consent."""
    challenge, got = apply(services, 1, ("offers", TRANSFER))
    found = rows(services, got.subject_id)
    assert set(found) == {"offers", TRANSFER}
    tr = found[TRANSFER]
    assert orjson.loads(str(tr["fields"])) == sorted(TRANSFER_FIELDS)
    assert "iin" in orjson.loads(str(tr["fields"]))
    assert orjson.loads(str(tr["recipients"])) == [p.code for p in services.settings.partners]
    assert (tr["third_party_transfer"], tr["cross_border"], tr["public_sources"]) == (
        True, False, False,
    )  # fmt: skip
    offers = found["offers"]
    assert orjson.loads(str(offers["fields"])) == sorted(
        services.catalogue.purpose("offers").fields
    )
    assert offers["third_party_transfer"] is False
    for row in found.values():
        # The name is sealed under the subject's key: never in clear.
        sealed = bytes(row["name_sealed"])  # type: ignore[arg-type]
        assert "Келісімова".encode() not in sealed
        assert b"Kelis" not in sealed
        record = orjson.loads(str(row["evidence_record"]))
        code = record["code"]
        assert (code["challenge"], code["channel"], code["attempts"]) == (challenge, "phone", 1)
        assert code["separate_at"] is None
        assert datetime.fromisoformat(code["sent_at"]) <= datetime.fromisoformat(
            code["confirmed_at"]
        )
        assert "5555" not in str(row["evidence_record"])  # no contact in clear
    # The text the person saw says all of it (Art. 8 p.4), and it is the one stored.
    with services.db.engine.connect() as conn:
        text = conn.execute(
            select(consent_text.c.body).where(consent_text.c.hash == tr["text_hash"])
        ).scalar_one()
    assert text == services.intake.consent_texts("ru")[TRANSFER]
    assert "ИИН" in text
    assert "Трансграничная передача данных не осуществляется" in text
    assert "общедоступных источниках не допускается" in text
    offers_text = services.intake.consent_texts("ru")["offers"]
    assert "Третьим лицам данные не передаются" in offers_text
    assert services.verify_audit().ok  # the new columns digest with the grant's event


def test_the_document_holds_the_content_and_the_evidence(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        version = services.policy.publish(conn, DPO, note="test").id
    challenge, got = apply(services, 2, ("offers", TRANSFER), lang="kk")
    cid = str(rows(services, got.subject_id)[TRANSFER]["id"])
    doc = produce(services, DPO, got.subject_id, cid)
    assert doc["full_name"] == "Келісімова Динара Серікқызы"
    assert doc["full_name_state"] == "shown"
    assert doc["operator"] == {
        "name": services.settings.operator.name, "bin": services.settings.operator.bin,
    }  # fmt: skip
    assert [f["code"] for f in doc["fields"]][:3] == ["last_name", "first_name", "patronymic"]  # type: ignore[index]
    assert {r["code"] for r in doc["recipients"]} == {p.code for p in services.settings.partners}  # type: ignore[union-attr]
    assert (doc["cross_border"], doc["public_sources"], doc["third_party_transfer"]) == (
        False, False, True,
    )  # fmt: skip
    assert doc["text"] == services.intake.consent_texts("kk")[TRANSFER]
    assert doc["language"] == "kk"
    assert doc["policy"]["version"] == version  # type: ignore[index]
    evidence = doc["evidence"]
    assert evidence["channel"] == "web"
    assert evidence["method"] == "otp:phone"
    assert evidence["code"]["challenge"] == challenge  # type: ignore[index]
    assert [h["kind"] for h in doc["history"]] == ["grant"]  # type: ignore[union-attr]
    # Opening the name is a disclosure: audited with the consent-name box and its fields.
    opened = [b for b in bodies(services, "retrieve") if b["d"].get("sealed") == NAME_LABEL]  # type: ignore[union-attr]
    assert opened
    assert opened[-1]["f"] == ["last_name", "first_name", "patronymic"]
    # The PDF says the same, in each language (the text in the language it was given).
    for lang, words in (
        ("ru", "не допускается"),
        ("en", "not allowed"),
        ("kk", "рұқсат етілмейді"),
    ):
        text = pdf_text(consent_pdf(doc, lang, "Asia/Almaty"))
        assert "Келісімова Динара Серікқызы" in text
        assert services.settings.operator.bin in text
        assert words in text
        assert challenge in text


def test_a_reader_the_gate_refuses_gets_the_name_withheld(services: Container) -> None:
    _, got = apply(services, 3, ("offers",))
    cid = str(rows(services, got.subject_id)["offers"]["id"])
    doc = produce(services, ANALYST, got.subject_id, cid)  # analyst: statistics only
    assert (doc["full_name"], doc["full_name_state"]) == (None, "withheld")
    assert bodies(services, "refuse")[-1]["d"]["code"] == "purpose-not-permitted"  # type: ignore[index]
    assert "Келісімова" not in pdf_text(consent_pdf(doc, "ru"))


def test_consents_before_0017_stay_valid_and_read_without_a_name(
    settings: Settings,
) -> None:
    """A database at the revision below 0017 with a consent in it, upgraded: audit verify
    stays green (the consent's digest is unchanged), the consent is still a live basis, its
    text is read by its hash, and its document says no full name was recorded."""
    url = settings.resolved_database_url
    below = ScriptDirectory.from_config(alembic_config(url)).get_revision("0017").down_revision
    command.downgrade(alembic_config(url), str(below))
    svc = build_container(settings)
    try:
        values = {"last_name": "Ескіева", "first_name": "Гүлназ", "phone": "+77015550177"}
        leakguard.register("Ескіева")
        with svc.db.unit_of_work() as conn:
            sid = svc.gate.collect(
                conn, DPO, svc.gate.prepare("potential_borrower", "contract", values, "subject:web")
            )
            old = svc.ledger.grant(
                conn,
                DPO,
                ConsentRequest(sid, "offers", "Старый текст согласия (P3).", Evidence("otp:phone")),
            )
        svc.checkpoint()
    finally:
        svc.close()
    command.upgrade(alembic_config(url), "head")
    svc = build_container(settings)
    try:
        assert svc.verify_audit().ok
        with svc.db.unit_of_work() as conn:
            assert svc.gate.read(conn, DPO, sid, "offers", ["first_name"]).values
        doc = produce(svc, DPO, sid, old)
        assert (doc["full_name"], doc["full_name_state"]) == (None, "not_recorded")
        assert doc["text"] == "Старый текст согласия (P3)."
        assert doc["evidence"]["code"] is None  # type: ignore[index]
        text = pdf_text(consent_pdf(doc, "ru"))
        assert "не записаны с этим согласием" in text
        assert "Записи об одноразовом коде нет" in text
    finally:
        svc.close()


# -- ru_152fz: each consent its own document with its own confirmation -------------------------


@pytest.fixture
def ru_services(settings: Settings) -> Iterator[Container]:
    svc = build_container(settings.model_copy(update={"law_profile": "ru_152fz"}))
    yield svc
    svc.close()


def test_under_ru_each_consent_is_confirmed_on_its_own(ru_services: Container) -> None:
    services = ru_services
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner(services.settings.partners[0].code))
    challenge, got = apply(services, 4, ("offers", "statistics", TRANSFER))
    # The code confirmed the contact and the lead, and no consent at all.
    assert got.consents == ()
    assert got.waiting == ("offers", "statistics", TRANSFER)
    assert rows(services, got.subject_id) == {}
    with services.db.engine.connect() as conn:
        kept = conn.execute(
            select(otp_challenge.c.sealed).where(otp_challenge.c.id == challenge)
        ).scalar_one()
        assert conn.execute(select(transfer)).first() is None  # nothing routed yet
    assert kept is not None
    assert "Келісімова".encode() not in bytes(kept)
    with services.db.unit_of_work() as conn:
        state = services.intake.confirm_separately(
            conn, SITE_ACTOR, challenge, "offers", ip=IP, user_agent=UA
        )
    assert state is not None
    assert (state.confirmed, state.waiting) == (("offers",), ("statistics", TRANSFER))
    with services.db.unit_of_work() as conn:  # pressed twice: granted once
        again = services.intake.confirm_separately(conn, SITE_ACTOR, challenge, "offers")
    assert again is not None
    assert again.confirmed == ("offers",)
    with services.db.unit_of_work() as conn:
        services.intake.confirm_separately(conn, SITE_ACTOR, challenge, TRANSFER)
    found = rows(services, got.subject_id)
    assert set(found) == {"offers", TRANSFER}
    for row in found.values():
        code = orjson.loads(str(row["evidence_record"]))["code"]
        assert code["challenge"] == challenge
        assert code["separate_at"] is not None
        assert row["name_sealed"] is not None
    with services.db.engine.connect() as conn:
        routed = conn.execute(select(transfer.c.lead)).scalars().all()
        reference = conn.execute(
            select(lead.c.reference).where(lead.c.challenge_id == challenge)
        ).scalar_one()
    assert routed == [reference]  # the lead went out when its consent was confirmed
    doc = produce(services, DPO, got.subject_id, str(found[TRANSFER]["id"]))
    assert doc["law"]["separate_document"] is True  # type: ignore[index]
    assert doc["full_name"] == "Келісімова Динара Серікқызы"
    assert "отдельно" in pdf_text(consent_pdf(doc, "ru"))
    # After the window the step is closed, and the purge drops what it kept.
    late = datetime.now(UTC) + timedelta(seconds=SEPARATE_SECONDS + 1)
    with services.db.unit_of_work() as conn:
        assert (
            services.intake.confirm_separately(conn, SITE_ACTOR, challenge, "statistics", now=late)
            is None
        )
        services.intake.purge_challenges(conn, now=late)
    with services.db.engine.connect() as conn:
        assert (
            conn.execute(
                select(otp_challenge.c.sealed).where(otp_challenge.c.id == challenge)
            ).scalar_one()
            is None
        )
    assert "statistics" not in rows(services, got.subject_id)


def test_the_kazakh_profile_grants_every_ticked_consent_with_the_code(
    services: Container,
) -> None:
    _, got = apply(services, 5, ("offers", "statistics"))
    assert (got.consents, got.waiting) == (("offers", "statistics"), ())
    with services.db.unit_of_work() as conn:
        assert services.intake.confirm_separately(conn, SITE_ACTOR, "0" * 32, "offers") is None


# -- withdrawal at once (policy 6.5) -----------------------------------------------------------


def verified(services: Container, sid: str, phone: str, kind: Kind = Kind.WITHDRAW_CONSENT) -> str:
    """A rights-page request of ``kind`` verified by its one-time code."""
    with services.db.unit_of_work() as conn:
        got = services.requests.receive(
            conn, RIGHTS, kind, RequestChannel.WEB, "phone", phone, "ru"
        )
    assert got.code is not None
    with services.db.unit_of_work() as conn:
        assert services.requests.verify(conn, RIGHTS, got.request_id, got.code)
    return got.request_id


def test_withdrawal_takes_effect_at_once_and_the_gate_refuses(services: Container) -> None:
    """Failed before: a withdrawal waited in the staff queue (3 working days) and the
    purpose stayed readable meanwhile."""
    _, got = apply(services, 6, ("offers",))
    sid = got.subject_id
    with services.db.unit_of_work() as conn:
        assert services.gate.read(conn, DPO, sid, "offers", ["phone"]).values
    rid = verified(services, sid, "+77055550006")
    with services.db.unit_of_work() as conn:
        assert services.requests.withdraw_now(conn, RIGHTS, rid, "offers") is None
    with services.db.engine.connect() as conn:
        view = services.requests.get(conn, rid)
        kinds = [e["kind"] for e in services.requests.events(conn, rid)]
        assert services.requests.queue(conn) == []  # nothing waits for staff
    assert view.status == Status.CLOSED.value
    assert kinds == ["received", "verified", "answered", "closed"]
    with pytest.raises(NoLiveBasis), services.db.unit_of_work() as conn:
        services.gate.read(conn, DPO, sid, "offers", ["phone"])
    with services.db.unit_of_work() as conn:
        assert services.requests.payload(conn, DPO, rid) == {"purpose": "offers"}
        (c,) = services.ledger.consents(conn, sid)
    assert c.state is State.WITHDRAWN
    assert services.verify_audit().ok


def test_withdrawal_withholds_a_queued_lead(services: Container) -> None:
    _, got = apply(services, 7, (TRANSFER,))
    sid = got.subject_id
    code = services.settings.partners[0].code
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner(code, delivery=DeliveryMode.PULL))
        (tid,) = services.transfers.route_lead(conn, sid, got.reference).transfers
    rid = verified(services, sid, "+77055550007")
    with services.db.unit_of_work() as conn:
        assert services.requests.withdraw_now(conn, RIGHTS, rid, TRANSFER) is None
    with services.db.unit_of_work() as conn:
        assert services.inbox.fetch(conn, code) == []
    with services.db.engine.connect() as conn:
        o = conn.execute(
            select(outbox.c.status, outbox.c.payload).where(outbox.c.transfer_id == tid)
        ).one()
        t = conn.execute(select(transfer.c.status).where(transfer.c.id == tid)).scalar_one()
    assert (o[0], t, o[1]) == ("dead", "withheld", None)
    assert bodies(services, "refuse")[-1]["d"]["code"] == "no-consent"  # type: ignore[index]


def test_withdrawal_the_profile_forbids_is_refused_with_its_reason(services: Container) -> None:
    _, got = apply(services, 8, ())
    sid = got.subject_id
    with services.db.unit_of_work() as conn:
        services.ledger.grant(
            conn, DPO,
            ConsentRequest(sid, "contract", "Согласие по договору займа.", Evidence("api"),
                           channel=Channel.API),
        )  # fmt: skip
        services.ledger.record_basis(
            conn, DPO, sid, "contract", BasisKind.CONTRACT, "loan agreement 2026/31",
            obligation=True,
        )  # fmt: skip
    rid = verified(services, sid, "+77055550008")
    with services.db.unit_of_work() as conn:
        refused = services.requests.withdraw_now(conn, RIGHTS, rid, "contract")
    assert refused is not None
    assert (refused.ground, refused.source) == ("obligation", "kz_94v Art. 8 p.2")
    with services.db.engine.connect() as conn:
        view = services.requests.get(conn, rid)
        (c,) = services.ledger.consents(conn, sid)
    assert view.status == Status.CLOSED.value
    assert view.outcome is not None
    assert "Art. 8 p.2" in view.outcome
    assert c.state is State.LIVE
    assert bodies(services, "consent.refuse")
