"""No personal value in any log line, exception message, error response or CLI output
(DESIGN invariant 5; policy 7.3.8: registering every action must not copy the data itself).

A representative workload runs in-process with the root, ``sqlalchemy``, ``uvicorn``,
``qorgau`` and ``httpx`` loggers at DEBUG (so SQLAlchemy logs every statement with its
parameters and result rows, without ``echo``): collection, invalid values, a special
category, refused reads, search, clarification, block, destruction, imports with bad rows,
audit verification and the REST API. Then the CLI runs as subprocesses (``import`` of files
with bad rows, once with every logger at DEBUG on stderr, ``audit verify``). Every personal
value used, raw and normalised, must be absent from all of it; so must any valid IIN.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import leakguard
from qorgau.catalog import Catalogue, make_iin
from qorgau.container import Container
from qorgau.demo.people import generate_people
from qorgau.importer import run_import
from qorgau.security.actors import Actor
from qorgau.server import create_app

SEED = 7338
LOGGERS = ("", "sqlalchemy", "uvicorn", "qorgau", "httpx", "fastapi")
# Closed lists (sex, citizenship, employment status, loan term): not identifying, and too
# short to tell apart from ordinary text.
CLOSED_FIELDS = {"sex", "citizenship", "employment", "loan_term_days"}
# Amounts such as "350000" cannot be told from a timestamp's microseconds in SQLAlchemy's
# parameter log; identifying numbers (IIN, phone) have 10 digits or more.
MIN_DIGITS = 10
RUN_TIMEOUT = 120.0

CATALOGUE = Catalogue.default()


@dataclass
class Texts:
    """Everything a person other than the data subject could read: (where, text)."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, text: str) -> None:
        self.items.append((where, text))

    def failing(self, action: Callable[[], Any], where: str) -> BaseException:
        """Run an action that must fail; keep its exception's message and repr."""
        try:
            action()
        except Exception as exc:
            self.add(f"exception {where}: {type(exc).__name__}", f"{exc}\n{exc!r}")
            return exc
        pytest.fail(f"{where}: expected a refusal")


def forms(code: str, raw: str) -> set[str]:
    """The spellings of one value that would betray it: raw, normalised, digits only."""
    out = {raw, raw.strip(), raw.strip().lower()}
    # An invalid value is personal data too: its raw form stays in the set.
    with contextlib.suppress(Exception):
        out.add(CATALOGUE.normalise(code, raw))
    digits = re.sub(r"\D", "", raw)
    if code in {"phone", "iin"} and len(digits) >= MIN_DIGITS:
        out.add(digits)
        if code == "phone" and len(digits) == 11:
            out |= {digits[1:], "8" + digits[1:], "+7" + digits[1:]}
    return {
        v
        for v in out
        if len(v) >= leakguard.MIN_LENGTH and not (v.isdigit() and len(v) < MIN_DIGITS)
    }


def values_of(records: list[dict[str, str]]) -> dict[str, str]:
    """Personal value -> its field code (reports name the field, never the value)."""
    found: dict[str, str] = {}
    for rec in records:
        for code, raw in rec.items():
            if code not in CLOSED_FIELDS:
                for v in forms(code, raw):
                    found.setdefault(v, code)
    return found


def leaks(texts: Texts, values: dict[str, str]) -> list[str]:
    needles = sorted(values, key=len, reverse=True)
    out = []
    for where, text in texts.items:
        fields = sorted({values[v] for v in needles if v in text})
        if leakguard.valid_iins(text):
            fields.append("<valid IIN>")
        if fields:
            out.append(f"{where}: {', '.join(fields)}")
    return out


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    columns = sorted({k for r in rows for k in r})
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in columns} for r in rows)


