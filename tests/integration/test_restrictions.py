"""Restrictions of a person's access as facts (issue 14, must-have 8; policy 4.2.2), on
SQLite and PostgreSQL: set on one request, they stand for every later request of the person
until lifted; the ground is typed (the law profile's closed list), the reference required;
a closed request takes none; staff set and lift them through the service, the API and the
CLI, each change an audit event the person's own trail does not show."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_requests import IIN, receive, subject, verified
from typer.testing import CliRunner

from qorgau.audit.store import audit_event
from qorgau.cli import app as cli_app
from qorgau.config import Settings
from qorgau.container import Container
from qorgau.dsr.model import Kind, RequestNotVerified
from qorgau.dsr.restriction import (
    AlreadyLifted,
    InvalidReference,
    RequestNotOpen,
    UnknownGround,
)
from qorgau.dsr.restrictions import LiftReasonRequired
from qorgau.intake.limits import CodeLimits
from qorgau.security.actors import Actor
from qorgau.server import create_app

PROBLEM = "application/problem+json"


@pytest.fixture
def api(services: Container) -> Iterator[TestClient]:
    """One client (one event loop) for the test: the SQLite connections of its worker
    threads are reused, not one set per request."""
    with TestClient(create_app(services)) as client:
        yield client


def report_of(services: Container, dpo: Actor) -> dict[str, Any]:
    """A new access request of the person, verified and answered: its report."""
    rid = verified(services, dpo, Kind.ACCESS)
    with services.db.unit_of_work() as conn:
        report: dict[str, Any] = services.requests.answer(conn, dpo, rid)["report"]
    return report


def actions(services: Container, sid: str) -> list[str]:
    with services.db.engine.connect() as conn:
        return [
            a
            for (a,) in conn.execute(
                select(audit_event.c.action)
                .where(audit_event.c.subject_id == sid)
                .order_by(audit_event.c.at, audit_event.c.id)
            )
        ]


def test_a_restriction_set_on_one_request_stands_for_the_next_until_lifted(
    services: Container, dpo: Actor
) -> None:
    services.requests.code_limits = CodeLimits(10, 10)  # four requests from one phone
    sid = subject(services, dpo)
    first = verified(services, dpo, Kind.ACCESS)
    with services.db.unit_of_work() as conn:
        r = services.requests.restrict(conn, dpo, first, "aml_cft", "  AFM  request 12-3/456 ")
        assert r.subject_id == sid
        assert r.reference == "AFM request 12-3/456"
        assert services.requests.get(conn, first).restricted
        services.requests.answer(conn, dpo, first)
        services.requests.close(conn, dpo, first)

    # The next request of the same person: restricted too, though nobody restricted it.
    later = report_of(services, dpo)
    assert later["restricted"] == {"scope": "all", "grounds": [], "general": "policy 4.2.2"}
    assert "values" not in later
    assert "transfers" not in later
    assert "AFM" not in orjson.dumps(later).decode()
    assert later["rights"]  # the person still learns their rights

    with services.db.unit_of_work() as conn:
        with pytest.raises(LiftReasonRequired):
            services.requests.restrictions.lift(conn, dpo, r.id, "  ")
        lifted = services.requests.restrictions.lift(conn, dpo, r.id, "AFM check closed")
    assert not lifted.active
    assert lifted.lifted_by == dpo.id
    with services.db.unit_of_work() as conn, pytest.raises(AlreadyLifted):
        services.requests.restrictions.lift(conn, dpo, r.id, "again")

    after = report_of(services, dpo)
    assert "restricted" not in after
    assert {v["field"] for v in after["values"]} >= {"iin", "phone"}
    # The changes are audited about the person; the person's own trail does not show them.
    done = actions(services, sid)
    assert done.count("restriction.set") == 1
    assert done.count("restriction.lift") == 1
    trail = [e["action"] for e in after["audit_trail"]["events"]]
    assert trail
    assert not any(a.startswith("restriction.") for a in trail)
    assert services.verify_audit().ok


def test_a_partial_restriction_withholds_what_it_covers_and_tells_a_ground_it_may(
    services: Container, dpo: Actor
) -> None:
    sid = subject(services, dpo)
    with services.db.unit_of_work() as conn:
        services.requests.restrictions.set(
            conn, dpo, sid, "third_party_rights", "Guarantor's objection of 2026-11-02",
            fields=["income"],
        )  # fmt: skip
    report = report_of(services, dpo)
    told = report["restricted"]
    assert told["scope"] == "partial"
    assert told["general"] is None
    assert told["grounds"] == [
        {
            "ground": "third_party_rights",
            "source": "Constitution of the RK Art. 12 p.5 (the rights and freedoms of others); "
            "policy 4.2.2",
        }
    ]
    fields = {v["field"] for v in report["values"]}
    assert "income" not in fields
    assert {"iin", "phone"} <= fields
    # No event of the trail, nor a proof bundle, names the withheld category.
    trail = report["audit_trail"]["events"]
    assert trail
    assert all("income" not in e["fields"] for e in trail)
    assert "income" not in orjson.dumps(report["audit_trail"]).decode()


def test_the_ground_is_typed_and_the_reference_required(services: Container, dpo: Actor) -> None:
    sid = subject(services, dpo)
    rid = verified(services, dpo, Kind.ACCESS)
    rs = services.requests.restrictions
    with services.db.unit_of_work() as conn:
        for ground in ("x", "AML/CFT law, art. 5", "unspecified", "transport_security"):
            # transport security is a ground of the Russian profile, not of kz_94v
            with pytest.raises(UnknownGround):
                services.requests.restrict(conn, dpo, rid, ground, "AFM request 1")
        for ref in ("x", "  ", "--", "a\x00bc"):
            with pytest.raises(InvalidReference):
                rs.set(conn, dpo, sid, "aml_cft", ref)
    with services.db.engine.connect() as conn:
        assert rs.of_subject(conn, sid) == []


def test_a_closed_or_unverified_request_takes_no_restriction(
    services: Container, dpo: Actor
) -> None:
    services.requests.code_limits = CodeLimits(10, 10)
    sid = subject(services, dpo)
    rid = verified(services, dpo, Kind.ACCESS)
    with services.db.unit_of_work() as conn:
        services.requests.answer(conn, dpo, rid)
        with pytest.raises(RequestNotOpen):
            services.requests.restrict(conn, dpo, rid, "aml_cft", "AFM request 7")
        services.requests.close(conn, dpo, rid)
        with pytest.raises(RequestNotOpen):
            services.requests.restrict(conn, dpo, rid, "aml_cft", "AFM request 7")
    unverified = receive(services, dpo, Kind.ACCESS).request_id
    with services.db.unit_of_work() as conn, pytest.raises(RequestNotVerified):
        services.requests.restrict(conn, dpo, unverified, "aml_cft", "AFM request 7")
    with services.db.engine.connect() as conn:
        assert services.requests.restrictions.of_subject(conn, sid) == []


def _key(services: Container, role: str) -> dict[str, str]:
    with services.db.unit_of_work() as conn:
        token = services.api_keys.create_key(conn, role, "restriction test", None)[1]
    return {"Authorization": f"Bearer {token}"}


def test_api_sets_lists_and_lifts_and_refuses_a_free_ground(
    services: Container, dpo: Actor, api: TestClient
) -> None:
    sid = subject(services, dpo)
    rid = verified(services, dpo, Kind.ACCESS)
    staff, operator = _key(services, "dpo"), _key(services, "operator")

    grounds = api.get("/api/v1/restrictions/grounds", headers=staff)
    assert grounds.status_code == 200
    assert {g["ground"] for g in grounds.json()} == {
        "aml_cft", "third_party_rights", "defence_security", "investigation",
    }  # fmt: skip
    free = api.post(
        f"/api/v1/requests/{rid}/restrict", json={"ground": "x", "reference": "doc 1"},
        headers=staff,
    )  # fmt: skip
    assert free.status_code == 422, free.text
    assert free.headers["content-type"].startswith(PROBLEM)
    assert free.json()["type"] == "/problems/restriction-ground-unknown"
    no_ref = api.post(
        "/api/v1/restrictions",
        json={"subject_id": sid, "ground": "aml_cft", "reference": "x"},
        headers=staff,
    )
    assert no_ref.status_code == 422
    assert no_ref.json()["type"] == "/problems/restriction-reference-invalid"
    refused = api.post(
        "/api/v1/restrictions",
        json={"subject_id": sid, "ground": "aml_cft", "reference": "AFM 1"},
        headers=operator,
    )
    assert refused.status_code == 403
    unknown = api.post(
        "/api/v1/restrictions",
        json={"subject_id": sid, "ground": "aml_cft", "reference": "AFM 1", "fields": ["salary"]},
        headers=staff,
    )
    assert unknown.status_code == 422
    assert unknown.json()["type"] == "/problems/unknown-field"
    nobody = api.post(
        "/api/v1/restrictions",
        json={"subject_id": "0" * 32, "ground": "aml_cft", "reference": "AFM 1"},
        headers=staff,
    )
    assert nobody.status_code == 404

    done = api.post(
        f"/api/v1/requests/{rid}/restrict",
        json={"ground": "investigation", "reference": "Investigator's letter 44/2026"},
        headers=staff,
    )
    assert done.status_code == 200, done.text
    assert done.json()["restricted"] is True
    direct = api.post(
        "/api/v1/restrictions",
        json={"subject_id": sid, "ground": "third_party_rights", "reference": "Claim 9",
              "fields": ["income"]},
        headers=staff,
    )  # fmt: skip
    assert direct.status_code == 201, direct.text
    assert direct.json()["fields"] == ["income"]
    listed = api.get("/api/v1/restrictions", params={"subject_id": sid}, headers=staff).json()
    assert listed["count"] == 2
    detail = api.get(f"/api/v1/requests/{rid}", headers=staff).json()
    assert [r["ground"] for r in detail["restrictions"]] == ["investigation", "third_party_rights"]

    report = api.get(f"/api/v1/requests/{rid}/report", headers=staff).json()
    # The investigation may not be told; the whole report is withheld.
    assert report["restricted"]["scope"] == "all"
    assert report["restricted"]["general"] == "policy 4.2.2"
    assert [g["ground"] for g in report["restricted"]["grounds"]] == ["third_party_rights"]

    first = listed["data"][0]["id"]
    lifted = api.post(
        f"/api/v1/restrictions/{first}/lift", json={"reason": "investigation closed"},
        headers=staff,
    )  # fmt: skip
    assert lifted.status_code == 200
    assert lifted.json()["active"] is False
    again = api.post(f"/api/v1/restrictions/{first}/lift", json={"reason": "again"}, headers=staff)
    assert again.status_code == 409
    assert api.get(f"/api/v1/restrictions/{'0' * 32}", headers=staff).status_code == 404
    standing = api.get("/api/v1/restrictions", headers=staff).json()
    assert [r["ground"] for r in standing["data"]] == ["third_party_rights"]
    report = api.get(f"/api/v1/requests/{rid}/report", headers=staff).json()
    assert report["restricted"]["scope"] == "partial"
    assert "income" not in {v["field"] for v in report["values"]}


def _env(settings: Settings) -> dict[str, str]:
    return {
        "QORGAU_HOME": str(settings.home),
        "QORGAU_DATABASE_URL": settings.resolved_database_url,
        "QORGAU_AUDIT_PARTITIONS": str(settings.audit_partitions),
        "COLUMNS": "200",
    }


def test_cli_restricts_lists_and_lifts(
    services: Container, settings: Settings, dpo: Actor, tmp_path: Path
) -> None:
    sid = subject(services, dpo)
    runner = CliRunner()
    env = _env(settings)
    free = runner.invoke(
        cli_app, ["requests", "restrict", sid, "--ground", "x", "--reference", "AFM 1"], env=env
    )
    assert free.exit_code == 2
    assert "aml_cft" in free.output
    set_ = runner.invoke(
        cli_app,
        ["requests", "restrict", sid, "--ground", "aml_cft", "--reference", "AFM 12/3"],
        env=env,
    )
    assert set_.exit_code == 0, set_.output
    listed = runner.invoke(cli_app, ["requests", "restrictions", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    doc = orjson.loads(listed.stdout)
    assert doc["count"] == 1
    assert doc["data"][0]["legal_source"].startswith("Law of the RK No. 191-IV")
    rid = doc["data"][0]["id"]
    lifted = runner.invoke(cli_app, ["requests", "lift", rid, "--reason", "closed"], env=env)
    assert lifted.exit_code == 0, lifted.output
    assert "lifted" in lifted.stdout
    twice = runner.invoke(cli_app, ["requests", "lift", rid, "--reason", "closed"], env=env)
    assert twice.exit_code == 2
    assert "lifted already" in twice.output
    assert IIN not in listed.stdout + lifted.stdout
