"""Recipients and transfers on SQLite and PostgreSQL (policy 6.2-6.4, 6.6; LAW.md Art. 16, 19):
the versioned registry, the transfer rule and its refusals, the outbox written with the
transfer, lead routing, partner fetch/acknowledge/outcome, state-body requests, notices."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, update

from qorgau.audit.store import audit_event
from qorgau.container import Container
from qorgau.dsr.model import Channel as DsrChannel
from qorgau.dsr.model import Kind as DsrKind
from qorgau.errors import Refusal
from qorgau.partners.inbox import NotAPartnerTransfer
from qorgau.security.access import OperationNotPermitted
from qorgau.security.actors import Actor
from qorgau.transfers.model import (
    DeliveryMode,
    InvalidRecipient,
    Kind,
    Reason,
    RecipientNotFound,
    refusal_code,
)
from qorgau.transfers.notices import DevNotifier, send_due
from qorgau.transfers.queue import InvalidDeliveryState
from qorgau.transfers.store import outbox, transfer_notice
from qorgau.vault.model import SubjectBlocked
from transferkit import DPO, agreement, consent_to, partner, person


def events(services: Container, action: str) -> list[dict[str, object]]:
    with services.db.engine.connect() as conn:
        rows = conn.execute(select(audit_event.c.body).where(audit_event.c.action == action))
        return [orjson.loads(r[0]) for r in rows]


def test_registry_keeps_every_version_and_audits_each_change(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        first = services.registry.register(conn, DPO, partner("mfo-a"))
        changed = services.registry.register(
            conn, DPO, replace(first, legal_name="Renamed Microfinance LLP")
        )
    assert (first.version, changed.version) == (1, 2)
    with services.db.engine.connect() as conn:
        versions = services.registry.versions(conn, "mfo-a")
        current = services.registry.recipient(conn, "mfo-a")
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["entry"]["legal_name"] == "Test Microfinance 1 LLP"
    assert current.legal_name == "Renamed Microfinance LLP"
    assert current.agreement is not None
    assert current.agreement.purposes == frozenset({"contract"})
    assert [e["d"]["version"] for e in events(services, "recipient.register")] == [1]
    assert [e["d"]["version"] for e in events(services, "recipient.update")] == [2]


def test_registry_refuses_incomplete_entries_with_named_fields(services: Container) -> None:
    bad_agreement = replace(agreement(), confidentiality=" ", purposes=frozenset({"nope"}))
    with services.db.unit_of_work() as conn, pytest.raises(InvalidRecipient) as err:
        services.registry.register(
            conn, DPO, replace(partner("mfo-b", contract=bad_agreement), bin="12")
        )
    message = str(err.value)
    for part in ("bin: 12 digits", "agreement.confidentiality", "agreement.purposes: unknown nope"):
        assert part in message
    with services.db.unit_of_work() as conn, pytest.raises(InvalidRecipient, match="endpoint"):
        services.registry.register(conn, DPO, partner("mfo-c", endpoint="http://mfo.example/x"))
    with services.db.engine.connect() as conn, pytest.raises(RecipientNotFound):
        services.registry.recipient(conn, "mfo-b")


def test_operator_may_not_change_the_registry(services: Container, operator: Actor) -> None:
    with services.db.unit_of_work() as conn, pytest.raises(OperationNotPermitted):
        services.registry.register(conn, operator, partner("mfo-a"))
    assert events(services, "refuse")[-1]["d"]["op"] == "recipients"


def _refusal(services: Container, sid: str, code: str, fields: tuple[str, ...] = ("phone",)) -> str:
    """The reason a transfer is refused: the gate's own checks come first (purpose, fields,
    status, basis), the transfer rule last (DESIGN 1)."""
    with services.db.unit_of_work() as conn, pytest.raises(Refusal) as err:
        services.transfers.transfer(conn, DPO, sid, code, "contract", fields)
    return refusal_code(err.value)


def test_each_condition_of_the_rule_refuses_with_its_reason(services: Container) -> None:
    today = datetime.now(UTC).date()
    expired = agreement(start=today - timedelta(days=400), days=30)
    with services.db.unit_of_work() as conn:
        reg = services.registry.register
        reg(conn, DPO, partner("ok", n=1))
        reg(conn, DPO, partner("none", n=2, with_agreement=False))
        reg(conn, DPO, partner("expired", n=3, contract=expired))
        reg(
            conn,
            DPO,
            partner("offers-only", n=4, contract=agreement(purposes=frozenset({"offers"}))),
        )
        reg(
            conn,
            DPO,
            partner("no-transfer-op", n=5, contract=agreement(operations=frozenset({"storage"}))),
        )
        reg(conn, DPO, partner("abroad", n=6, country="DE"))
        reg(conn, DPO, partner("narrow", n=7, contract=agreement(fields=frozenset({"phone"}))))
    sid = person(services, 1)
    consent_to(services, sid, ("ok", "none", "expired", "offers-only", "no-transfer-op",
                               "abroad", "narrow"))  # fmt: skip
    assert _refusal(services, sid, "none") == Reason.NO_AGREEMENT
    assert _refusal(services, sid, "expired") == Reason.AGREEMENT_NOT_VALID
    assert _refusal(services, sid, "offers-only") == Reason.PURPOSE_NOT_COVERED
    assert _refusal(services, sid, "no-transfer-op") == Reason.OPERATION_NOT_COVERED
    assert _refusal(services, sid, "abroad") == Reason.NO_CROSS_BORDER_CONSENT
    assert _refusal(services, sid, "narrow", ("phone", "iin")) == Reason.FIELDS_OUTSIDE_PURPOSE
    # A field outside the purpose is the gate's refusal, before the rule is asked.
    assert _refusal(services, sid, "ok", ("phone", "ip_address")) == "field-not-in-purpose"
    other = person(services, 2)  # never consented to transfers
    assert _refusal(services, other, "ok") == Reason.NO_CONSENT
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, DPO, sid, "complaint")
    # So is a blocked subject (step 4 of the decision).
    assert _refusal(services, sid, "ok") == "subject-blocked"
    refusals = [e for e in events(services, "refuse") if e["d"].get("op") == "transfer"]
    assert len(refusals) == 7
    assert {e["d"]["code"] for e in refusals} == {r.value for r in Reason} - {
        Reason.RECIPIENT_INACTIVE.value,
        Reason.SUBJECT_NOT_ACTIVE.value,
    }
    gate_refusals = {e["d"]["code"] for e in events(services, "refuse") if e["d"]["op"] == "read"}
    assert {"field-not-in-purpose", "subject-blocked"} <= gate_refusals
    with services.db.engine.connect() as conn:
        assert services.transfers.log(conn, sid) == []


def test_withdrawing_the_transfer_consent_stops_transfers_at_once(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("ok"))
    sid = person(services, 3)
    consent_to(services, sid, ("ok",))
    with services.db.unit_of_work() as conn:
        services.transfers.transfer(conn, DPO, sid, "ok", "contract", ("phone",))
        services.ledger.withdraw(conn, DPO, sid, "transfer", "changed my mind")
    assert _refusal(services, sid, "ok") == Reason.NO_CONSENT


def test_a_transfer_writes_its_outbox_row_sealed_and_a_notice(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("ok"))
    sid = person(services, 4)
    cid = consent_to(services, sid, ("ok",))
    with services.db.unit_of_work() as conn:
        view = services.transfers.transfer(conn, DPO, sid, "ok", "contract", ("phone", "iin"))
    assert (view.basis_kind, view.basis_reference, view.status) == ("consent", cid, "queued")
    with services.db.engine.connect() as conn:
        row = conn.execute(select(outbox).where(outbox.c.transfer_id == view.id)).mappings().one()
        notice = conn.execute(select(transfer_notice)).mappings().one()
        log = services.transfers.log(conn, sid)
    assert row["status"] == "pending"
    assert row["idempotency_key"] == view.id
    assert b"+7701555" not in bytes(row["payload"])  # sealed, not clear
    assert notice["transfer_id"] == view.id
    due = notice["due_at"] if notice["due_at"].tzinfo else notice["due_at"].replace(tzinfo=UTC)
    assert timedelta(days=12) <= due - view.at <= timedelta(days=20)  # 10 working days
    assert [t.id for t in log] == [view.id]
    assert log[0].fields == ("phone", "iin")
    event = events(services, "transfer")[-1]
    assert event["d"]["recipient"] == "ok"
    assert event["d"]["basis"] == "consent"
    assert event["f"] == ["phone", "iin"]


def test_route_lead_reaches_consented_partners_only(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        for n, code in enumerate(("p1", "p2", "p3"), 1):
            services.registry.register(conn, DPO, partner(code, n=n))
        services.registry.register(conn, DPO, partner("quiet", n=9, delivery=DeliveryMode.NONE))
    sid = person(services, 5)
    consent_to(services, sid, ("p1", "p3", "gone", "quiet"))
    with services.db.unit_of_work() as conn:
        routed = services.transfers.route_lead(conn, sid, "L-TEST-1")
    assert routed.refused == (("gone", Reason.NO_AGREEMENT.value),)
    with services.db.engine.connect() as conn:
        log = services.transfers.log(conn, sid)
    assert sorted(t.recipient for t in log) == ["p1", "p3"]
    assert all(t.lead == "L-TEST-1" for t in log)
    assert "iin" in log[0].fields


def test_pull_partner_fetches_acknowledges_and_reports_an_outcome(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("puller", delivery=DeliveryMode.PULL))
        services.registry.register(conn, DPO, partner("other", n=2, delivery=DeliveryMode.PULL))
    sid = person(services, 6)
    consent_to(services, sid, ("puller",))
    with services.db.unit_of_work() as conn:
        (tid,) = services.transfers.route_lead(conn, sid, "L-TEST-2").transfers
        leads = services.inbox.fetch(conn, "puller")
        assert services.inbox.fetch(conn, "other") == []
    assert [lead["transfer_id"] for lead in leads] == [tid]
    assert leads[0]["data"]["phone"] == "+77015550006"
    with services.db.unit_of_work() as conn:
        with pytest.raises(NotAPartnerTransfer):
            services.inbox.acknowledge(conn, "other", tid)
        acked = services.inbox.acknowledge(conn, "puller", tid)
        assert services.inbox.fetch(conn, "puller") == []
        done = services.inbox.report_outcome(conn, "puller", tid, "refused")
    assert acked.status == "acknowledged"
    assert done.outcome == "refused"
    with services.db.engine.connect() as conn:
        result = services.gate.read(conn, DPO, sid, "contract", ["phone"])
    assert result.category == "refused_borrower"
    assert events(services, "recategorise")[-1]["d"]["to"] == "refused_borrower"
    assert services.verify_audit().ok  # the new category is in the audited state digest


def test_state_body_request_is_a_transfer_on_a_legal_ground(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(
            conn, DPO, partner("police", kind=Kind.STATE_BODY, delivery=DeliveryMode.NONE,
                               with_agreement=False),
        )  # fmt: skip
        services.registry.register(conn, DPO, partner("mfo"))
    a, b = person(services, 7), person(services, 8)
    with services.db.unit_of_work() as conn:
        rid, views = services.state_bodies.request(
            conn, DPO, body="police", reference="No. 12-3/456 of 20.11.2026",
            legal_ground="Code of Criminal Procedure, Art. 122", received_on=date(2026, 11, 20),
            subjects=[a, b], fields=["last_name", "phone"],
        )  # fmt: skip
    assert {v.basis_kind for v in views} == {"law"}
    assert {v.status for v in views} == {"disclosed"}
    assert "Art. 122" in views[0].basis_reference
    assert events(services, "state_request")[-1]["d"]["request"] == rid
    with services.db.unit_of_work() as conn, pytest.raises(Exception, match="not a state body"):
        services.state_bodies.request(
            conn, DPO, body="mfo", reference="x", legal_ground="y",
            received_on=date(2026, 11, 20), subjects=[a], fields=["phone"],
        )  # fmt: skip


def test_rotated_secret_signs_beside_the_old_one_until_it_retires(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("ok"))
        first = services.registry.rotate_secret(conn, DPO, "ok")
        second = services.registry.rotate_secret(conn, DPO, "ok", overlap=timedelta(hours=1))
    assert first != second
    now = datetime.now(UTC)
    with services.db.engine.connect() as conn:
        assert len(services.registry.signing_secrets(conn, "ok", now)) == 2
        assert len(services.registry.signing_secrets(conn, "ok", now + timedelta(hours=2))) == 1
    assert all(first not in str(e) for e in events(services, "recipient.secret"))


def test_dead_letters_are_listed_first_and_can_be_retried(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("ok"))
    sid = person(services, 9)
    consent_to(services, sid, ("ok",))
    with services.db.unit_of_work() as conn:
        first = services.transfers.transfer(conn, DPO, sid, "ok", "contract", ("phone",))
        second = services.transfers.transfer(conn, DPO, sid, "ok", "contract", ("email",))
        conn.execute(
            update(outbox)
            .where(outbox.c.transfer_id == second.id)
            .values(status="dead", attempts=8, last_error="http 503")
        )
    with services.db.engine.connect() as conn:
        queue = services.queue.deliveries(conn)
    assert [d["transfer_id"] for d in queue] == [second.id, first.id]
    assert queue[0]["last_error"] == "http 503"
    assert "payload" not in queue[0]
    with services.db.unit_of_work() as conn:
        with pytest.raises(InvalidDeliveryState):
            services.queue.retry(conn, DPO, first.id)
        services.queue.retry(conn, DPO, second.id)
    with services.db.engine.connect() as conn:
        assert services.queue.deliveries(conn, "dead") == []
        assert len(services.queue.deliveries(conn, "pending")) == 2
    assert events(services, "transfer.retry")[-1]["d"]["transfer"] == second.id


def test_the_access_report_lists_every_transfer(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("ok"))
    sid = person(services, 10)
    consent_to(services, sid, ("ok",))
    with services.db.unit_of_work() as conn:
        # The person confirmed this phone with a code (a code goes only to such a contact).
        services.gate.confirm_contact(conn, DPO, sid, "phone", "+77015550010", "otp:phone")
        view = services.transfers.transfer(conn, DPO, sid, "ok", "contract", ("phone", "iin"))
        got = services.requests.receive(
            conn, DPO, DsrKind.ACCESS, DsrChannel.PHONE, "phone", "+77015550010", "ru"
        )
        assert got.code is not None
        assert services.requests.verify(conn, DPO, got.request_id, got.code)
        report = services.requests.access_report(conn, DPO, got.request_id)
    assert report["recipients"] == ["Test Microfinance 1 LLP"]
    (entry,) = report["transfers"]
    assert entry["recipient_code"] == "ok"
    assert entry["fields"] == ["phone", "iin"]
    assert entry["basis"] == "consent"
    assert entry["at"] == view.at.isoformat()


def test_notices_tell_the_person_once_in_the_consent_language(
    services: Container, tmp_path: Path
) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("ok"))
    sid = person(services, 11)
    consent_to(services, sid, ("ok",))
    with services.db.unit_of_work() as conn:
        services.transfers.transfer(conn, DPO, sid, "ok", "contract", ("phone", "iin"))
    notifier = DevNotifier(tmp_path / "outbox.log")
    site = services.settings.operator

    def run() -> tuple[int, int]:
        with services.db.unit_of_work() as conn:
            got = send_due(
                conn, services.notices, services.transfers, services.gate, notifier,
                operator=site.name, site=site.site,
            )  # fmt: skip
        return got.sent, got.unreachable

    assert run() == (1, 0)
    assert run() == (0, 0)
    (line,) = (tmp_path / "outbox.log").read_text(encoding="utf-8").splitlines()
    notice = json.loads(line)
    assert notice["kind"] == "transfer_notice"
    assert notice["channel"] == "phone"
    assert "+77015550011" not in line  # masked contact, labels only
    assert "Test Microfinance 1 LLP" in notice["text"]
    assert "ИИН" in notice["text"]
    assert events(services, "transfer.notice")[-1]["d"]["channel"] == "phone"


def test_a_refused_subject_leaves_a_state_body_request_unrecorded(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(
            conn, DPO, partner("police", kind=Kind.STATE_BODY, delivery=DeliveryMode.NONE,
                               with_agreement=False),
        )  # fmt: skip
    a, b = person(services, 12), person(services, 13)
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, DPO, b, "complaint")
    with services.db.unit_of_work() as conn, pytest.raises(SubjectBlocked):
        services.state_bodies.request(
            conn, DPO, body="police", reference="No. 1", legal_ground="Art. 122",
            received_on=date(2026, 11, 20), subjects=[a, b], fields=["phone"],
        )  # fmt: skip
    with services.db.engine.connect() as conn:
        assert services.transfers.log(conn, a) == []
    assert events(services, "state_request") == []
    assert events(services, "retrieve") == []  # nothing was revealed for anyone
    assert events(services, "refuse")[-1]["d"]["code"] == "subject-blocked"


def test_a_withdrawn_recipient_fetches_nothing(services: Container) -> None:
    with services.db.unit_of_work() as conn:
        entry = services.registry.register(conn, DPO, partner("puller", delivery=DeliveryMode.PULL))
    sid = person(services, 14)
    consent_to(services, sid, ("puller",))
    with services.db.unit_of_work() as conn:
        assert services.transfers.route_lead(conn, sid, "L-TEST-3").transfers
        services.registry.register(conn, DPO, replace(entry, active=False))
        assert services.inbox.fetch(conn, "puller") == []