def bad_rows(base: dict[str, str], tag: int) -> list[dict[str, str]]:
    """Rows the catalogue refuses, each carrying personal values (policy 3.2, 5.1)."""
    iin = base["iin"]
    wrong_check = iin[:11] + str((int(iin[11]) + 1) % 10)
    return [
        {**base, "iin": wrong_check},
        {**base, "iin": make_iin(date(1994, 2, 11), "male", 4000 + tag)[:11] + "x"},
        {**base, "phone": f"+7 912 {400 + tag:03d} 31 7{tag % 10}"},  # Russian, not KZ
        {**base, "email": f"{base['email'].split('@')[0]}.at.example.org"},
        {**base, "note": f"Со слов клиента, {base['first_name']} ранее судим, сосед {tag}"},
        {**base, "birth_date": "31.02.1989"},
    ]


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return caplog


def test_no_personal_value_in_logs_errors_or_cli_output(
    services: Container,
    captured: pytest.LogCaptureFixture,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    dpo: Actor,
    operator: Actor,
    analyst: Actor,
) -> None:
    """DESIGN 5, policy 7.3.8: successes and refusals alike leave no personal value in any
    log record (SQL parameters and rows included), exception message, problem+json body or
    CLI output. Findings name where and which field, never the value."""
    try:
        texts, values = _workload(services, captured, tmp_path, dpo, operator, analyst)
        found = leaks(texts, values)
    finally:
        # A failure report would print the captured DEBUG log, personal values and all.
        _forget_captured_log(request.config)
    assert found == []


