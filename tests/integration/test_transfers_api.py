"""The recipient registry, transfers, deliveries and the partner pull API over HTTP, and the
``qorgau recipients`` / ``keys create --recipient`` commands, on SQLite and PostgreSQL
(policy 4.2.2, 6.2-6.4, 6.6; LAW.md Art. 16)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from qorgau.audit.store import audit_event
from qorgau.cli import app as cli_app
from qorgau.config import Settings
from qorgau.container import Container
from qorgau.security.store import api_key
from qorgau.server import create_app
from qorgau.transfers.model import DeliveryMode, Kind
from qorgau.transfers.store import outbox
from transferkit import DPO, consent_to, partner, person

PROBLEM = "application/problem+json"


def events(services: Container, action: str) -> list[dict[str, Any]]:
    with services.db.engine.connect() as conn:
        rows = conn.execute(
            select(audit_event.c.subject_id, audit_event.c.body).where(
                audit_event.c.action == action
            )
        ).all()
    return [{"subject_id": r[0], **orjson.loads(bytes(r[1]))} for r in rows]


def keys(services: Container, *roles: str, recipient: str | None = None) -> list[dict[str, str]]:
    with services.db.unit_of_work() as conn:
        tokens = [
            services.api_keys.create_key(conn, role, "transfer test", recipient)[1]
            for role in roles
        ]
    return [{"Authorization": f"Bearer {t}"} for t in tokens]


@pytest.fixture
def api(services: Container) -> TestClient:
    return TestClient(create_app(services))


def entry(code: str, **over: Any) -> dict[str, Any]:
    """A registry entry as a JSON document (fictional organisation)."""
    begin = datetime.now(UTC).date() - timedelta(days=1)
    doc: dict[str, Any] = {
        "code": code,
        "kind": "third_party",
        "legal_name": f"{code.upper()} Microfinance LLP",
        "bin": "123456789012",
        "country": "KZ",
        "contacts": {"email": f"dpo@{code}.example"},
        "delivery": "pull",
        "agreement": {
            "reference": "Agreement No. 9/2026 of 01.03.2026",
            "operations": ["transfer", "storage", "use"],
            "purposes": ["contract"],
            "confidentiality": "Keep the data confidential; no onward transfer.",
            "security": "Encryption in transit and at rest.",
            "protection": "Measures of LAW.md Art. 22.",
            "valid_from": begin.isoformat(),
            "valid_until": (begin + timedelta(days=365)).isoformat(),
        },
    }
    doc.update(over)
    return doc


def problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = r.json()
    assert doc["type"] == f"/problems/{code}", doc
    return doc


# -- the registry ---------------------------------------------------------------------------


def test_registry_create_update_versions_and_flags(services: Container, api: TestClient) -> None:
    (dpo, operator) = keys(services, "dpo", "operator")
    soon = entry("mfo-soon")
    soon["agreement"]["valid_until"] = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    for doc in (entry("mfo-a"), entry("abroad", country="DE", bin=None), soon):
        r = api.post("/api/v1/recipients", json=doc, headers=dpo)
        assert r.status_code == 201, r.text
        assert r.json()["version"] == 1
    problem(api.post("/api/v1/recipients", json=entry("mfo-a"), headers=dpo), 409,
            "recipient-exists")  # fmt: skip
    listed = api.get("/api/v1/recipients", headers=dpo).json()
    assert listed["storage_location"] == "KZ"
    by = {r["code"]: r for r in listed["data"]}
    assert (by["abroad"]["cross_border"], by["mfo-a"]["cross_border"]) == (True, False)
    assert (by["mfo-soon"]["expiring_soon"], by["mfo-a"]["expiring_soon"]) == (True, False)
    assert by["mfo-a"]["agreement_valid"] is True
    assert by["mfo-a"]["valid_until"] == entry("mfo-a")["agreement"]["valid_until"]
    registry = api.get("/api/v1/registry", headers=dpo).json()
    assert registry["storage_location"] == "KZ"
    assert registry["cross_border"] == ["abroad"]
    assert registry["expiring"] == ["mfo-soon"]
    assert registry["recipients"] == 3

    changed = {k: v for k, v in entry("mfo-a").items() if k != "code"}
    changed["legal_name"] = "Renamed Microfinance LLP"
    r = api.put("/api/v1/recipients/mfo-a", json=changed, headers=dpo)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    assert api.get("/api/v1/recipients/mfo-a", headers=dpo).json()["legal_name"] == (
        "Renamed Microfinance LLP"
    )
    versions = api.get("/api/v1/recipients/mfo-a/versions", headers=dpo).json()
    assert [v["version"] for v in versions["data"]] == [1, 2]
    assert versions["data"][0]["entry"]["legal_name"] == "MFO-A Microfinance LLP"
    assert versions["data"][1]["actor"].startswith("key:")
    problem(api.put("/api/v1/recipients/nobody", json=changed, headers=dpo), 404,
            "recipient-not-found")  # fmt: skip
    problem(api.get("/api/v1/recipients/nobody/versions", headers=dpo), 404,
            "recipient-not-found")  # fmt: skip

    # The operator may neither list nor change the registry; the refused change is audited.
    problem(api.get("/api/v1/recipients", headers=operator), 403, "operation-not-permitted")
    problem(api.post("/api/v1/recipients", json=entry("mfo-x"), headers=operator), 403,
            "operation-not-permitted")  # fmt: skip
    assert events(services, "refuse")[-1]["d"]["op"] == "recipients"
    assert [e["d"]["version"] for e in events(services, "recipient.update")] == [2]


def test_registry_validation_names_the_fields(services: Container, api: TestClient) -> None:
    (dpo,) = keys(services, "dpo")
    bad = entry("mfo-bad", bin="12", delivery="webhook", endpoint="http://mfo.example/x")
    bad["agreement"]["confidentiality"] = " "
    bad["agreement"]["purposes"] = ["nope"]
    doc = problem(api.post("/api/v1/recipients", json=bad, headers=dpo), 422, "invalid-recipient")
    for part in ("bin: 12 digits", "endpoint", "agreement.confidentiality",
                 "agreement.purposes: unknown nope"):  # fmt: skip
        assert part in doc["detail"], part
    # Malformed bodies: the schema's errors name the field, never echo the value.
    long = entry("mfo-long", legal_name="x" * 301)
    doc = problem(api.post("/api/v1/recipients", json=long, headers=dpo), 422,
                  "request-validation")  # fmt: skip
    assert ["body", "legal_name"] in [e["loc"] for e in doc["errors"]]
    assert "x" * 301 not in json.dumps(doc)
    doc = problem(api.post("/api/v1/recipients", json=entry("m", kind="friend"), headers=dpo),
                  422, "request-validation")  # fmt: skip
    assert ["body", "kind"] in [e["loc"] for e in doc["errors"]]
    with services.db.engine.connect() as conn:
        assert services.registry.recipients(conn) == []


def test_secret_rotation_is_returned_once_and_not_cached(
    services: Container, api: TestClient
) -> None:
    (dpo, operator) = keys(services, "dpo", "operator")
    assert api.post("/api/v1/recipients", json=entry("mfo-a"), headers=dpo).status_code == 201
    r = api.post("/api/v1/recipients/mfo-a/secret", headers=dpo)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    secret = r.json()["secret"]
    assert len(secret) >= 40
    again = api.post("/api/v1/recipients/mfo-a/secret", headers=dpo).json()["secret"]
    assert again != secret
    with services.db.engine.connect() as conn:
        assert len(services.registry.signing_secrets(conn, "mfo-a", datetime.now(UTC))) == 2
    assert all(secret not in json.dumps(e) for e in events(services, "recipient.secret"))
    problem(api.post("/api/v1/recipients/mfo-a/secret", headers=operator), 403,
            "operation-not-permitted")  # fmt: skip
    problem(api.post("/api/v1/recipients/nobody/secret", headers=dpo), 404, "recipient-not-found")


# -- transfers ------------------------------------------------------------------------------


def test_manual_transfer_allowed_refused_and_logged(services: Container, api: TestClient) -> None:
    (dpo, operator) = keys(services, "dpo", "operator")
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("ok", delivery=DeliveryMode.PULL))
        services.registry.register(conn, DPO, partner("abroad", n=2, country="DE"))
    sid = person(services, 31)
    cid = consent_to(services, sid, ("ok", "abroad"))
    body = {"subject_id": sid, "recipient": "ok", "purpose": "contract",
            "fields": ["phone", "last_name"]}  # fmt: skip
    r = api.post("/api/v1/transfers", json=body, headers=dpo)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["basis_kind"], made["basis_reference"], made["status"]) == (
        "consent",
        cid,
        "queued",
    )
    assert made["fields"] == ["phone", "last_name"]
    assert "+7701555" not in r.text

    refused = api.post("/api/v1/transfers", json={**body, "recipient": "abroad"}, headers=dpo)
    doc = problem(refused, 403, "transfer-refused")
    assert doc["reason"] == "no-cross-border-consent"
    assert "no-cross-border-consent" in doc["detail"]
    outside = api.post("/api/v1/transfers", json={**body, "fields": ["ip_address"]}, headers=dpo)
    # Outside the purpose: the gate refuses before the transfer rule is asked (DESIGN 1).
    assert problem(outside, 403, "field-not-in-purpose")["reason"] == "field-not-in-purpose"
    # The refusals' audit events committed although the requests failed.
    codes = [e["d"]["code"] for e in events(services, "refuse")]
    assert codes == ["no-cross-border-consent", "field-not-in-purpose"]
    problem(api.post("/api/v1/transfers", json=body, headers=operator), 403,
            "operation-not-permitted")  # fmt: skip
    problem(api.post("/api/v1/transfers", json={**body, "recipient": "nobody"}, headers=dpo),
            404, "recipient-not-found")  # fmt: skip

    log = api.get(f"/api/v1/subjects/{sid}/transfers", headers=dpo).json()
    assert log["count"] == 1
    t = log["data"][0]
    assert (t["id"], t["recipient"], t["purpose"], t["basis_kind"]) == (
        made["id"],
        "ok",
        "contract",
        "consent",
    )
    assert t["recipient_name"] == "Test Microfinance 1 LLP"
    assert (t["status"], t["acknowledged_at"], t["outcome"]) == ("queued", None, None)
    problem(api.get(f"/api/v1/subjects/{'0' * 32}/transfers", headers=dpo), 404,
            "subject-not-found")  # fmt: skip
    problem(api.get(f"/api/v1/subjects/{sid}/transfers", headers=operator), 403,
            "operation-not-permitted")  # fmt: skip


def test_state_body_request(services: Container, api: TestClient) -> None:
    (dpo,) = keys(services, "dpo")
    police = entry("police", kind="state_body", bin=None, delivery="none", agreement=None,
                   legal_name="Test Police Department")  # fmt: skip
    assert api.post("/api/v1/recipients", json=police, headers=dpo).status_code == 201
    a, b = person(services, 41), person(services, 42)
    body = {
        "code": "police",
        "reference": "No. 12-3/456 of 20.11.2026",
        "legal_ground": "Code of Criminal Procedure, Art. 122",
        "received_on": "2026-11-20",
        "subjects": [a, b],
        "fields": ["last_name", "phone"],
    }
    r = api.post("/api/v1/state-requests", json=body, headers=dpo)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert len(doc["id"]) == 32
    assert {t["basis_kind"] for t in doc["transfers"]} == {"law"}
    assert {t["status"] for t in doc["transfers"]} == {"disclosed"}
    assert "Art. 122" in doc["transfers"][0]["basis_reference"]
    assert events(services, "state_request")[-1]["d"]["request"] == doc["id"]
    bad = problem(api.post("/api/v1/state-requests", json={**body, "reference": " "},
                           headers=dpo), 422, "invalid-state-request")  # fmt: skip
    assert "reference" in bad["detail"]
    problem(api.post("/api/v1/state-requests", json={**body, "subjects": []}, headers=dpo),
            422, "request-validation")  # fmt: skip


def test_deliveries_list_and_retry(services: Container, api: TestClient) -> None:
    (dpo, operator) = keys(services, "dpo", "operator")
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("ok"))
    sid = person(services, 51)
    consent_to(services, sid, ("ok",))
    with services.db.unit_of_work() as conn:
        first = services.transfers.transfer(conn, DPO, sid, "ok", "contract", ("phone",))
        second = services.transfers.transfer(conn, DPO, sid, "ok", "contract", ("email",))
        conn.execute(
            update(outbox)
            .where(outbox.c.transfer_id == second.id)
            .values(status="dead", attempts=8, last_error="http 503")
        )
    queue = api.get("/api/v1/deliveries", headers=dpo).json()
    assert [d["transfer_id"] for d in queue["data"]] == [second.id, first.id]
    assert queue["data"][0]["last_error"] == "http 503"
    assert "payload" not in queue["data"][0]
    dead = api.get("/api/v1/deliveries?status=dead", headers=dpo).json()
    assert [d["transfer_id"] for d in dead["data"]] == [second.id]
    problem(api.get("/api/v1/deliveries?status=lost", headers=dpo), 422, "request-validation")
    problem(api.get("/api/v1/deliveries", headers=operator), 403, "operation-not-permitted")
    problem(api.post(f"/api/v1/deliveries/{first.id}/retry", headers=dpo), 409,
            "invalid-delivery-state")  # fmt: skip
    problem(api.post(f"/api/v1/deliveries/{second.id}/retry", headers=operator), 403,
            "operation-not-permitted")  # fmt: skip
    problem(api.post(f"/api/v1/deliveries/{'a' * 32}/retry", headers=dpo), 404,
            "transfer-not-found")  # fmt: skip
    r = api.post(f"/api/v1/deliveries/{second.id}/retry", headers=dpo)
    assert r.status_code == 200, r.text
    assert r.json() == {"transfer_id": second.id, "status": "pending"}
    assert api.get("/api/v1/deliveries?status=dead", headers=dpo).json()["count"] == 0
    assert events(services, "transfer.retry")[-1]["d"]["transfer"] == second.id


# -- the partner pull API -------------------------------------------------------------------


def test_partner_pull_ack_and_outcome(services: Container, api: TestClient) -> None:
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("puller", delivery=DeliveryMode.PULL))
        services.registry.register(conn, DPO, partner("other", n=2, delivery=DeliveryMode.PULL))
        services.registry.register(conn, DPO, partner("hooked", n=3))
    (mine,) = keys(services, "operator", recipient="puller")
    (theirs,) = keys(services, "operator", recipient="other")
    (hooked,) = keys(services, "operator", recipient="hooked")
    (staff,) = keys(services, "dpo")
    sid = person(services, 61)
    consent_to(services, sid, ("puller",))
    with services.db.unit_of_work() as conn:
        (tid,) = services.transfers.route_lead(conn, sid, "L-API-1").transfers

    # A key without a recipient is not a partner's; a partner's key is not staff's.
    problem(api.get("/api/v1/partner/leads", headers=staff), 403, "not-a-partner")
    problem(api.get("/api/v1/recipients", headers=mine), 403, "partner-key")
    problem(api.get("/api/v1/partner/leads"), 401, "unauthenticated")
    problem(api.get("/api/v1/partner/leads", headers=hooked), 409, "not-a-pull-partner")

    assert api.get("/api/v1/partner/leads", headers=theirs).json()["count"] == 0
    r = api.get("/api/v1/partner/leads?limit=10", headers=mine)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    leads = r.json()["data"]
    assert [lead["transfer_id"] for lead in leads] == [tid]
    assert leads[0]["lead"] == "L-API-1"
    assert leads[0]["data"]["phone"] == "+77015550061"
    assert events(services, "transfer.fetched")[-1]["d"]["transfer"] == tid
    problem(api.get("/api/v1/partner/leads?limit=0", headers=mine), 422, "request-validation")

    # Another partner cannot see, acknowledge or report on this lead.
    problem(api.post(f"/api/v1/partner/leads/{tid}/ack", headers=theirs), 404,
            "transfer-not-found")  # fmt: skip
    problem(api.post(f"/api/v1/partner/leads/{tid}/outcome", json={"outcome": "issued"},
                     headers=theirs), 404, "transfer-not-found")  # fmt: skip

    acked = api.post(f"/api/v1/partner/leads/{tid}/ack", headers=mine)
    assert acked.status_code == 200, acked.text
    assert acked.json()["status"] == "acknowledged"
    assert acked.json()["acknowledged_at"] is not None
    assert "subject_id" not in acked.json()
    assert api.get("/api/v1/partner/leads", headers=mine).json()["count"] == 0
    problem(api.post(f"/api/v1/partner/leads/{tid}/outcome", json={"outcome": "won"},
                     headers=mine), 422, "request-validation")  # fmt: skip
    done = api.post(f"/api/v1/partner/leads/{tid}/outcome", json={"outcome": "refused"},
                    headers=mine)  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == "refused"
    with services.db.engine.connect() as conn:
        assert services.gate.read(conn, DPO, sid, "contract", ["phone"]).category == (
            "refused_borrower"
        )
    log = api.get(f"/api/v1/subjects/{sid}/transfers", headers=staff).json()["data"]
    assert (log[0]["status"], log[0]["outcome"]) == ("acknowledged", "refused")
    assert log[0]["acknowledged_at"] is not None


# -- the CLI --------------------------------------------------------------------------------


def _env(settings: Settings) -> dict[str, str]:
    return {
        "QORGAU_HOME": str(settings.home),
        "QORGAU_DATABASE_URL": settings.resolved_database_url,
        "QORGAU_AUDIT_PARTITIONS": str(settings.audit_partitions),
        "COLUMNS": "200",
    }


def test_cli_recipients_and_partner_keys(
    services: Container, settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = _env(settings)
    good = tmp_path / "mfo.json"
    good.write_text(json.dumps(entry("mfo-cli")), encoding="utf-8")
    added = runner.invoke(cli_app, ["recipients", "add", str(good)], env=env)
    assert added.exit_code == 0, added.output
    assert "registered mfo-cli, version 1" in added.stdout
    again = runner.invoke(cli_app, ["recipients", "add", str(good)], env=env)
    assert again.exit_code == 0, again.output
    assert "version 2" in again.stdout

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(entry("mfo-bad", bin="12")), encoding="utf-8")
    refused = runner.invoke(cli_app, ["recipients", "add", str(bad)], env=env)
    assert refused.exit_code == 2
    assert "bin: 12 digits" in refused.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert runner.invoke(cli_app, ["recipients", "add", str(broken)], env=env).exit_code == 2
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps({"code": "x"}), encoding="utf-8")
    got = runner.invoke(cli_app, ["recipients", "add", str(missing)], env=env)
    assert got.exit_code == 2
    assert "missing" in got.output

    listed = runner.invoke(cli_app, ["recipients", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    doc = json.loads(listed.stdout)
    assert doc["storage_location"] == "KZ"
    assert [r["code"] for r in doc["data"]] == ["mfo-cli"]
    assert doc["data"][0]["version"] == 2
    assert doc["data"][0]["cross_border"] is False
    plain = runner.invoke(cli_app, ["recipients", "list"], env=env)
    assert plain.exit_code == 0
    assert "mfo-cli" in plain.stdout

    rotated = runner.invoke(cli_app, ["recipients", "rotate-secret", "mfo-cli"], env=env)
    assert rotated.exit_code == 0, rotated.output
    secret = rotated.stdout.strip()
    assert len(secret) >= 40
    unknown = runner.invoke(cli_app, ["recipients", "rotate-secret", "nobody"], env=env)
    assert unknown.exit_code == 2
    assert "nobody" in unknown.output

    key = runner.invoke(
        cli_app, ["keys", "create", "--role", "partner", "--recipient", "mfo-cli"], env=env
    )
    assert key.exit_code == 0, key.output
    token = key.stdout.strip()
    with services.db.engine.connect() as conn:
        bound = conn.execute(select(api_key.c.recipient).where(api_key.c.name == "api")).all()
    assert [r[0] for r in bound] == ["mfo-cli"]
    nobody = runner.invoke(
        cli_app, ["keys", "create", "--role", "partner", "--recipient", "nobody"], env=env
    )
    assert nobody.exit_code == 2
    assert "nobody" in nobody.output
    for args in (["--role", "operator", "--recipient", "mfo-cli"], ["--role", "partner"]):
        mixed = runner.invoke(cli_app, ["keys", "create", *args], env=env)
        assert mixed.exit_code == 2
        assert "partner key needs --recipient" in mixed.output
    r = TestClient(create_app(services)).get(
        "/api/v1/partner/leads", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200, r.text
    assert any(e["d"].get("recipient") == "mfo-cli" for e in events(services, "key.create"))


def test_a_state_body_needs_no_agreement_or_bin(services: Container, api: TestClient) -> None:
    (dpo,) = keys(services, "dpo")
    doc = entry("tax", kind=Kind.STATE_BODY.value, bin=None, agreement=None, delivery="none")
    r = api.post("/api/v1/recipients", json=doc, headers=dpo)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "state_body"
    assert r.json()["valid_until"] is None
    assert r.json()["expiring_soon"] is False
    assert r.json()["agreement_valid"] is False
