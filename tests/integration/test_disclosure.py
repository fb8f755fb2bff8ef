"""One decision for every disclosure (DESIGN 1; policy 6.2, 6.5-6.7, 7.3.8; issue 10).

A partner holds a key: it must get only what the transfer rule allows at the moment of
disclosure, never a lead of a blocked, withdrawn or destroyed subject, by pull or by webhook.
Every actor is what it is: a partner's read is recorded as the partner's, not the DPO's;
the analyst reads no raw value; consents are recorded only where they make sense.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from qorgau.audit.store import audit_event
from qorgau.consent.model import TRANSFER
from qorgau.container import Container
from qorgau.security import actors
from qorgau.security.actors import Actor
from qorgau.server import create_app
from qorgau.transfers.model import DeliveryMode
from qorgau.transfers.store import outbox, transfer
from qorgau.vault.model import FieldDenied, NotYourRecipient, RecipientRequired
from transferkit import DPO, agreement, consent_to, partner, person


def bodies(services: Container) -> list[dict[str, object]]:
    with services.db.engine.connect() as conn:
        return [orjson.loads(r[0]) for r in conn.execute(select(audit_event.c.body))]


def queued_pull_lead(services: Container, n: int, code: str = "puller") -> tuple[str, str]:
    """A pull partner, a consenting person and their lead routed to it: (subject, transfer)."""
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner(code, n=n, delivery=DeliveryMode.PULL))
    sid = person(services, n)
    consent_to(services, sid, (code,))
    with services.db.unit_of_work() as conn:
        (tid,) = services.transfers.route_lead(conn, sid, f"L-DSC-{n}").transfers
    return sid, tid


def fetch(services: Container, code: str = "puller") -> list[dict[str, object]]:
    with services.db.unit_of_work() as conn:
        return services.inbox.fetch(conn, code)


def states(services: Container, tid: str) -> tuple[str, str, bool]:
    """(outbox status, transfer status, payload kept)."""
    with services.db.engine.connect() as conn:
        o = conn.execute(
            select(outbox.c.status, outbox.c.payload).where(outbox.c.transfer_id == tid)
        ).one()
        t = conn.execute(select(transfer.c.status).where(transfer.c.id == tid)).scalar_one()
    return str(o[0]), str(t), o[1] is not None


def test_a_pull_partner_gets_its_lead_and_is_recorded_as_itself(services: Container) -> None:
    sid, tid = queued_pull_lead(services, 1)
    (doc,) = fetch(services)
    assert doc["transfer_id"] == tid
    data = doc["data"]
    assert isinstance(data, dict)
    assert data["phone"] == "+77015550001"
    reads = [b for b in bodies(services) if b["a"] == "retrieve" and b.get("s") == sid]
    by = {(b["by"], b["d"]["role"]) for b in reads}  # type: ignore[index]
    # The router revealed it for the transfer, the partner received it: each under its role.
    assert by == {("system:router", "router"), ("partner:puller", "partner")}
    assert not [b for b in reads if b["d"]["role"] == "dpo"]  # type: ignore[index]


def test_a_lead_of_a_subject_blocked_after_routing_is_withheld(services: Container) -> None:
    sid, tid = queued_pull_lead(services, 2)
    with services.db.unit_of_work() as conn:
        services.gate.block(conn, DPO, sid, "complaint")
    assert fetch(services) == []
    # Kept (dead-lettered, payload sealed) for staff to retry once the block is lifted.
    assert states(services, tid) == ("dead", "dead", True)
    refusal = [b for b in bodies(services) if b["a"] == "refuse"][-1]
    assert refusal["d"] == {  # type: ignore[comparison-overlap]
        "role": "partner", "op": "read", "code": "subject-blocked", "recipient": "puller",
    }  # fmt: skip
    assert refusal["by"] == "partner:puller"


def test_a_lead_whose_transfer_consent_was_withdrawn_is_never_handed_out(
    services: Container,
) -> None:
    sid, tid = queued_pull_lead(services, 3)
    with services.db.unit_of_work() as conn:
        services.ledger.withdraw(conn, DPO, sid, TRANSFER, "changed my mind")
    assert fetch(services) == []
    assert fetch(services) == []  # and not on a later pull either
    # Withheld for good: the payload is gone.
    assert states(services, tid) == ("dead", "withheld", False)
    codes = [b["d"]["code"] for b in bodies(services) if b["a"] == "refuse"]  # type: ignore[index]
    assert codes == ["no-consent"]


def test_a_lead_after_the_agreement_ended_is_withheld(services: Container) -> None:
    _sid, tid = queued_pull_lead(services, 4)
    ended = agreement(start=datetime.now(UTC).date() - timedelta(days=400), days=30)
    with services.db.unit_of_work() as conn:
        entry = services.registry.recipient(conn, "puller")
        services.registry.register(conn, DPO, replace(entry, agreement=ended))
    assert fetch(services) == []
    assert states(services, tid) == ("dead", "dead", True)


def test_a_lead_with_fields_no_longer_agreed_is_withheld(services: Container) -> None:
    _sid, tid = queued_pull_lead(services, 5)
    narrower = agreement(fields=frozenset({"phone"}))
    with services.db.unit_of_work() as conn:
        entry = services.registry.recipient(conn, "puller")
        services.registry.register(conn, DPO, replace(entry, agreement=narrower))
    assert fetch(services) == []
    assert states(services, tid) == ("dead", "withheld", False)


def test_a_lead_of_a_destroyed_subject_is_never_handed_out(services: Container) -> None:
    sid, tid = queued_pull_lead(services, 6)
    with services.db.unit_of_work() as conn:
        services.gate.destroy(conn, DPO, sid, "subject request")
    assert fetch(services) == []
    assert states(services, tid)[0] == "dead"


def test_a_partner_actor_cannot_read_or_take_another_partners_lead(
    services: Container,
) -> None:
    sid, _tid = queued_pull_lead(services, 7)
    other = actors.partner("someone-else")
    with services.db.unit_of_work() as conn, pytest.raises(NotYourRecipient):
        services.gate.read(conn, actors.partner("puller"), sid, "contract")
    with services.db.unit_of_work() as conn, pytest.raises(NotYourRecipient):
        services.gate.disclose(conn, other, sid, "puller", "contract", ("phone",))
    with services.db.unit_of_work() as conn, pytest.raises(RecipientRequired):
        services.gate.read(conn, actors.DISPATCHER, sid, "contract", ["phone"])


def test_the_analyst_reads_no_raw_value(services: Container) -> None:
    analyst = Actor("analyst", "test:analyst")
    values = {"phone": "+77015550008", "birth_date": "1990-01-09", "sex": "female"}
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(
            conn,
            DPO,
            services.gate.prepare("potential_borrower", "contract", values, "subject:web"),
        )
    with services.db.unit_of_work() as conn, pytest.raises(FieldDenied):
        services.gate.read(conn, analyst, sid, "statistics")
    with services.db.unit_of_work() as conn, pytest.raises(FieldDenied):
        services.gate.read(conn, analyst, sid, "statistics", ["sex"])
    with services.db.unit_of_work() as conn, pytest.raises(FieldDenied):
        services.gate.search(conn, analyst, "phone", "+77015550008", "statistics")
    # Not even which subject a phone belongs to, by naming no field.
    with services.db.unit_of_work() as conn, pytest.raises(FieldDenied):
        services.gate.search(conn, analyst, "phone", "+77015550008", "statistics", [])
    with services.db.unit_of_work() as conn, pytest.raises(FieldDenied):
        services.gate.read(conn, analyst, sid, "statistics", [])
    refused = [b for b in bodies(services) if b["a"] == "refuse"]
    assert [b["d"]["code"] for b in refused] == ["field-denied"] * 5  # type: ignore[index]
    assert not [b for b in bodies(services) if b["a"] == "retrieve"]


def test_system_actors_are_not_the_dpo(services: Container) -> None:
    roles = {a.role for a in (actors.SITE, actors.RIGHTS, actors.WORKER, actors.ROUTER,
                              actors.DISPATCHER, actors.partner("x"), actors.cli("t"))}  # fmt: skip
    assert roles == {"site", "rights", "worker", "router", "dispatcher", "partner", "cli"}
    for role in roles - {"cli"}:
        assert role in services.access.roles
        assert not services.access.roles[role].capabilities & {
            "keys.manage", "policy.publish", "audit.verify", "block", "requests.handle",
            "recipients.manage", "transfers.read", "basis.record", "duplicates.resolve",
        }  # fmt: skip
    assert services.access.roles["rights"].purposes == {"subject_request"}


# -- consents only where they make sense (policy 2.1, 6.2) -----------------------------------


@pytest.fixture
def api(services: Container) -> TestClient:
    return TestClient(create_app(services))


def key(services: Container, role: str) -> dict[str, str]:
    with services.db.unit_of_work() as conn:
        raw = services.api_keys.create_key(conn, role, f"test-{role}")[1]
    return {"Authorization": f"Bearer {raw}"}


def test_consents_only_for_a_purpose_the_role_may_use_and_known_recipients(
    services: Container, api: TestClient
) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("known", n=9))
    sid = person(services, 9)
    body = {"text": "Согласен.", "evidence": {"method": "paper_scan"}}
    url = f"/api/v1/subjects/{sid}/consents"
    operator = key(services, "operator")
    # The call centre may not use the statistics purpose, so it may not record its consent.
    r = api.post(url, json={**body, "purpose": "statistics"}, headers=operator)
    assert r.status_code == 403
    assert r.json()["reason"] == "purpose-not-permitted"
    r = api.post(url, json={**body, "purpose": "no-such-purpose"}, headers=operator)
    assert r.status_code in (400, 404, 422)
    r = api.post(
        url, json={**body, "purpose": TRANSFER, "recipients": ["known", "ghost"]},
        headers=operator,
    )  # fmt: skip
    assert r.status_code == 422
    assert r.json()["type"] == "/problems/unknown-recipient"
    assert "ghost" in r.json()["detail"]
    r = api.post(url, json={**body, "purpose": TRANSFER, "recipients": ["known"]}, headers=operator)
    assert r.status_code == 201
    with services.db.engine.connect() as conn:
        live = [c.purpose for c in services.ledger.consents(conn, sid)]
    assert live == [TRANSFER]
    assert [b["d"]["op"] for b in bodies(services) if b["a"] == "refuse"] == [  # type: ignore[index]
        "consent.grant"
    ]


def test_a_search_names_a_blocked_match_without_values_and_audits_it(
    services: Container,
) -> None:
    blocked, active = person(services, 11), person(services, 12)
    with services.db.unit_of_work() as conn:
        services.gate.clarify(
            conn, DPO, active, "contract", {"phone": "+77015550011"}, "staff:test"
        )
        services.gate.block(conn, DPO, blocked, "complaint")
    operator = Actor("operator", "test:operator")
    with services.db.unit_of_work() as conn:
        hits = services.gate.search(conn, operator, "phone", "+77015550011", "contract")
    by_id = {h.subject_id: h for h in hits}
    assert by_id[blocked].values == {}
    assert by_id[blocked].status == "blocked"
    assert by_id[active].values["phone"] == "+77015550011"
    refusal = [b for b in bodies(services) if b["a"] == "refuse"][-1]
    assert refusal["s"] == blocked
    assert refusal["d"]["code"] == "subject-blocked"  # type: ignore[index]


def test_an_edited_transfer_row_cannot_widen_what_a_partner_gets(services: Container) -> None:
    """The rule is checked against the transfer row's fields, which an insider could edit;
    the sealed payload must agree with them or nothing leaves."""
    from sqlalchemy import update

    _sid, tid = queued_pull_lead(services, 13)
    with services.db.unit_of_work() as conn:
        conn.execute(update(transfer).where(transfer.c.id == tid).values(fields='["phone"]'))
    assert fetch(services) == []
    assert states(services, tid) == ("dead", "withheld", False)


def test_a_route_refusing_a_role_is_audited(services: Container, api: TestClient) -> None:
    analyst = key(services, "analyst")
    for url in ("/api/v1/requests", "/api/v1/recipients", "/api/v1/duplicates"):
        r = api.get(url, headers=analyst)
        assert r.status_code == 403
        assert r.json()["reason"] == "operation-not-permitted"
    refused = [b for b in bodies(services) if b["a"] == "refuse"]
    assert len(refused) == 3
    assert {b["d"]["role"] for b in refused} == {"analyst"}  # type: ignore[index]
    assert all(str(b["by"]).startswith("key:") for b in refused)
