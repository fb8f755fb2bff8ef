"""Data-subject requests with legal deadlines (policy 4.2.1, 4.2.2, 6.5; LAW.md Art. 25).

A code goes only to a contact the subject confirmed with a code and still has (policy 6.6,
7.3.8); the subjects here confirm their phone as the loan form's confirmation would."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from qorgau.catalog import make_iin
from qorgau.consent.model import Channel as ConsentChannel
from qorgau.consent.model import ConsentRequest, Evidence
from qorgau.container import Container
from qorgau.dsr.model import (
    Channel,
    InvalidRequestTransition,
    Kind,
    PayloadRequired,
    RequestNotVerified,
)
from qorgau.dsr.service import Received
from qorgau.dsr.store import dsr_request
from qorgau.intake.limits import CodeLimits
from qorgau.security.actors import Actor
from qorgau.vault.contacts import ContactNotCurrent
from qorgau.vault.model import NoLiveBasis, SubjectDestroyed
from qorgau.vault.store import confirmed_contact

PHONE = "+77015557788"
IIN = make_iin(date(1988, 12, 1), "female", 808)


def subject(services: Container, actor: Actor, *, confirmed: bool = True) -> str:
    rec = {
        "first_name": "Гүлнар",
        "last_name": "Сейітова",
        "iin": IIN,
        "phone": PHONE,
        "email": "gulnar@example.org",
        "income": "510000",
    }
    item = services.gate.prepare("potential_borrower", "contract", rec, "staff:test")
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(conn, actor, item)
        if confirmed:
            services.gate.confirm_contact(conn, actor, sid, "phone", PHONE, "otp:phone")
        return sid


def receive(
    services: Container, dpo: Actor, kind: Kind, contact: str = "8 701 555 77 88"
) -> Received:
    with services.db.unit_of_work() as conn:
        return services.requests.receive(conn, dpo, kind, Channel.WEB, "phone", contact, "ru")


def verified(services: Container, dpo: Actor, kind: Kind) -> str:
    got = receive(services, dpo, kind)
    assert got.code is not None
    with services.db.unit_of_work() as conn:
        assert services.requests.verify(conn, dpo, got.request_id, got.code)
    return str(got.request_id)


def test_access_report_holds_everything_and_no_code_at_rest(
    services: Container, dpo: Actor
) -> None:
    sid = subject(services, dpo)
    with services.db.unit_of_work() as conn:
        services.ledger.grant(
            conn,
            dpo,
            ConsentRequest(
                sid, "offers", "Согласие (P3).", Evidence("api"), channel=ConsentChannel.API
            ),
        )
    got = receive(services, dpo, Kind.ACCESS)
    assert got.code is not None
    assert len(got.code) == 6
    with services.db.engine.connect() as conn:
        row = conn.execute(select(dsr_request)).mappings().one()
    assert got.code.encode() not in bytes(row["code_hash"])
    # KZ 94-V: information within 3 working days of receipt, in Almaty.
    assert row["due_at"] is not None
    with services.db.unit_of_work() as conn:
        assert not services.requests.verify(
            conn, dpo, got.request_id, "000000" if got.code != "000000" else "111111"
        )
        assert services.requests.verify(conn, dpo, got.request_id, got.code)
        done = services.requests.answer(conn, dpo, got.request_id)
    report = done["report"]
    fields = {v["field"]: v for v in report["values"]}
    assert fields["phone"]["value"] == PHONE
    assert fields["iin"]["legal_basis"] == "contract"
    # Entered by staff: the person is told so, not which staff member (policy 4.2.2).
    assert fields["iin"]["source"] == {"kind": "staff", "reference": None, "legacy": False}
    assert "retained_until" in fields["iin"]
    assert [c["purpose"] for c in report["consents"]] == ["offers"]
    assert report["recipients"] == []
    assert any(r["action"] == "access" and r["amount"] == 3 for r in report["rights"])
    with services.db.unit_of_work() as conn:
        services.requests.close(conn, dpo, got.request_id)
    assert services.verify_audit().ok


def test_unknown_contact_gets_the_same_answer(services: Container, dpo: Actor) -> None:
    subject(services, dpo)
    known = receive(services, dpo, Kind.ACCESS)
    unknown = receive(services, dpo, Kind.ACCESS, "+7 702 000 11 22")
    assert known.code is not None
    assert unknown.code is None
    assert unknown.reference.startswith("RQ-")
    assert unknown.due_at.date() == known.due_at.date()
    with services.db.unit_of_work() as conn:
        assert not services.requests.verify(conn, dpo, unknown.request_id, "123456")
        with pytest.raises(RequestNotVerified):
            services.requests.answer(conn, dpo, unknown.request_id)


def test_only_a_confirmed_current_contact_gets_a_code(services: Container, dpo: Actor) -> None:
    """policy 6.6, 7.3.8: a contact someone typed in (not confirmed), a confirmed contact
    replaced since, and a destroyed subject's contact all get the unknown answer; a confirmed
    contact is a contact, not a subject: on another subject it proves nothing."""
    services.requests.code_limits = CodeLimits(20, 20)  # many requests from one phone
    sid = subject(services, dpo, confirmed=False)
    assert receive(services, dpo, Kind.ACCESS).code is None
    with services.db.unit_of_work() as conn:
        services.gate.confirm_contact(conn, dpo, sid, "phone", "8 701 555 77 88", "otp:phone")
        with pytest.raises(ContactNotCurrent):
            services.gate.confirm_contact(conn, dpo, sid, "phone", "+77015550000", "otp:phone")
        with pytest.raises(ContactNotCurrent):
            services.gate.confirm_contact(conn, dpo, sid, "email", "x@example.org", "otp:email")
    assert receive(services, dpo, Kind.ACCESS).code is not None
    # Another subject with the same phone, never confirmed: the code is still for the one
    # that confirmed it.
    other = subject(services, dpo, confirmed=False)
    got = receive(services, dpo, Kind.ACCESS)
    assert got.code is not None
    with services.db.unit_of_work() as conn:
        assert services.requests.verify(conn, dpo, got.request_id, got.code)
        assert services.requests.get(conn, got.request_id).subject_id == sid
    with services.db.unit_of_work() as conn:
        services.gate.clarify(conn, dpo, sid, "contract", {"phone": "+77015559911"}, "staff:call")
    assert receive(services, dpo, Kind.ACCESS).code is None  # replaced: not current
    with services.db.unit_of_work() as conn:
        services.gate.clarify(conn, dpo, sid, "contract", {"phone": PHONE}, "staff:call")
    assert receive(services, dpo, Kind.ACCESS, "+7 701 555 77 88").code is not None
    with services.db.unit_of_work() as conn:
        services.gate.destroy_values(conn, dpo, sid, ["phone"], "test")
        services.gate.clarify(conn, dpo, sid, "contract", {"phone": PHONE}, "staff:call")
    # Destroying the value destroyed its confirmation: typed in again, it is not confirmed.
    assert receive(services, dpo, Kind.ACCESS).code is None
    with services.db.unit_of_work() as conn:
        services.gate.confirm_contact(conn, dpo, other, "phone", PHONE, "otp:phone")
        services.gate.destroy(conn, dpo, other, "test")
        services.gate.confirm_contact(conn, dpo, sid, "phone", PHONE, "otp:phone")
    assert receive(services, dpo, Kind.ACCESS).code is not None
    with services.db.engine.connect() as conn:
        left = conn.execute(
            select(confirmed_contact.c.subject_id).where(confirmed_contact.c.subject_id == other)
        ).all()
    assert left == []
    assert services.verify_audit().ok


def test_restricted_access_says_so_without_values(services: Container, dpo: Actor) -> None:
    subject(services, dpo)
    rid = verified(services, dpo, Kind.ACCESS)
    with services.db.unit_of_work() as conn:
        services.requests.restrict(conn, dpo, rid, "aml_cft", "AFM request 12-3/456")
        report = services.requests.access_report(conn, dpo, rid)
    # AML/CFT: no tipping-off, so only the general provision is cited (policy 4.2.2).
    assert report["restricted"] == {"scope": "all", "grounds": [], "general": "policy 4.2.2"}
    assert "values" not in report
    assert "AFM" not in str(report)


def test_rectify_block_withdraw_destroy(services: Container, dpo: Actor) -> None:
    services.requests.code_limits = CodeLimits(10, 10)  # six requests from one phone
    sid = subject(services, dpo)
    rid = verified(services, dpo, Kind.RECTIFY)
    with services.db.unit_of_work() as conn:
        with pytest.raises(PayloadRequired):
            services.requests.answer(conn, dpo, rid, {})
    with services.db.unit_of_work() as conn:
        done = services.requests.answer(conn, dpo, rid, {"values": {"income": "600000"}})
        assert done["fields"] == ["income"]
        assert (
            services.gate.read(conn, dpo, sid, "contract", ["income"]).values["income"] == "600000"
        )

    rid = verified(services, dpo, Kind.BLOCK)
    with services.db.unit_of_work() as conn:
        services.requests.answer(conn, dpo, rid)
    # Blocked: the subject's own access request is still answered (policy 4.2.1).
    rid = verified(services, dpo, Kind.ACCESS)
    with services.db.unit_of_work() as conn:
        assert services.requests.answer(conn, dpo, rid)["report"]["values"]
    rid = verified(services, dpo, Kind.UNBLOCK)
    with services.db.unit_of_work() as conn:
        services.requests.answer(conn, dpo, rid)

    with services.db.unit_of_work() as conn:
        services.ledger.grant(
            conn,
            dpo,
            ConsentRequest(
                sid, "offers", "Согласие (P3).", Evidence("api"), channel=ConsentChannel.API
            ),
        )
    rid = verified(services, dpo, Kind.WITHDRAW_CONSENT)
    with services.db.unit_of_work() as conn:
        services.requests.answer(conn, dpo, rid, {"purpose": "offers"})
    with pytest.raises(NoLiveBasis), services.db.unit_of_work() as conn:
        services.gate.read(conn, dpo, sid, "offers", ["first_name"])

    rid = verified(services, dpo, Kind.DESTROY)
    with services.db.unit_of_work() as conn:
        act = services.requests.answer(conn, dpo, rid)["act"]
    assert act["subject"] == sid
    assert "iin" in act["categories"]
    assert IIN not in str(act)
    assert PHONE not in str(act)
    with pytest.raises(SubjectDestroyed), services.db.unit_of_work() as conn:
        services.gate.read(conn, dpo, sid, "contract")
    with services.db.unit_of_work() as conn, pytest.raises(InvalidRequestTransition):
        services.requests.answer(conn, dpo, rid)
    assert services.verify_audit().ok


def test_deadline_watch_and_compliance(services: Container, dpo: Actor) -> None:
    subject(services, dpo)
    # Received on Friday 20 March 2026 18:00 Almaty: due 30 March (Nauryz and moved days off).
    received = datetime(2026, 3, 20, 13, 0, tzinfo=UTC)
    with services.db.unit_of_work() as conn:
        got = services.requests.receive(
            conn, dpo, Kind.ACCESS, Channel.PHONE, "phone", PHONE, "kk", now=received
        )
    assert got.due_at.isoformat() == "2026-03-30T23:59:59.999999+05:00"
    with services.db.unit_of_work() as conn:
        assert services.requests.watch(conn, dpo) == 1  # long overdue by now
        assert services.requests.watch(conn, dpo) == 0  # idempotent
        queue = services.requests.queue(conn)
        assert queue[0].overdue
        report = services.requests.compliance(conn)
    assert report["by_kind"]["access"]["open_overdue"] == 1


def test_the_requesters_own_corrections_are_applied(services: Container, dpo: Actor) -> None:
    """What the person asked for on the site is sealed under their key; staff answering
    with no values of their own apply it (policy 4.2.1)."""
    sid = subject(services, dpo)
    rid = verified(services, dpo, Kind.RECTIFY)
    with services.db.unit_of_work() as conn:
        services.requests.set_payload(conn, dpo, rid, {"values": {"income": "777000"}})
        assert services.requests.payload(conn, dpo, rid) == {"values": {"income": "777000"}}
        done = services.requests.answer(conn, dpo, rid)
        assert done["fields"] == ["income"]
        assert (
            services.gate.read(conn, dpo, sid, "contract", ["income"]).values["income"] == "777000"
        )


def test_unverified_requests_are_refused_after_a_day(services: Container, dpo: Actor) -> None:
    subject(services, dpo)
    long_ago = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with services.db.unit_of_work() as conn:
        old = services.requests.receive(
            conn, dpo, Kind.ACCESS, Channel.WEB, "phone", PHONE, "ru", now=long_ago
        )
        fresh = services.requests.receive(conn, dpo, Kind.ACCESS, Channel.WEB, "phone", PHONE, "ru")
        assert services.requests.expire_unverified(conn, dpo) == 1
        assert services.requests.get(conn, old.request_id).status == "closed"
        assert services.requests.get(conn, old.request_id).outcome == "identity not verified"
        assert services.requests.get(conn, fresh.request_id).status == "received"