def _workload(
    services: Container,
    captured: pytest.LogCaptureFixture,
    tmp_path: Path,
    dpo: Actor,
    operator: Actor,
    analyst: Actor,
) -> tuple[Texts, dict[str, str]]:
    people = list(generate_people(40, SEED))
    stored, spare, imported, cli_rows, cli_debug_rows = (
        people[:20],
        people[20:24],
        people[24:30],
        people[30:35],
        people[35:40],
    )
    invalid = bad_rows(imported[0], 1) + bad_rows(cli_rows[0], 2) + bad_rows(cli_debug_rows[0], 3)
    refused_here = bad_rows(stored[0], 0)
    extra = [
        {"ip_address": "203.0.113.57"},  # not collected for "contract" (policy 4.1)
        {"favourite_colour": "сиреневый в крапинку"},  # not in the catalogue
    ]
    values = values_of(people + invalid + refused_here + extra)
    leakguard.register(*values)
    texts = Texts()
    gate, db = services.gate, services.db

    # Collection, and values the catalogue refuses.
    with db.unit_of_work() as conn:
        ids = gate.collect_many(
            conn,
            dpo,
            [gate.prepare("potential_borrower", "contract", r, "staff:test") for r in stored],
        )
    for i, rec in enumerate(refused_here + extra):
        prepare = partial(gate.prepare, "potential_borrower", "contract", rec, "t")
        texts.failing(prepare, f"prepare {i}")

    # Reads: allowed, masked, refused.
    def read(actor: Actor, sid: str, purpose: str | None, fields: list[str] | None = None) -> Any:
        with db.unit_of_work() as conn:
            return gate.read(conn, actor, sid, purpose, fields)

    assert read(dpo, ids[0], "contract").values["iin"] == stored[0]["iin"]
    assert read(operator, ids[1], "contract", ["iin", "phone", "first_name"]).masked
    texts.failing(lambda: read(analyst, ids[0], "contract"), "read analyst")
    texts.failing(lambda: read(dpo, ids[0], None), "read without purpose")
    texts.failing(lambda: read(dpo, ids[0], "statistics", ["iin"]), "read outside purpose")
    texts.failing(lambda: read(operator, ids[0], "statistics"), "read purpose not permitted")

    # Search by blind index: hits in other spellings, a miss, an invalid value.
    def search(kind: str, raw: str, actor: Actor = dpo) -> Any:
        with db.unit_of_work() as conn:
            return gate.search(conn, actor, kind, raw, "contract")

    phone = re.sub(r"\D", "", stored[3]["phone"])
    assert len(search("phone", "8 (" + phone[1:4] + ") " + phone[4:])) == 1
    assert len(search("iin", stored[4]["iin"])) == 1
    assert len(search("email", stored[5]["email"].upper())) == 1
    assert search("phone", spare[0]["phone"]) == []
    texts.failing(lambda: search("phone", invalid[2]["phone"]), "search invalid phone")
    texts.failing(lambda: search("iin", stored[4]["iin"], analyst), "search analyst")

    # Clarification (history kept, policy 7.3.7), block, destruction.
    def clarify(sid: str, new: dict[str, str]) -> Any:
        with db.unit_of_work() as conn:
            return gate.clarify(conn, dpo, sid, "contract", new, "staff:test")

    clarify(
        ids[0], {"phone": spare[1]["phone"], "residential_address": spare[1]["residential_address"]}
    )
    texts.failing(lambda: clarify(ids[0], {"iin": invalid[0]["iin"]}), "clarify invalid iin")
    texts.failing(lambda: clarify(ids[0], {"note": invalid[4]["note"]}), "clarify special")
    with db.unit_of_work() as conn:
        gate.block(conn, dpo, ids[1], "subject request")
    texts.failing(lambda: read(dpo, ids[1], "contract"), "read blocked")
    clarify(ids[1], {"email": spare[2]["email"]})
    with db.unit_of_work() as conn:
        gate.unblock(conn, dpo, ids[1], "request answered")
        gate.destroy(conn, dpo, ids[2], "consent withdrawn")
    texts.failing(lambda: read(dpo, ids[2], "contract"), "read destroyed")
    texts.failing(lambda: clarify(ids[2], {"phone": spare[3]["phone"]}), "clarify destroyed")
    assert search("iin", stored[2]["iin"]) == []  # its blind indexes went with it

    # Imports with bad rows (row numbers and reason codes only).
    data = tmp_path / "in-process.csv"
    write_csv(data, imported[1:3] + bad_rows(imported[0], 1) + imported[3:])
    summary = run_import(
        db, gate, dpo, data, purpose="contract", category="potential_borrower", batch_size=2
    )
    assert summary.accepted == 5
    assert len(summary.refused) == 6
    texts.add("import summary", json.dumps(summary.as_dict(), ensure_ascii=False))
    jsonl = tmp_path / "in-process.jsonl"
    jsonl.write_text(
        "\n".join(
            [
                json.dumps(imported[0] | {"note": invalid[4]["note"]}, ensure_ascii=False),
                "{" + imported[0]["iin"] + ": not json",
                json.dumps(imported[0] | extra[1], ensure_ascii=False),
                json.dumps(imported[0] | extra[0], ensure_ascii=False),
            ]
        ),
        encoding="utf-8",
    )
    summary = run_import(db, gate, dpo, jsonl, purpose="contract", category="potential_borrower")
    assert summary.accepted == 0
    assert len(summary.refused) == 4
    texts.add("import summary jsonl", json.dumps(summary.as_dict(), ensure_ascii=False))

    services.checkpoint()
    report = services.verify_audit()
    assert report.ok, str(report.first)

    _http_workload(services, stored, invalid, texts)
    _cli_workload(services, tmp_path, cli_rows, cli_debug_rows, texts)

    records = captured.records
    assert any(r.name.startswith("sqlalchemy.engine") for r in records), "SQL was not logged"
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    for r in records:
        texts.add(f"log {r.name}", formatter.format(r))
    return texts, values


def _forget_captured_log(config: pytest.Config) -> None:
    """Drop this test's captured log from the report (pytest's logging plugin)."""
    plugin = config.pluginmanager.get_plugin("logging-plugin")
    handler = getattr(plugin, "report_handler", None)
    if handler is not None:
        handler.reset()


