"""The real console script (``qorgau``) as a subprocess, on SQLite and PostgreSQL.

Each test gets a fresh migrated database (``database_url``) and an empty QORGAU_HOME that
``qorgau init`` fills. Output is checked for personal values: the CLI prints counts, row
numbers and reason codes, never a value (DESIGN 5).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from qorgau.audit.store import audit_event
from qorgau.bootstrap import initialise
from qorgau.catalog import normalise_phone
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.demo.people import generate_people
from qorgau.security.actors import Actor
from qorgau.vault.store import subject

QORGAU = Path(sys.executable).with_name("qorgau")
DPO = Actor(role="dpo", id="e2e:dpo")
IDENTIFYING = (
    "last_name",
    "first_name",
    "patronymic",
    "iin",
    "phone",
    "email",
    "birth_date",
    "residential_address",
    "workplace",
)
#: CSV header: every code the generated people use, plus free text.
COLUMNS = (
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "iin",
    "sex",
    "citizenship",
    "phone",
    "email",
    "city",
    "residential_address",
    "employment",
    "income",
    "loan_amount",
    "loan_term_days",
    "workplace",
    "position",
    "note",
)
ROWS = 200


@dataclass
class Cli:
    home: Path
    database_url: str

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
        env.update(
            QORGAU_HOME=str(self.home),
            QORGAU_DATABASE_URL=self.database_url,
            QORGAU_AUDIT_PARTITIONS="16",
            COLUMNS="500",  # rich must not wrap the lines we match
            NO_COLOR="1",
        )
        return env

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(QORGAU), *args],
            env=self.env,
            cwd=self.home.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(QORGAU), *args],
            env=self.env,
            cwd=self.home.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def settings(self) -> Settings:
        return Settings(home=self.home, database_url=self.database_url, audit_partitions=16)

    def services(self) -> Container:
        return build_container(self.settings())

    def count_subjects(self) -> int:
        svc = self.services()
        try:
            with svc.db.engine.connect() as conn:
                n: int = conn.execute(select(func.count()).select_from(subject)).scalar_one()
                return n
        finally:
            svc.close()


@pytest.fixture
def cli(tmp_path: Path, database_url: str) -> Cli:
    return Cli(tmp_path / "var", database_url)


@pytest.fixture
def ready(cli: Cli) -> Cli:
    """An initialised home. Done in-process (what `qorgau init` runs) to keep the suite
    fast; test_init_creates_private_keys_and_is_idempotent runs the real command."""
    initialise(cli.settings())
    return cli


def ok(r: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def personal_values(records: Iterable[dict[str, str]]) -> set[str]:
    out: set[str] = set()
    for rec in records:
        for k in (*IDENTIFYING, "note"):
            v = rec.get(k)
            if v:
                out.add(v)
                if k == "phone":
                    with contextlib.suppress(ValueError):
                        out.add(normalise_phone(v))
    return out


def assert_no_values(values: set[str], *streams: str) -> None:
    """DESIGN 5: no personal value in any output stream."""
    assert values
    for s in streams:
        leaked = sorted(v for v in values if v in s)
        assert not leaked, f"{len(leaked)} personal values in CLI output, e.g. {leaked[:2]}"


def people_with_bad_rows(seed: int) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    """ROWS generated people (1-based row numbers), a few made invalid on purpose."""
    rows = list(generate_people(ROWS, seed=seed))
    bad: list[tuple[int, str]] = []

    def spoil(row: int, reason: str, **change: str) -> None:
        rows[row - 1].update(change)
        bad.append((row, reason))

    iin = rows[16]["iin"]
    spoil(17, "iin.checksum", iin=iin[:11] + str((int(iin[11]) + 1) % 10))
    spoil(42, "phone.country", phone="+7 916 123 45 67")  # Russian mobile range
    spoil(99, "special_category.criminal_record", note="у него судимость")
    spoil(150, "enum.choice", sex="martian")
    rows[187]["email"] = "   "  # a blank value is dropped, not refused
    return rows, bad


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for rec in rows:
            w.writerow({k: rec.get(k, "") for k in COLUMNS})
    return path


def test_init_creates_private_keys_and_is_idempotent(cli: Cli) -> None:
    """DESIGN 4: the keyring and signing key are created with mode 0600; init is idempotent."""
    first = ok(cli("init"))
    keyring, signing = cli.home / "keyring.json", cli.home / "audit-signing.key"
    for f in (keyring, signing):
        assert f.is_file(), f
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert stat.S_IMODE(cli.home.stat().st_mode) & 0o077 == 0
    assert "keyring" in first.stdout
    before = keyring.read_bytes(), signing.read_bytes()

    second = ok(cli("init"))
    assert (keyring.read_bytes(), signing.read_bytes()) == before
    assert "created" not in second.stdout
    assert "database ready" in second.stdout
    for f in (keyring, signing):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_demo_then_audit_verify(ready: Cli) -> None:
    """DESIGN 2, 3: demo data is collected with its audit events; the log verifies."""
    r = ok(ready("demo", "--count", "50"))
    assert "loaded 50" in r.stdout
    assert ready.count_subjects() == 50
    v = ok(ready("audit", "verify", "--json"))
    doc = json.loads(v.stdout)
    assert doc["ok"] is True
    assert doc["subjects"] == 50
    assert doc["events"] >= 50
    assert doc["first_problem"] is None
    assert_no_values(personal_values(generate_people(50, 2026)), r.stdout, r.stderr, v.stdout)


def test_keys_create_prints_token(ready: Cli) -> None:
    """Policy 7.3.8: the token is printed once on stdout, stored only hashed."""
    r = ok(ready("keys", "create", "--role", "dpo", "--name", "e2e"))
    token = r.stdout.strip()
    assert token.startswith("qg_")
    assert "\n" not in token
    assert token not in r.stderr
    svc = ready.services()
    try:
        with svc.db.engine.connect() as conn:
            key = svc.api_keys.authenticate(conn, token)
            stored = conn.execute(text("SELECT count(*) FROM api_key WHERE name = 'e2e'"))
            assert stored.scalar_one() == 1
            raw = conn.execute(text("SELECT * FROM api_key")).all()
    finally:
        svc.close()
    assert key.role == "dpo"
    assert token not in repr(raw)


def test_keys_create_unknown_role_fails_plainly(ready: Cli) -> None:
    r = ready("keys", "create", "--role", "nope")
    assert r.returncode != 0
    assert r.stdout == ""
    assert "unknown role 'nope'" in r.stderr
    assert "dpo" in r.stderr
    assert "Traceback" not in r.stderr


def test_recipients_and_a_partner_key(ready: Cli, tmp_path: Path) -> None:
    """Policy 6.2: the registry from a JSON file, listed with its flags; a webhook secret
    printed once; a key bound to a recipient; bad input is a plain message and exit 2."""
    doc = {
        "code": "mfo-e2e",
        "kind": "third_party",
        "legal_name": "E2E Microfinance LLP",
        "bin": "000000000042",
        "country": "KZ",
        "delivery": "pull",
        "agreement": {
            "reference": "Agreement No. 1/2026",
            "operations": ["transfer", "storage"],
            "purposes": ["contract"],
            "confidentiality": "Confidential.",
            "security": "Encrypted.",
            "protection": "LAW.md Art. 22.",
            "valid_from": "2026-01-01",
            "valid_until": "2099-12-31",
        },
    }
    entry = tmp_path / "mfo.json"
    entry.write_text(json.dumps(doc), encoding="utf-8")
    assert "registered mfo-e2e, version 1" in ok(ready("recipients", "add", str(entry))).stdout
    listed = json.loads(ok(ready("recipients", "list", "--json")).stdout)
    assert [r["code"] for r in listed["data"]] == ["mfo-e2e"]
    assert listed["data"][0]["agreement_valid"] is True
    assert "mfo-e2e" in ok(ready("recipients", "list")).stdout
    secret = ok(ready("recipients", "rotate-secret", "mfo-e2e"))
    assert len(secret.stdout.strip()) >= 40
    assert secret.stdout.strip() not in secret.stderr
    key = ok(ready("keys", "create", "--role", "partner", "--recipient", "mfo-e2e"))
    svc = ready.services()
    try:
        with svc.db.engine.connect() as conn:
            assert svc.api_keys.authenticate(conn, key.stdout.strip()).recipient == "mfo-e2e"
    finally:
        svc.close()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**doc, "code": "Bad Code!", "bin": "12"}), encoding="utf-8")
    for args in (
        ("recipients", "add", str(bad)),
        ("recipients", "add", str(tmp_path / "absent.json")),
        ("recipients", "rotate-secret", "nobody"),
        ("keys", "create", "--role", "partner", "--recipient", "nobody"),
        ("keys", "create", "--role", "operator", "--recipient", "mfo-e2e"),
    ):
        r = ready(*args)
        assert r.returncode == 2, args
        assert r.stderr.startswith("error: "), args
        assert "Traceback" not in r.stderr, args
    assert "bin: 12 digits" in ready("recipients", "add", str(bad)).stderr


def test_import_csv(ready: Cli, tmp_path: Path) -> None:
    """Policy 3.2, 5.1, DESIGN 5: bad rows are refused by number and reason, never echoed."""
    rows, bad = people_with_bad_rows(seed=11)
    path = write_csv(tmp_path / "leads.csv", rows)
    r = ok(ready("import", str(path), "--purpose", "contract", "--category",
                 "potential_borrower", "--json"))  # fmt: skip
    doc = json.loads(r.stdout)
    assert doc["rows"] == ROWS
    assert sorted((d["row"], d["reason"]) for d in doc["refused"]) == sorted(bad)
    assert doc["accepted"] == ROWS - len(bad)
    assert ready.count_subjects() == ROWS - len(bad)
    assert_no_values(personal_values(rows), r.stdout, r.stderr)


def test_import_json_lines(ready: Cli, tmp_path: Path) -> None:
    """Same as CSV, plus an unknown key and a malformed line."""
    rows, bad = people_with_bad_rows(seed=12)
    rows[59]["favourite_colour"] = "blue"
    bad.append((60, "field.unknown"))
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines[119] = lines[119][:-9]  # truncated JSON, with personal values in it
    bad.append((120, "row.malformed"))
    path = tmp_path / "leads.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = ok(ready("import", str(path), "--purpose", "contract", "--category",
                 "potential_borrower", "--json"))  # fmt: skip
    doc = json.loads(r.stdout)
    assert doc["rows"] == ROWS
    assert sorted((d["row"], d["reason"]) for d in doc["refused"]) == sorted(bad)
    assert doc["accepted"] == ROWS - len(bad)
    assert ready.count_subjects() == ROWS - len(bad)
    assert_no_values(personal_values(rows), r.stdout, r.stderr)


def test_import_unknown_purpose_fails(ready: Cli, tmp_path: Path) -> None:
    rows, _ = people_with_bad_rows(seed=13)
    path = write_csv(tmp_path / "leads.csv", rows[:5])
    r = ready("import", str(path), "--purpose", "astrology", "--category", "potential_borrower")
    assert r.returncode != 0
    assert "unknown purpose" in r.stderr
    assert "Traceback" not in r.stderr
    assert_no_values(personal_values(rows[:5]), r.stdout, r.stderr)
    assert ready.count_subjects() == 0


def test_import_is_idempotent(ready: Cli, tmp_path: Path) -> None:
    """Re-running an import stores no row twice."""
    rows, bad = people_with_bad_rows(seed=14)
    path = write_csv(tmp_path / "leads.csv", rows)
    args = ("import", str(path), "--purpose", "contract", "--category", "potential_borrower")
    # First run in the human-readable form: each refused row by number and reason code.
    first = ok(ready(*args))
    assert f"accepted: {ROWS - len(bad)}" in first.stdout
    for row, reason in bad:
        assert f"row {row}: {reason}" in first.stdout
    assert ready.count_subjects() == ROWS - len(bad)
    again = ok(ready(*args, "--json"))
    second = json.loads(again.stdout)
    assert second["accepted"] == ROWS - len(bad)
    assert ready.count_subjects() == ROWS - len(bad)
    values = personal_values(rows)
    assert_no_values(values, first.stdout, first.stderr, again.stdout, again.stderr)
    ok(ready("audit", "verify"))


def _read_all(svc: Container, ids: list[str]) -> dict[str, dict[str, str]]:
    out = {}
    with svc.db.unit_of_work() as conn:
        for sid in ids:
            out[sid] = svc.gate.read(conn, DPO, sid, "contract").values
    return out


def test_keys_rotate_while_reading(ready: Cli) -> None:
    """DESIGN 4: a new KEK re-wraps every data key; reads before, during and after agree."""
    keyring = ready.home / "keyring.json"
    old_doc = json.loads(keyring.read_text())
    svc = ready.services()
    try:
        items = [
            svc.gate.prepare("potential_borrower", "contract", rec, "staff:e2e")
            for rec in generate_people(30, seed=21)
        ]
        with svc.db.unit_of_work() as conn:
            ids = svc.gate.collect_many(conn, DPO, items)
        before = _read_all(svc, ids)

        rotate = ready.popen("keys", "rotate")
        during: list[dict[str, dict[str, str]]] = []
        failures: list[BaseException] = []

        def reader() -> None:
            try:
                while rotate.poll() is None:
                    during.append(_read_all(svc, ids))
                    time.sleep(0.05)  # let the rotation take SQLite's write lock
            except BaseException as exc:
                failures.append(exc)

        t = threading.Thread(target=reader)
        t.start()
        out, err = rotate.communicate(timeout=120)
        t.join(60)
        assert rotate.returncode == 0, err
        assert not failures, failures
        assert during, "no read happened while the rotation ran"
        assert all(d == before for d in during)
        assert _read_all(svc, ids) == before
    finally:
        svc.close()

    new_doc = json.loads(keyring.read_text())
    assert new_doc["active_kek"] != old_doc["active_kek"]
    assert new_doc["active_kek"] in out
    assert old_doc["active_kek"] not in new_doc["keks"]
    assert new_doc["index_key"] == old_doc["index_key"]
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600

    fresh = ready.services()
    try:
        assert _read_all(fresh, ids) == before
        with fresh.db.engine.connect() as conn:
            keks = {r[0] for r in conn.execute(select(subject.c.kek_id))}
            rotations = conn.execute(
                select(func.count()).select_from(audit_event)
                .where(audit_event.c.action == "key.rotate")
            ).scalar_one()  # fmt: skip
    finally:
        fresh.close()
    assert keks == {new_doc["active_kek"]}
    assert rotations >= 1
    ok(ready("audit", "verify"))


def test_audit_verify_names_a_tampered_event(ready: Cli) -> None:
    """DESIGN 3: an edited event breaks its chain; verify exits 1 naming it."""
    svc = ready.services()
    try:
        items = [
            svc.gate.prepare("potential_borrower", "contract", rec, "subject:demo")
            for rec in generate_people(20, seed=31)
        ]
        with svc.db.unit_of_work() as conn:
            svc.gate.collect_many(conn, DPO, items)
        svc.checkpoint()
        with svc.db.unit_of_work() as conn:
            eid, body = conn.execute(
                select(audit_event.c.id, audit_event.c.body)
                .where(audit_event.c.action == "collect")
                .order_by(audit_event.c.id)
                .offset(10)
                .limit(1)
            ).one()
            forged = bytes(body).replace(b'"source":"subject:demo"', b'"source":"subject:dem0"')
            assert forged != bytes(body)
            if svc.db.dialect == "postgresql":
                # The append-only trigger stands in the way of honest code, not of an
                # attacker with superuser rights.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(update(audit_event).where(audit_event.c.id == eid).values(body=forged))
    finally:
        svc.close()

    r = ready("audit", "verify")
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(rf"\bevent {eid}\b", r.stderr), r.stderr
    j = ready("audit", "verify", "--json")
    assert j.returncode == 1
    doc = json.loads(j.stdout)
    assert doc["ok"] is False
    assert re.search(rf"\bevent {eid}\b", doc["first_problem"])


def test_audit_verify_needs_only_the_pinned_public_key(cli: Cli) -> None:
    """An auditor with the database and the public key, and no key that can sign or decrypt,
    verifies the log (issue 13: verify with the public key)."""
    assert cli("init").returncode == 0
    assert cli("demo", "--count", "5").returncode == 0
    assert cli("audit", "checkpoint").returncode == 0
    public = (cli.home / "audit-signing.pub").read_text().strip()
    for name in ("keyring.json", "audit-signing.key", "audit-signing.pub"):
        (cli.home / name).unlink()
    env = {**cli.env, "QORGAU_AUDIT_PUBLIC_KEY": public}
    got = subprocess.run(
        [str(QORGAU), "audit", "verify", "--json"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    doc = json.loads(got.stdout)
    assert doc["ok"] is True
    assert doc["checkpoints"] >= 1


def test_a_signing_key_swapped_in_var_is_caught_by_the_pinned_public_key(cli: Cli) -> None:
    """An insider replaces audit-signing.key (and its public copy) to sign checkpoints with
    their own key: the checkpointer refuses to extend checkpoints its key did not sign, and
    the public key pinned in configuration still verifies the genuine ones."""
    from qorgau.crypto.signer import Signer, public_key_text

    assert cli("init").returncode == 0
    assert cli("demo", "--count", "5").returncode == 0
    assert cli("audit", "checkpoint").returncode == 0
    pinned = (cli.home / "audit-signing.pub").read_text().strip()
    (cli.home / "audit-signing.key").unlink()
    forged = Signer.create(cli.home / "audit-signing.key")
    (cli.home / "audit-signing.pub").write_text(public_key_text(forged.public_raw) + "\n")
    refused = cli("audit", "checkpoint")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: checkpoint refused: checkpoint")
    assert "signature does not verify" in refused.stderr
    assert "Traceback" not in refused.stderr
    unpinned = cli("audit", "verify")
    env = {**cli.env, "QORGAU_AUDIT_PUBLIC_KEY": pinned}
    got = subprocess.run(
        [str(QORGAU), "audit", "verify"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    # Without the pin, the copy in var/ was swapped too: the genuine checkpoints fail to
    # verify against it.
    assert unpinned.returncode == 1
    assert "BROKEN" in unpinned.stderr


def test_a_malformed_pinned_public_key_is_a_plain_error(cli: Cli) -> None:
    assert cli("init").returncode == 0
    env = {**cli.env, "QORGAU_AUDIT_PUBLIC_KEY": "not-a-key"}
    got = subprocess.run(
        [str(QORGAU), "audit", "verify"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert got.returncode == 2
    assert got.stderr.startswith("error: the audit public key")
    assert "Traceback" not in got.stderr
