"""Statistics on SQLite and PostgreSQL (policy 2.1 P4, 4.1, 7.3.8; appendix:
depersonalisation; LAW.md Art. 17 p.1): facts recorded, k-anonymous reports, exports
recorded and audited, the API and the CLI, and the join test: nothing in ``stat_fact`` can
be joined to the vault.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from qorgau.audit.store import audit_event
from qorgau.cli import app as qorgau_cli
from qorgau.config import Settings
from qorgau.container import Container
from qorgau.demo.people import generate_people
from qorgau.schema import metadata
from qorgau.security.actors import Actor
from qorgau.server import create_app
from qorgau.stats.api import router as stats_router
from qorgau.stats.facts import REGIONS, Fact
from qorgau.stats.model import AGE_BANDS, AMOUNT_BANDS, OUTCOMES, SEXES, InvalidK, InvalidReport
from qorgau.stats.service import InvalidExport, StatsService
from qorgau.stats.store import stat_export, stat_fact
from qorgau.vault.model import PurposeNotPermitted
from qorgau.vault.store import subject

K = 5


def fact(region: str, sex: str, amount: int = 100_000, **over: str) -> Fact:
    base: dict[str, Any] = {
        "month": "2026-03",
        "region": region,
        "age_band": "25-34",
        "sex": sex,
        "amount_band": "100-250k",
        "outcome": "lead",
        "subject_category": "potential_borrower",
        "amount_kzt": amount,
    }
    base.update(over)
    return Fact(**base)


#: almaty_city: 20 female, 3 male; astana: 9 female, 8 male; shymkent: 6 female, 7 male.
FACTS = (
    [fact("almaty_city", "female") for _ in range(20)]
    + [fact("almaty_city", "male", 250_000) for _ in range(3)]
    + [fact("astana", "female") for _ in range(9)]
    + [fact("astana", "male") for _ in range(8)]
    + [fact("shymkent", "female", 50_000) for _ in range(6)]
    + [fact("shymkent", "male") for _ in range(7)]
)


def record(services: Container, stats: StatsService, facts: list[Fact]) -> int:
    with services.db.unit_of_work() as conn:
        return stats.record(conn, facts)


def events(services: Container, action: str) -> list[dict[str, Any]]:
    with services.db.engine.connect() as conn:
        rows = conn.execute(
            select(audit_event.c.subject_id, audit_event.c.body).where(
                audit_event.c.action == action
            )
        ).all()
    return [{"subject_id": r[0], **orjson.loads(bytes(r[1]))} for r in rows]


# -- record, report ----------------------------------------------------------------------


def test_record_writes_facts_and_one_audit_event_without_subjects(services: Container) -> None:
    stats = StatsService(services.audit)
    assert record(services, stats, FACTS) == len(FACTS) == 53
    assert record(services, stats, []) == 0
    with services.db.engine.connect() as conn:
        assert stats.count(conn) == 53
        ids = [r[0] for r in conn.execute(select(stat_fact.c.id))]
    assert len(set(ids)) == 53
    # Random ids: not a sequence that would follow the order of destruction.
    assert sorted(ids) != list(range(min(ids), min(ids) + 53))
    got = events(services, "depersonalise")
    assert len(got) == 1
    assert got[0]["subject_id"] is None
    assert got[0]["d"] == {"facts": 53}
    assert got[0]["p"] == "statistics"


def test_report_with_k_and_suppression(services: Container) -> None:
    stats = StatsService(services.audit)
    record(services, stats, FACTS)
    with services.db.unit_of_work() as conn:
        by_region = stats.report(conn, "region")
        cross = stats.report(conn, ["region", "sex"])
        stricter = stats.report(conn, "region,sex", k=8)
        with pytest.raises(InvalidK):
            stats.report(conn, "region,sex", k=4)  # below the configured k
        with pytest.raises(InvalidReport):
            stats.report(conn, "region,iin")
    assert {c.key: c.count for c in by_region.cells} == {
        ("almaty_city",): 23,
        ("astana",): 17,
        ("shymkent",): 13,
    }
    assert by_region.total.count == 53
    assert by_region.total.amount_kzt == 20 * 100_000 + 3 * 250_000 + 9 * 100_000 + 8 * 100_000 + (
        6 * 50_000 + 7 * 100_000
    )
    cells = {c.key: c.count for c in cross.cells}
    assert cells[("almaty_city", "male")] is None  # 3 < k
    assert cells[("almaty_city", "female")] is None  # its row total would give it back
    assert sum(cells[(r, "male")] is None for r in ("astana", "shymkent")) >= 1
    assert cells[("astana", "female")] == 9 or cells[("shymkent", "female")] == 6
    assert [p.count for p in cross.margins[0]] == [17, 23, 13]  # astana, almaty, shymkent
    assert cross.total.count == 53
    withheld = {c.key for c in cross.cells if c.suppressed}
    assert withheld <= {c.key for c in stricter.cells if c.suppressed}  # nested in k
    assert StatsService(services.audit, k=8).k == 8
    with pytest.raises(InvalidK):
        StatsService(services.audit, k=1)


def test_report_csv_and_json(services: Container) -> None:
    stats = StatsService(services.audit)
    record(services, stats, FACTS)
    with services.db.unit_of_work() as conn:
        report = stats.report(conn, "region,sex")
    text = stats.to_csv(report)
    assert text.splitlines()[0] == "region,sex,count,amount_kzt,suppressed"
    assert "(all),(all),53," in text
    assert ",750000," not in text  # the withheld almaty_city/male sum
    doc = stats.to_json(report)
    assert doc["by"] == ["region", "sex"]
    assert doc["k"] == K
    assert doc["total"]["count"] == 53
    json.dumps(doc)


# -- exports -----------------------------------------------------------------------------


def test_export_is_recorded_and_audited(services: Container, analyst: Actor) -> None:
    stats = StatsService(services.audit)
    record(services, stats, FACTS)
    before = datetime.now(UTC)
    with services.db.unit_of_work() as conn:
        content, export_id = stats.export(
            conn, analyst, "  Statistics  partner LLP ", "region,sex", None, "csv"
        )
        as_json, json_id = stats.export(conn, analyst, "Research Institute", "month", 6, "json")
    assert json_id > export_id
    assert content.startswith("region,sex,count")
    assert json.loads(as_json)["k"] == 6
    with services.db.engine.connect() as conn:
        row = conn.execute(select(stat_export).where(stat_export.c.id == export_id)).one()
        listed = stats.exports(conn)
    assert row.recipient == "Statistics partner LLP"
    assert row.actor == analyst.id
    assert json.loads(row.spec) == {"by": ["region", "sex"], "format": "csv", "k": K}
    assert bytes(row.digest) == hashlib.sha256(content.encode()).digest()
    assert row.rows == len(content.splitlines()) - 1
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    assert at >= before.replace(microsecond=0)
    assert [e.id for e in listed] == [json_id, export_id]
    assert listed[1].recipient == "Statistics partner LLP"
    assert listed[1].by == ("region", "sex")
    got = events(services, "export")
    assert len(got) == 2
    first = next(e for e in got if e["d"]["export"] == export_id)
    assert first["by"] == analyst.id
    assert first["p"] == "statistics"
    assert first["d"]["digest"] == hashlib.sha256(content.encode()).hexdigest()
    assert first["d"]["by"] == ["region", "sex"]
    assert first["d"]["k"] == K
    assert first["subject_id"] is None


def test_a_refused_export_records_nothing(services: Container, analyst: Actor) -> None:
    stats = StatsService(services.audit)
    record(services, stats, FACTS)
    for recipient, fmt in (("", "csv"), ("x" * 201, "csv"), ("Bank\x07", "csv"), ("OK", "xml")):
        with pytest.raises(InvalidExport), services.db.unit_of_work() as conn:
            stats.export(conn, analyst, recipient, "region", None, fmt)
    with pytest.raises(InvalidK), services.db.unit_of_work() as conn:
        stats.export(conn, analyst, "OK", "region", 3, "csv")
    with services.db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(stat_export)).scalar_one() == 0
    assert events(services, "export") == []


def test_roles_without_the_statistics_purpose_are_refused_and_audited(
    services: Container, operator: Actor, analyst: Actor, dpo: Actor
) -> None:
    stats = StatsService(services.audit)
    for actor in (analyst, dpo, Actor("admin", "test:admin")):
        with services.db.unit_of_work() as conn:
            stats.require(conn, actor, services.access)
    with pytest.raises(PurposeNotPermitted), services.db.unit_of_work() as conn:
        stats.require(conn, operator, services.access)
    refused = events(services, "refuse")
    assert len(refused) == 1
    assert refused[0]["d"] == {
        "role": "operator",
        "op": "statistics",
        "code": "purpose-not-permitted",
    }


# -- THE join test -----------------------------------------------------------------------

CATEGORIES = ("potential_borrower", "refused_borrower")
PEOPLE = 12


def _collect(services: Container, dpo: Actor) -> list[str]:
    ids = []
    for i, person in enumerate(generate_people(PEOPLE, seed=41)):
        item = services.gate.prepare(CATEGORIES[i % 2], "contract", person, "staff:test")
        with services.db.unit_of_work() as conn:
            ids.append(services.gate.collect(conn, dpo, item))
    return ids


def _text(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return {raw.hex(), raw.decode("latin-1")}
    if isinstance(value, datetime):
        return {value.isoformat(), str(value)}
    return {str(value)}


def _other_tables(services: Container) -> dict[str, Counter[str]]:
    """Every value of every column of every table but the statistics ones, as text."""
    found: dict[str, Counter[str]] = {}
    with services.db.engine.connect() as conn:
        for name, table in metadata.tables.items():
            if name.startswith("stat_"):
                continue
            for row in conn.execute(select(table)).mappings():
                for col, value in row.items():
                    bucket = found.setdefault(f"{name}.{col}", Counter())
                    for t in _text(value):
                        bucket[t] += 1
    return found


def _identifiers(services: Container) -> set[str]:
    """Subject ids (and their SHA-256), blind-index digests, wrapped keys, KEK ids, audit
    event subject ids and hashes: anything that could link back to a subject."""
    ids: set[str] = set()
    with services.db.engine.connect() as conn:
        for table in metadata.tables.values():
            if table.name.startswith("stat_"):
                continue
            for col in table.columns:
                if not (
                    col.name in {"id", "digest", "hash", "wrapped_key", "kek_id", "sealed"}
                    or col.name.endswith("_id")
                ):
                    continue
                for (value,) in conn.execute(select(col)):
                    for t in _text(value):
                        if len(t) >= 8:
                            ids.add(t)
    subjects = {t for t in ids if re.fullmatch(r"[0-9a-f]{32}", t)}
    for sid in subjects:
        ids.add(hashlib.sha256(sid.encode()).hexdigest())
        ids.add(hashlib.sha256(bytes.fromhex(sid)).hexdigest())
    return ids


def _facts(services: Container) -> list[dict[str, Any]]:
    with services.db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(stat_fact)).mappings()]


def assert_nothing_joins(services: Container, subject_ids: list[str]) -> None:
    facts = _facts(services)
    assert len(facts) == PEOPLE

    # 1. The schema: generalised attributes and a random surrogate key, nothing else.
    assert [c.name for c in stat_fact.columns] == [
        "id", "month", "region", "age_band", "sex", "amount_band", "outcome",
        "subject_category", "amount_kzt",
    ]  # fmt: skip
    assert not stat_fact.foreign_keys

    # 2. A closed vocabulary: no value can be an identifier, a key or a digest.
    for f in facts:
        assert re.fullmatch(r"20[0-9]{2}-(0[1-9]|1[0-2])", f["month"])
        assert f["region"] in REGIONS
        assert f["age_band"] in AGE_BANDS
        assert f["sex"] in SEXES
        assert f["amount_band"] in AMOUNT_BANDS
        assert f["outcome"] in OUTCOMES
        assert f["subject_category"] in CATEGORIES
        assert f["amount_kzt"] is None or f["amount_kzt"] % 10_000 == 0
        assert 0 <= f["id"] < 2**63

    # 3. No fact value equals or contains a subject id (or its hash), a blind-index
    #    digest, a wrapped key, a KEK id or an audit event's subject id or hash.
    identifiers = _identifiers(services)
    assert set(subject_ids) <= identifiers
    for f in facts:
        for col, value in f.items():
            for t in _text(value):
                assert t not in identifiers, col
                assert not any(i in t for i in identifiers), col

    # 4. No fact column shares a value with any column of any other table, except codes
    #    that many subjects and many facts share (a join on them is never one-to-one):
    #    no stat_fact column has a value that appears in a vault column as a key.
    others = _other_tables(services)
    for col in facts[0]:
        mine = Counter(t for f in facts for t in _text(f[col]))
        for where, theirs in others.items():
            for shared in set(mine) & set(theirs):
                assert (col, where) == ("subject_category", "subject.category"), (col, where)
                assert mine[shared] >= K, (col, where)
                assert theirs[shared] >= K, (col, where)

    # 5. What the vault keeps in clear (category, time of collection) cannot single out a
    #    fact either: every (month, category) of the facts matches at least k subjects.
    with services.db.engine.connect() as conn:
        tombstones = Counter(
            (created.strftime("%Y-%m"), category)
            for created, category in conn.execute(select(subject.c.created_at, subject.c.category))
        )
    for key, n in Counter((f["month"], f["subject_category"]) for f in facts).items():
        assert tombstones[key] >= K, key
        assert n >= K, key


def test_nothing_in_the_facts_table_joins_to_the_vault(services: Container, dpo: Actor) -> None:
    stats = StatsService(services.audit)
    subject_ids = _collect(services, dpo)
    # As the retention sweep does: the gate decrypts the source fields only to hand them to
    # ``build``; the facts are recorded in the unit of work that destroys the subjects.
    with services.db.unit_of_work() as conn:
        facts = [
            services.gate.depersonalise(
                conn, dpo, sid, stats.purpose, stats.fields, stats.build, ground="test"
            )
            for sid in subject_ids
        ]
        stats.record(conn, facts)
    # While the subjects are still in the vault (keys, digests, sealed values present).
    assert_nothing_joins(services, subject_ids)

    with services.db.unit_of_work() as conn:
        for sid in subject_ids:
            services.gate.destroy(conn, dpo, sid, "test: statistics join")
    # And after destruction: only tombstones and the audit log are left.
    assert_nothing_joins(services, subject_ids)
    with services.db.engine.connect() as conn:
        assert stats.count(conn) == PEOPLE
        report = stats.report(conn, "subject_category")
    assert {c.key: c.count for c in report.cells} == {(c,): PEOPLE // 2 for c in CATEGORIES}
    # The facts are the people's: region from their city, age at collection.
    people = list(generate_people(PEOPLE, seed=41))
    assert sorted(f["region"] for f in _facts(services)) == sorted(
        stats.build(p, "contractor", datetime.now(UTC)).region for p in people
    )


# -- the web API -------------------------------------------------------------------------


def _client(services: Container) -> tuple[TestClient, dict[str, str], dict[str, str]]:
    with services.db.unit_of_work() as conn:
        _, analyst = services.api_keys.create_key(conn, "analyst", "stats test")
        _, operator = services.api_keys.create_key(conn, "operator", "stats test")
    app = create_app(services)
    app.include_router(stats_router, prefix="/api/v1")
    return (
        TestClient(app),
        {"Authorization": f"Bearer {analyst}"},
        {"Authorization": f"Bearer {operator}"},
    )


def test_api_report_chart_and_export(services: Container) -> None:
    stats = StatsService(services.audit)
    record(services, stats, FACTS)
    client, analyst, operator = _client(services)
    with client:
        got = client.get("/api/v1/stats/report?by=region,sex", headers=analyst)
        assert got.status_code == 200, got.text
        doc = got.json()
        assert doc["total"]["count"] == 53
        assert doc["k"] == K
        cells = {(c["region"], c["sex"]): c for c in doc["cells"]}
        assert cells[("almaty_city", "male")] == {
            "region": "almaty_city",
            "sex": "male",
            "count": None,
            "amount_kzt": None,
            "suppressed": True,
        }
        csv_resp = client.get("/api/v1/stats/report?by=region&k=6&format=csv", headers=analyst)
        assert csv_resp.status_code == 200
        assert csv_resp.headers["content-type"].startswith("text/csv")
        assert csv_resp.text.startswith("region,count,amount_kzt,suppressed")

        svg = client.get("/api/v1/stats/chart.svg?by=region,sex", headers=analyst)
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.text.startswith("<svg")
        assert "<script" not in svg.text
        assert "withheld" in svg.text
        assert "almaty_city / female" in svg.text

        posted = client.post(
            "/api/v1/stats/exports",
            json={"recipient": "Partner <b>LLP</b>", "by": "region", "format": "csv"},
            headers=analyst,
        )
        assert posted.status_code == 201, posted.text
        assert posted.headers["content-type"].startswith("text/csv")
        export_id = int(posted.headers["x-export-id"])
        listed = client.get("/api/v1/stats/exports", headers=analyst).json()
        assert listed["count"] == 1
        assert listed["data"][0]["id"] == export_id
        assert listed["data"][0]["recipient"] == "Partner <b>LLP</b>"
        assert listed["data"][0]["digest"] == hashlib.sha256(posted.content).hexdigest()

        as_json = client.post(
            "/api/v1/stats/exports",
            json={"recipient": "Partner", "by": ["month", "sex"], "k": 7, "format": "json"},
            headers=analyst,
        )
        assert as_json.status_code == 201
        assert as_json.json()["k"] == 7

        refused = client.get("/api/v1/stats/report?by=region", headers=operator)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == "/problems/purpose-not-permitted"
        assert client.get("/api/v1/stats/report?by=region").status_code == 401
        for bad in ("by=iin", "by=region,sex,month", "by=region&k=1", "by=region&k=3"):
            resp = client.get(f"/api/v1/stats/report?{bad}", headers=analyst)
            assert resp.status_code == 422, bad
            assert resp.headers["content-type"].startswith("application/problem+json")
        bad_export = client.post(
            "/api/v1/stats/exports", json={"recipient": "", "by": "region"}, headers=analyst
        )
        assert bad_export.status_code == 422
    assert len(events(services, "export")) == 2


def test_chart_escapes_labels() -> None:
    from qorgau.stats.chart import chart_svg
    from qorgau.stats.suppression import Cell, suppress

    report = suppress({("<script>&",): Cell(9), ("b",): Cell(2), ("c",): Cell(3)}, 5, by=["x"])
    svg = chart_svg(report)
    assert "<script>" not in svg
    assert "&lt;script&gt;&amp;" in svg
    assert svg.count("withheld") >= 2


# -- the CLI -----------------------------------------------------------------------------


def _env(settings: Settings) -> dict[str, str]:
    return {
        "QORGAU_HOME": str(settings.home),
        "QORGAU_DATABASE_URL": settings.resolved_database_url,
        "QORGAU_AUDIT_PARTITIONS": str(settings.audit_partitions),
    }


def test_cli_report_and_export(services: Container, settings: Settings, tmp_path: Path) -> None:
    stats = StatsService(services.audit)
    record(services, stats, FACTS)
    runner = CliRunner()
    env = _env(settings)
    got = runner.invoke(qorgau_cli, ["stats", "report", "--by", "region,sex", "--json"], env=env)
    assert got.exit_code == 0, got.output
    doc = json.loads(got.stdout)
    assert doc["total"]["count"] == 53
    assert doc["k"] == K

    table = runner.invoke(qorgau_cli, ["stats", "report", "--by", "region"], env=env)
    assert table.exit_code == 0
    assert "almaty_city" in table.stdout

    csv_out = runner.invoke(
        qorgau_cli, ["stats", "report", "--by", "sex", "--k", "6", "--csv"], env=env
    )
    assert csv_out.exit_code == 0
    assert csv_out.stdout.startswith("sex,count")

    bad = runner.invoke(qorgau_cli, ["stats", "report", "--by", "region", "--k", "2"], env=env)
    assert bad.exit_code == 1
    assert "k must be" in bad.output

    out = tmp_path / "export.csv"
    exported = runner.invoke(
        qorgau_cli,
        ["stats", "export", "--recipient", "Partner LLP", "--by", "region", "--output", str(out)],
        env=env,
    )
    assert exported.exit_code == 0, exported.output
    assert out.read_text(encoding="utf-8").startswith("region,count")
    listed = runner.invoke(qorgau_cli, ["stats", "exports", "--json"], env=env)
    assert json.loads(listed.stdout)[0]["recipient"] == "Partner LLP"
    assert len(events(services, "export")) == 1

    # A real process: `qorgau stats report`.
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from qorgau.cli import app; app()",
            "stats",
            "report",
            "--by",
            "region,sex",
            "--json",
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"]["count"] == 53