def _http_workload(
    services: Container, stored: list[dict[str, str]], invalid: list[dict[str, str]], texts: Texts
) -> None:
    """The REST API: problem+json bodies name fields and codes, never values (DESIGN 5)."""
    with services.db.unit_of_work() as conn:
        _, dpo_token = services.api_keys.create_key(conn, "dpo", "leak test")
        _, analyst_token = services.api_keys.create_key(conn, "analyst", "leak test")
    app = create_app(services)
    with TestClient(app) as client:
        dpo = {"Authorization": f"Bearer {dpo_token}"}
        analyst = {"Authorization": f"Bearer {analyst_token}"}

        def post(url: str, body: dict[str, Any], headers: dict[str, str], status: int) -> Any:
            resp = client.post(url, json=body, headers=headers)
            assert resp.status_code == status, resp.json().get("type")
            if status >= 400:
                texts.add(f"http {status} {url}", resp.text)
            return resp.json()

        new = {"category": "potential_borrower", "purpose": "contract"}
        # stored[6] is in the vault already: a second subject with the same values.
        sid = post("/api/v1/subjects", new | {"values": stored[6]}, dpo, 201)["id"]
        for bad in invalid[:6]:
            post("/api/v1/subjects", new | {"values": bad}, dpo, 422)
        # FastAPI's validation errors echo the input; the handler must drop it.
        body = new | {"values": {"iin": int(stored[7]["iin"]), "phone": stored[7]["phone"]}}
        post("/api/v1/subjects", body, dpo, 422)
        post("/api/v1/subjects", {"values": stored[7]}, dpo, 422)
        search = {"kind": "phone", "value": stored[6]["phone"], "purpose": "contract"}
        assert post("/api/v1/subjects/search", search, dpo, 200)["count"] == 2
        post("/api/v1/subjects/search", search, analyst, 403)
        post("/api/v1/subjects/search", search | {"value": invalid[2]["phone"]}, dpo, 422)
        post(f"/api/v1/subjects/{sid}/read", {"purpose": "contract"}, analyst, 403)
        post(f"/api/v1/subjects/{sid}/read", {"purpose": "statistics", "fields": ["iin"]}, dpo, 403)
        clar = {"purpose": "contract", "values": {"note": invalid[4]["note"]}}
        post(f"/api/v1/subjects/{sid}/clarify", clar, dpo, 422)
        post(f"/api/v1/subjects/{sid}/destroy", {"ground": "subject request"}, dpo, 200)
        post(f"/api/v1/subjects/{sid}/read", {"purpose": "contract"}, dpo, 409)
        assert post("/api/v1/audit/verify", {}, dpo, 200)["ok"]


def _cli_workload(
    services: Container,
    tmp_path: Path,
    rows: list[dict[str, str]],
    debug_rows: list[dict[str, str]],
    texts: Texts,
) -> None:
    """``qorgau import`` (plain, --json, unknown purpose, and with every logger at DEBUG on
    stderr) and ``qorgau audit verify``: their stdout and stderr hold no personal value."""
    settings = services.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    env.update(
        QORGAU_HOME=str(settings.home),
        QORGAU_DATABASE_URL=settings.resolved_database_url,
        QORGAU_AUDIT_PARTITIONS=str(settings.audit_partitions),
    )
    script = Path(sys.executable).with_name("qorgau")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "qorgau.cli"]
    # The same CLI with Python logging at DEBUG for every logger, SQLAlchemy included.
    debug_cli = [
        sys.executable,
        "-c",
        "import logging, sys\n"
        "logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n"
        "for n in ('sqlalchemy', 'uvicorn', 'qorgau', 'httpx'):\n"
        "    logging.getLogger(n).setLevel(logging.DEBUG)\n"
        "from qorgau.cli import main\n"
        "sys.argv[0] = 'qorgau'\n"
        "main()\n",
    ]
    plain = tmp_path / "cli.csv"
    write_csv(plain, rows[1:] + bad_rows(rows[0], 2))
    debug = tmp_path / "cli-debug.csv"
    write_csv(debug, debug_rows[1:] + bad_rows(debug_rows[0], 3))
    target = ["--purpose", "contract", "--category", "potential_borrower"]
    runs: list[tuple[list[str], int]] = [
        ([*cli, "import", str(plain), *target, "--batch-size", "2"], 0),
        ([*cli, "import", str(plain), *target, "--json"], 0),  # resumes: nothing new
        ([*cli, "import", str(plain), "--purpose", "no_such", "--category", "x"], 2),
        ([*debug_cli, "import", str(debug), *target, "--batch-size", "2"], 0),
        ([*cli, "audit", "verify"], 0),
        ([*cli, "audit", "verify", "--json"], 0),
        ([*debug_cli, "audit", "verify"], 0),
    ]
    for argv, code in runs:
        done = subprocess.run(argv, env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False)
        name = " ".join(a for a in argv[-6:] if not a.startswith("/"))
        out, err = done.stdout.decode(), done.stderr.decode()
        assert done.returncode == code, f"{name}: exit {done.returncode}"
        texts.add(f"cli {name} stdout", out)
        texts.add(f"cli {name} stderr", err)
    debug_err = [t for w, t in texts.items if w.startswith("cli") and "DEBUG:sqlalchemy" in t]
    assert debug_err, "the DEBUG run logged no SQL"
    assert any("refused: 6" in t for _, t in texts.items), "bad rows were not refused"

    # An import that crashes while storing a batch (the database refuses the insert): the
    # traceback must not show local variables, which hold the batch's values.
    crash = tmp_path / "cli-crash.csv"
    write_csv(crash, list(reversed(rows[1:])))
    _refuse_subject_inserts(services)
    done = subprocess.run(
        [*cli, "import", str(crash), *target], env=env, capture_output=True,
        timeout=RUN_TIMEOUT, check=False,
    )  # fmt: skip
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode != 0
    assert "storage refused by the test" in out + err, "the import did not crash where meant"
    texts.add("cli import crash stdout", out)
    texts.add("cli import crash stderr", err)


