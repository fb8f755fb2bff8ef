"""The server with a real witness process (issue 13, must-have 3): every partition's tree
head is cosigned; with the witness killed the log keeps working, checkpoints queue and the
warning shows (/healthz, the console's notice, `audit verify`); restarted, the witness
catches up in one round; after a restore of the database *and* var/, the witness is the
anchor that survives and names the rollback. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from qorgau.audit.checkpoint import note_verifier
from qorgau.catalog import make_iin
from qorgau.cli import app
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.security.actors import Actor
from qorgau.server import create_app
from witnesskit import free_port, start

DPO = Actor("dpo", "test:dpo")
runner = CliRunner()


def _cli(*args: str) -> str:
    got = runner.invoke(app, list(args))
    assert got.exit_code == 0, got.output
    return got.stdout


class Witness:
    def __init__(self, home: Path, log: Path) -> None:
        self.home, self.log = home, log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = start(self.home, self.port, self.log)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.proc = None


@pytest.fixture
def witness(tmp_path: Path, settings: Settings) -> Iterator[Witness]:
    home = tmp_path / "witness"
    _cli("witness", "init", "--home", str(home), "--name", "witness.example/w1")
    signer = build_container(settings)
    try:
        log_key = note_verifier(signer.signer.public_raw, settings.log_origin).to_vkey()
    finally:
        signer.close()
    _cli("witness", "add-log", "--home", str(home), "--origin", settings.log_origin,
         "--partitions", str(settings.audit_partitions), "--vkey", log_key)  # fmt: skip
    w = Witness(home, tmp_path / "witness.log")
    w.start()
    yield w
    if w.proc is not None:
        w.kill()


@pytest.fixture
def served(settings: Settings, witness: Witness) -> Iterator[Container]:
    vkey = _cli("witness", "vkey", "--home", str(witness.home)).strip()
    svc = build_container(
        settings.model_copy(update={"witness_url": witness.url, "witness_vkey": vkey,
                                    "witness_timeout": 2.0})
    )  # fmt: skip
    yield svc
    svc.close()


def _collect(services: Container, n: int, day: int) -> None:
    with services.db.unit_of_work() as conn:
        for i in range(n):
            values = {"first_name": "Бауыржан", "iin": make_iin(date(1988, 3, day + i), "male", i)}
            services.gate.collect(
                conn,
                DPO,
                services.gate.prepare("potential_borrower", "contract", values, "staff:test"),
            )


def test_a_killed_witness_degrades_clearly_and_catches_up(
    served: Container, witness: Witness
) -> None:
    _collect(served, 3, 1)
    served.checkpoint()
    status = served.witness_status()
    assert (status.configured, status.queued, status.degraded) == (True, 0, False)
    report = served.verify_audit()
    assert report.ok, report.first
    assert report.cosigned == report.covered > 0
    health = TestClient(create_app(served)).get("/healthz").json()
    assert health["status"] == "ok"

    witness.kill()
    _collect(served, 3, 10)
    assert served.checkpoint() is not None  # the log does not stop
    status = served.witness_status()
    assert status.degraded
    assert status.queued > 0
    assert "queued" in (status.warning() or "")
    assert status.notice() == ("console.audit_warning.queued", {"n": status.queued})
    health = TestClient(create_app(served)).get("/healthz").json()
    assert health["status"] == "degraded"
    assert health["audit"]["witness"]["queued"] == status.queued
    report = served.verify_audit()
    assert report.ok, report.problems  # signed and anchored here; only not cosigned yet
    assert report.cosigned < report.covered
    assert any("queued" in w or "not cosigned" in w for w in report.warnings)

    witness.start()  # same home, same port: it remembers what it cosigned
    assert served.checkpoint(if_moved=True) is None  # nothing new to sign: only catch up
    status = served.witness_status()
    assert (status.queued, status.degraded) == (0, False)
    report = served.verify_audit()
    assert report.ok
    assert report.cosigned == report.covered


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_restore_of_the_database_and_var_is_named_by_the_witness(
    served: Container, settings: Settings, tmp_path: Path
) -> None:
    _collect(served, 2, 1)
    served.checkpoint()
    db_file = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    backup = tmp_path / "backup"
    backup.mkdir()
    served.db.dispose()
    shutil.copy(db_file, backup / "qorgau.db")
    for f in ("audit-anchor.log", "audit-heads.log"):
        shutil.copy(settings.home / f, backup / f)
    _collect(served, 4, 10)
    served.checkpoint()
    assert served.witness_status().queued == 0
    served.db.dispose()
    # The nightly copy restored: the database and var/'s anchor files roll back together.
    shutil.copy(backup / "qorgau.db", db_file)
    for suffix in ("-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    for f in ("audit-anchor.log", "audit-heads.log"):
        shutil.copy(backup / f, settings.home / f)
    restored = build_container(served.settings)
    try:
        report = restored.verify_audit()
        assert not report.ok
        assert report.first is not None
        assert report.first.reason.startswith("ROLLBACK")
        assert restored.witness_status().notice() is not None
    finally:
        restored.close()
