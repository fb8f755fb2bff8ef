"""The consent ledger and its effect on the gate (policy 6.1, 6.5, 8.2; LAW.md Art. 8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from qorgau.audit.store import audit_event
from qorgau.catalog import make_iin
from qorgau.consent.model import (
    TRANSFER,
    BasisKind,
    Channel,
    ConsentNotFound,
    ConsentRequest,
    Evidence,
    State,
    WithdrawalRefused,
)
from qorgau.consent.store import consent, consent_event, consent_text
from qorgau.container import Container
from qorgau.law.profiles import profile
from qorgau.security.actors import Actor
from qorgau.vault.model import NoLiveBasis

IP = "203.0.113.77"  # TEST-NET-3, documentation range
UA = "Mozilla/5.0 (X11; Linux x86_64) qorgau-test"
TEXT = "Я согласен получать предложения продуктов и услуг (P3)."


def subject(services: Container, actor: Actor) -> str:
    rec = {
        "first_name": "Арман",
        "last_name": "Жумабеков",
        "iin": make_iin(date(1991, 3, 8), "male", 4321),
        "phone": "+77015550042",
        "email": "arman@example.com",
        "income": "420000",
    }
    item = services.gate.prepare("potential_borrower", "contract", rec, "staff:test")
    with services.db.unit_of_work() as conn:
        return services.gate.collect(conn, actor, item)


def grant(
    services: Container, actor: Actor, sid: str, purpose: str = "offers", **kw: object
) -> str:
    req = ConsentRequest(
        subject_id=sid,
        purpose=purpose,
        text=TEXT,
        evidence=Evidence("otp:phone", ip=IP, user_agent=UA),
        language="ru",
        channel=Channel.WEB,
        **kw,  # type: ignore[arg-type]
    )
    with services.db.unit_of_work() as conn:
        return services.ledger.grant(conn, actor, req)


def read(services: Container, actor: Actor, sid: str, purpose: str) -> dict[str, str]:
    with services.db.unit_of_work() as conn:
        return services.gate.read(conn, actor, sid, purpose, ["first_name", "phone"]).values


def test_marketing_needs_consent_and_withdrawal_stops_it(services: Container, dpo: Actor) -> None:
    sid = subject(services, dpo)
    with pytest.raises(NoLiveBasis):
        read(services, dpo, sid, "offers")
    grant(services, dpo, sid)
    assert read(services, dpo, sid, "offers")["first_name"] == "Арман"
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, dpo, sid, "offers", "subject request")
    with pytest.raises(NoLiveBasis):
        read(services, dpo, sid, "offers")
    # What the contract needs continues (policy 6.5).
    assert read(services, dpo, sid, "contract")["phone"] == "+77015550042"
    with pytest.raises(ConsentNotFound), services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, dpo, sid, "offers", "again")


def test_consent_records_what_the_law_requires(services: Container, dpo: Actor) -> None:
    sid = subject(services, dpo)
    with services.db.unit_of_work() as conn:
        version = services.policy.publish(conn, dpo, note="test")
    cid = grant(services, dpo, sid, purpose=TRANSFER, recipients=("demo_mfo",), cross_border=False)
    with services.db.engine.connect() as conn:
        row = conn.execute(select(consent).where(consent.c.id == cid)).mappings().one()
        stored_text = conn.execute(select(consent_text.c.body)).scalar_one()
    assert row["operator_name"] == services.settings.operator.name
    assert row["operator_bin"] == services.settings.operator.bin
    assert row["recipients"] == '["demo_mfo"]'
    assert row["third_party_transfer"] is True
    assert row["cross_border"] is False
    assert row["public_sources"] is False
    assert row["term_days"] > 0
    assert row["policy_version"] == version.id
    assert row["policy_hash"] == version.texts["ru"].hash
    assert row["channel"] == "web"
    assert row["evidence_method"] == "otp:phone"
    assert stored_text == TEXT
    # Evidence is sealed under the subject's key: no IP or user agent in clear.
    sealed = bytes(row["evidence_sealed"])
    assert IP.encode() not in sealed
    assert b"Mozilla" not in sealed
    views = services.ledger.consents(services.db.engine.connect(), sid)
    assert [v.state for v in views] == [State.LIVE]
    # The exact data (Art. 8 p.4): no list given, so what transfers are made under (P1).
    assert views[0].fields == tuple(sorted(services.catalogue.purpose("contract").fields))
    assert views[0].recipients == ("demo_mfo",)


def test_same_text_stored_once(services: Container, dpo: Actor) -> None:
    sid = subject(services, dpo)
    grant(services, dpo, sid, "offers")
    grant(services, dpo, sid, "direct_marketing")
    with services.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(consent_text)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(consent)).scalar_one() == 2


def test_withdrawal_refused_while_an_obligation_is_unfulfilled(
    services: Container, dpo: Actor
) -> None:
    sid = subject(services, dpo)
    grant(services, dpo, sid, "contract")
    grant(services, dpo, sid, "offers")
    with services.db.unit_of_work() as conn:
        services.ledger.record_basis(
            conn,
            dpo,
            sid,
            "contract",
            BasisKind.CONTRACT,
            "loan agreement 2026/118",
            obligation=True,
        )
    with pytest.raises(WithdrawalRefused) as info, services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, dpo, sid, "contract", "subject request")
    assert "Art. 8 p.2" in info.value.reason
    # The refusal is recorded and audited, although the unit of work raised.
    with services.db.engine.connect() as conn:
        kinds = [e.kind for e in services.ledger.history(conn, sid)]
        audited = conn.execute(
            select(func.count())
            .select_from(audit_event)
            .where(audit_event.c.action == "consent.refuse")
        ).scalar_one()
    assert kinds[-1] == "refuse"
    assert audited == 1
    # Marketing consent can always be withdrawn (policy 6.5).
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, dpo, sid, "offers", "subject request")
    assert read(services, dpo, sid, "contract")["first_name"] == "Арман"


def test_ru_profile_allows_withdrawal_despite_obligation(services: Container, dpo: Actor) -> None:
    services.ledger.law = profile("ru_152fz")
    sid = subject(services, dpo)
    grant(services, dpo, sid, "contract")
    with services.db.unit_of_work() as conn:
        services.ledger.record_basis(
            conn, dpo, sid, "contract", BasisKind.CONTRACT, "loan agreement", obligation=True
        )
        services.ledger.withdraw(conn, dpo, sid, "contract", "subject request")


def test_expired_consent_is_no_basis(services: Container, dpo: Actor) -> None:
    sid = subject(services, dpo)
    grant(services, dpo, sid, "offers", term_days=1)
    later = datetime.now(UTC) + timedelta(days=2)
    with services.db.engine.connect() as conn:
        assert services.ledger.has_live_basis(conn, sid, "offers", datetime.now(UTC), frozenset())
        assert not services.ledger.has_live_basis(conn, sid, "offers", later, frozenset())
    with services.db.unit_of_work() as conn:
        assert services.ledger.expire_due(conn, dpo, later) == 1
        assert services.ledger.expire_due(conn, dpo, later) == 0
    with services.db.engine.connect() as conn:
        assert [e.kind for e in services.ledger.history(conn, sid)] == ["grant", "expire"]


def test_ended_contract_stops_contract_reads(services: Container, dpo: Actor) -> None:
    sid = subject(services, dpo)
    assert read(services, dpo, sid, "contract")
    with services.db.unit_of_work() as conn:
        services.ledger.end_basis(conn, dpo, sid, "contract", BasisKind.CONTRACT, "contract ended")
    with pytest.raises(NoLiveBasis):
        read(services, dpo, sid, "contract")


def test_consent_events_are_audited_and_verify(services: Container, dpo: Actor) -> None:
    sid = subject(services, dpo)
    grant(services, dpo, sid)
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, dpo, sid, "offers", "subject request")
    with services.db.engine.connect() as conn:
        actions = [
            r[0]
            for r in conn.execute(
                select(audit_event.c.action)
                .where(audit_event.c.subject_id == sid)
                .order_by(audit_event.c.id)
            )
        ]
        ledger_rows = conn.execute(select(func.count()).select_from(consent_event)).scalar_one()
    assert actions == ["collect", "consent.grant", "consent.withdraw"]
    assert ledger_rows == 2
    assert services.verify_audit().ok


def test_policy_versions_keep_old_texts(services: Container, dpo: Actor) -> None:
    with services.db.unit_of_work() as conn:
        v1 = services.policy.publish(conn, dpo)
        v2 = services.policy.publish(conn, dpo, {"en": "The operator's own English text."})
    assert v1.id != v2.id
    assert v2.texts["en"].source == "operator"
    assert v2.texts["kk"].source == "generated"
    with services.db.engine.connect() as conn:
        assert services.policy.current_id(conn) == v2.id
        assert services.policy.get(conn, v1.id).texts["en"].body == v1.texts["en"].body
        assert services.policy.current_hash(conn, "en") == (v2.id, v2.texts["en"].hash)
    rendered = {lang: t.body for lang, t in v1.texts.items()}
    assert services.settings.operator.bin in rendered["ru"]