def _refuse_subject_inserts(services: Container) -> None:
    """A trigger that makes every INSERT into ``subject`` fail (test database only)."""
    if services.db.dialect == "sqlite":
        ddl = [
            "CREATE TRIGGER test_refuse BEFORE INSERT ON subject "
            "BEGIN SELECT RAISE(ABORT, 'storage refused by the test'); END"
        ]
    else:
        ddl = [
            "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'storage refused by the test'; END $$",
            "CREATE TRIGGER test_refuse BEFORE INSERT ON subject "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse()",
        ]
    with services.db.engine.begin() as conn:
        for statement in ddl:
            conn.exec_driver_sql(statement)


CLEAN_SESSION = """
import logging
from datetime import date

import leakguard
from qorgau.catalog import make_iin


def test_clean():
    logging.getLogger("app.clean").warning("subject %s refused (%s)", "0123abcd", "iin.checksum")
"""

LEAKY_SESSION = (
    CLEAN_SESSION
    + """

def test_logs_a_registered_value():
    leakguard.register("Жансая Төлегенова-Тест")
    logging.getLogger("app.registered").warning("hello %s", "Жансая Төлегенова-Тест")


def test_logs_an_iin_at_debug():
    logging.getLogger("qorgau.somewhere").debug("iin=%s", make_iin(date(1991, 3, 8), "male", 77))
"""
)


@pytest.mark.parametrize("leaky", [True, False])
def test_leakguard_fails_a_session_that_logs_a_personal_value(tmp_path: Path, leaky: bool) -> None:
    """The session-wide guard (tests/leakguard.py) fails a run whose logs hold a registered
    value or a valid IIN, naming the logger and never the value (DESIGN 5)."""
    source = LEAKY_SESSION if leaky else CLEAN_SESSION
    (tmp_path / "test_inner.py").write_text(source, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(Path(leakguard.__file__).parent))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "leakguard",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_inner.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    out = done.stdout.decode() + done.stderr.decode()
    if not leaky:
        assert done.returncode == 0, out
        assert "leakguard" not in out
        return
    assert done.returncode == 1, out
    assert "passed" in out
    assert "app.registered" in out
    assert "qorgau.somewhere" in out
    assert "app.clean" not in out
    assert "Жансая" not in out
    assert make_iin(date(1991, 3, 8), "male", 77) not in out


def test_cli_tracebacks_never_show_local_variables() -> None:
    """DESIGN 5: a crashing command must not print its locals (a batch of values). Typer's
    default for ``pretty_exceptions_show_locals`` was True in releases that
    ``typer>=0.12`` still admits, so the CLI must not rely on the installed default."""
    from qorgau.cli import app

    assert app.pretty_exceptions_show_locals is False
