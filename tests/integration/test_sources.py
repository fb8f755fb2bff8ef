"""Every value carries a typed source (issue 14, must-have 8; policy 4.2.2), on SQLite and
PostgreSQL: the gate refuses a free label, the ``public_source`` subject category takes
values from a public source only, the API and the import write and show typed sources, the
access report tells the person where each value came from, and values sealed with a free
label before read as they were, as typed sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_requests import subject, verified

from qorgau.catalog import make_iin
from qorgau.container import Container
from qorgau.dsr.model import Kind
from qorgau.importer import run_import
from qorgau.security.actors import Actor
from qorgau.server import create_app
from qorgau.vault import sources
from qorgau.vault.sources import InvalidSource, SourceKind
from qorgau.vault.store import history
from qorgau.vault.store import subject as subject_table

PROBLEM = "application/problem+json"


@pytest.fixture
def api(services: Container) -> Iterator[TestClient]:
    """One client (one event loop) for the test: the SQLite connections of its worker
    threads are reused, not one set per request."""
    with TestClient(create_app(services)) as client:
        yield client


def person(n: int = 1) -> dict[str, str]:
    return {
        "last_name": "Дереккөзова",
        "first_name": "Әлия",
        "iin": make_iin(date(1990, 3, n), "female", 300 + n),
        "phone": f"+7701555{n:04d}",
    }


def test_the_gate_refuses_a_free_label_and_changes_nothing(services: Container, dpo: Actor) -> None:
    for label in ("x", "web", "import", "public_source", "partner:Alpha LLP"):
        with pytest.raises(InvalidSource):
            services.gate.prepare("potential_borrower", "contract", person(), label)
    item = services.gate.prepare("potential_borrower", "contract", person(), "subject:web")
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(conn, dpo, item)
    with services.db.unit_of_work() as conn, pytest.raises(InvalidSource):
        services.gate.clarify(conn, dpo, sid, "contract", {"first_name": "Айя"}, "call")
    with services.db.unit_of_work() as conn:
        got = services.gate.read(conn, dpo, sid, "contract")
    assert got.values["first_name"] == "Әлия"
    assert got.meta["first_name"].typed_source.kind is SourceKind.SUBJECT


def test_the_public_source_category_takes_public_source_values(
    services: Container, dpo: Actor
) -> None:
    with pytest.raises(InvalidSource, match="public_source"):
        services.gate.prepare("public_source", "contract", person(), "subject:web")
    source = sources.typed("public_source", "Official Gazette No. 118 of 2026-10-05")
    item = services.gate.prepare("public_source", "contract", person(), source)
    with services.db.unit_of_work() as conn:
        sid = services.gate.collect(conn, dpo, item)
        got = services.gate.read(conn, dpo, sid, "contract", ["last_name"])
    typed = got.meta["last_name"].typed_source
    assert (typed.kind, typed.reference) == (
        SourceKind.PUBLIC_SOURCE,
        "Official Gazette No. 118 of 2026-10-05",
    )


def _key(services: Container, role: str) -> tuple[str, dict[str, str]]:
    with services.db.unit_of_work() as conn:
        key, token = services.api_keys.create_key(conn, role, "source test")
    return key.id, {"Authorization": f"Bearer {token}"}


def test_the_api_takes_and_shows_typed_sources(services: Container, api: TestClient) -> None:
    key_id, auth = _key(services, "dpo")
    made = api.post(
        "/api/v1/subjects",
        json={
            "category": "potential_borrower",
            "purpose": "contract",
            "source": {"kind": "public_source", "reference": "stat.gov.kz register 2026"},
            "values": person(1),
        },
        headers=auth,
    )
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    read = api.post(f"/api/v1/subjects/{sid}/read", json={"purpose": "contract"}, headers=auth)
    meta = read.json()["meta"]["iin"]
    assert meta["source"] == "public_source:stat.gov.kz register 2026"
    assert meta["source_type"] == {
        "kind": "public_source", "reference": "stat.gov.kz register 2026", "legacy": False,
    }  # fmt: skip

    # No source given: the calling key, as staff.
    plain = api.post(
        "/api/v1/subjects",
        json={"category": "potential_borrower", "purpose": "contract", "values": person(2)},
        headers=auth,
    )
    sid2 = plain.json()["id"]
    clar = api.post(
        f"/api/v1/subjects/{sid2}/clarify",
        json={"purpose": "contract", "source": "partner:mfo-alpha", "values": {"income": "1"}},
        headers=auth,
    )
    assert clar.status_code == 200, clar.text
    meta = api.post(
        f"/api/v1/subjects/{sid2}/read", json={"purpose": "contract"}, headers=auth
    ).json()["meta"]
    assert meta["iin"]["source_type"]["kind"] == "staff"
    assert meta["iin"]["source"] == f"staff:key:{key_id}"
    assert meta["income"]["source_type"] == {
        "kind": "partner", "reference": "mfo-alpha", "legacy": False,
    }  # fmt: skip

    for bad in ("web", {"kind": "public_source"}, {"kind": "partner", "reference": "Alpha LLP"}):
        refused = api.post(
            "/api/v1/subjects",
            json={"category": "potential_borrower", "purpose": "contract", "source": bad,
                  "values": person(3)},
            headers=auth,
        )  # fmt: skip
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert refused.json()["type"] == "/problems/invalid-source"
    unknown = api.post(
        "/api/v1/subjects",
        json={"category": "potential_borrower", "purpose": "contract",
              "source": {"kind": "rumour"}, "values": person(3)},
        headers=auth,
    )  # fmt: skip
    assert unknown.status_code == 422


def test_import_records_its_job_or_the_given_source(
    services: Container, dpo: Actor, tmp_path: Path
) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text(
        f"last_name,first_name,iin\nИмпортова,Дана,{make_iin(date(1987, 4, 4), 'female', 41)}\n",
        encoding="utf-8",
    )
    done = run_import(services.db, services.gate, dpo, rows, purpose="contract",
                      category="potential_borrower")  # fmt: skip
    assert done.accepted == 1
    given = tmp_path / "public.csv"
    given.write_text("last_name,first_name\nОбщедоступная,Алма\n", encoding="utf-8")
    with pytest.raises(InvalidSource):
        run_import(services.db, services.gate, dpo, given, purpose="contract",
                   category="public_source")  # fmt: skip
    with pytest.raises(InvalidSource):
        run_import(services.db, services.gate, dpo, given, purpose="contract",
                   category="public_source", source="gazette")  # fmt: skip
    done = run_import(services.db, services.gate, dpo, given, purpose="contract",
                      category="public_source", source="public_source:Gazette No. 7")  # fmt: skip
    assert done.accepted == 1
    kinds = set()
    with services.db.engine.connect() as conn:
        ids = list(conn.execute(select(subject_table.c.id)).scalars())
    with services.db.unit_of_work() as conn:
        for sid in ids:
            got = services.gate.read(conn, dpo, sid, "contract", ["last_name"])
            kinds.add(got.meta["last_name"].source.split(":")[0])
            if got.meta["last_name"].typed_source.kind is SourceKind.IMPORT:
                assert len(got.meta["last_name"].typed_source.reference or "") == 16
    assert kinds == {"import", "public_source"}


def test_the_report_tells_each_source_and_legacy_labels_read_as_before(
    services: Container, dpo: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = subject(services, dpo)  # entered by staff ("staff:test")
    with services.db.unit_of_work() as conn:
        services.gate.clarify(
            conn, dpo, sid, "contract", {"income": "600000"},
            sources.typed("public_source", "Employer's published list 2026"),
        )  # fmt: skip
    # A value sealed before typed sources, with a free label (the gate then took any).
    with monkeypatch.context() as old:
        old.setattr(sources, "require", lambda text: text)
        with services.db.unit_of_work() as conn:
            services.gate.clarify(conn, dpo, sid, "contract", {"first_name": "Гүлнара"}, "call")
            services.gate.clarify(conn, dpo, sid, "contract", {"first_name": "Гүлнар"}, "web")
    with services.db.engine.connect() as conn:
        h = history.c
        q = select(h.source).where(h.subject_id == sid, h.field == "first_name")
        kept = conn.execute(q).scalars().all()
    assert sorted(kept) == ["call", "staff:test"]  # history keeps each label as sealed
    rid = verified(services, dpo, Kind.ACCESS)
    with services.db.unit_of_work() as conn:
        report = services.requests.answer(conn, dpo, rid)["report"]
    by_field = {v["field"]: v["source"] for v in report["values"]}
    assert by_field["income"] == {
        "kind": "public_source", "reference": "Employer's published list 2026", "legacy": False,
    }  # fmt: skip
    assert by_field["iin"] == {"kind": "staff", "reference": None, "legacy": False}
    assert by_field["first_name"] == {"kind": "subject", "reference": None, "legacy": True}
    assert services.verify_audit().ok
