"""`qorgau check` and `qorgau run [--production]` as an operator runs them (issue 14,
must-have 10): real processes over an initialised home, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from qorgau.config import Settings

QORGAU = [str(Path(sys.executable).with_name("qorgau"))]
RESPONSIBLE = "Fictional Responsible Person"


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    env.update(
        QORGAU_HOME=str(settings.home),
        QORGAU_DATABASE_URL=settings.resolved_database_url,
        QORGAU_AUDIT_PARTITIONS=str(settings.audit_partitions),
        **extra,
    )
    return env


def qorgau(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*QORGAU, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(settings, **extra),
        cwd=settings.home.parent,
    )


@pytest.fixture
def home(settings: Settings) -> Settings:
    """An initialised home (migrations, policy v1 published from the demo configuration)."""
    r = qorgau(settings, "init")
    assert r.returncode == 0, r.stderr
    assert "published policy v1" in r.stdout
    return settings


def _years() -> tuple[int, int]:
    this = datetime.now(UTC).astimezone(ZoneInfo("Asia/Almaty")).year
    return this, this + 1


def _load_decree_years(settings: Settings) -> None:
    """The operator states (fictionally) that this year and the next have no decree moves."""
    for year in _years():
        path = settings.home.parent / f"kz-{year}.toml"
        path.write_text(
            f'country = "KZ"\nyear = {year}\nchecked = 2026-12-01\nnote = "fictional"\n',
            encoding="utf-8",
        )
        r = qorgau(settings, "law", "calendar", "load", str(path))
        assert r.returncode == 0, r.stderr


def _lines(stdout: str) -> dict[str, str]:
    """check name -> its line."""
    rows = [line for line in stdout.splitlines() if line.startswith(("ok ", "FAIL "))]
    return {line.split()[1]: line for line in rows}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_the_demo_configuration_fails_naming_each_reason(home: Settings) -> None:
    r = qorgau(home, "check")
    assert r.returncode == 1, r.stderr
    lines = _lines(r.stdout)
    assert list(lines) == [
        "law.operator_bin",
        "law.responsible_person",
        "law.localisation",
        "law.decree_data",
        "law.policy_current",
    ]
    assert lines["law.operator_bin"].startswith("ok ")
    assert lines["law.responsible_person"].startswith("FAIL ")
    assert "QORGAU_OPERATOR_RESPONSIBLE_PERSON is not set" in lines["law.responsible_person"]
    assert lines["law.localisation"].startswith("ok ")
    assert lines["law.decree_data"].startswith("FAIL ")
    assert f"no decree data for KZ {_years()[0]}, {_years()[1]}" in lines["law.decree_data"]
    assert lines["law.policy_current"].startswith("ok ")
    assert r.stdout.splitlines()[-1] == "2 of 5 checks fail"
    doc = json.loads(qorgau(home, "check", "--json").stdout)
    assert doc["ok"] is False
    assert [(c["name"], c["ok"]) for c in doc["checks"]] == [
        ("law.operator_bin", True),
        ("law.responsible_person", False),
        ("law.localisation", True),
        ("law.decree_data", False),
        ("law.policy_current", True),
    ]


def test_a_bad_bin_and_a_foreign_storage_location_fail(home: Settings) -> None:
    r = qorgau(home, "check", QORGAU_OPERATOR_BIN="123", QORGAU_OPERATOR_STORAGE_LOCATION="DE")
    assert r.returncode == 1
    lines = _lines(r.stdout)
    assert lines["law.operator_bin"].startswith("FAIL ")
    assert (
        "operator BIN '123' is not a valid BIN: a BIN must be exactly 12 digits"
        in (lines["law.operator_bin"])
    )
    assert lines["law.localisation"].startswith("FAIL ")
    assert "storage location 'DE'" in lines["law.localisation"]
    # The published text says 220840003513 and Kazakhstan: stale against the live figures.
    assert lines["law.policy_current"].startswith("FAIL ")
    assert "published policy v1 is stale" in lines["law.policy_current"]
    assert "Traceback" not in r.stderr


def test_every_check_passes_once_the_operator_fixes_them(home: Settings) -> None:
    _load_decree_years(home)
    fixed = {"QORGAU_OPERATOR_RESPONSIBLE_PERSON": RESPONSIBLE}
    stale = qorgau(home, "check", **fixed)
    assert stale.returncode == 1
    assert _lines(stale.stdout)["law.policy_current"].startswith("FAIL ")
    published = qorgau(home, "policy", "publish", **fixed)
    assert published.returncode == 0, published.stderr
    r = qorgau(home, "check", **fixed)
    assert r.returncode == 0, r.stdout + r.stderr
    assert all(line.startswith("ok ") for line in _lines(r.stdout).values())
    assert r.stdout.splitlines()[-1] == "every check passes"
    assert RESPONSIBLE not in r.stdout  # a person's name is not printed
    assert json.loads(qorgau(home, "check", "--json", **fixed).stdout)["ok"] is True


def test_run_in_production_refuses_to_start_while_a_check_fails(home: Settings) -> None:
    port = _free_port()
    r = qorgau(home, "run", "--production", "--port", str(port), QORGAU_OPERATOR_BIN="123")
    assert r.returncode == 1
    assert "FAIL: law.operator_bin: operator BIN '123' is not a valid BIN" in r.stderr
    assert "FAIL: law.responsible_person:" in r.stderr
    assert "refusing to start in production: 4 check(s) fail" in r.stderr
    assert "qorgau on http" not in r.stdout
    assert "Traceback" not in r.stderr
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


def _serve(settings: Settings, *args: str, **extra: str) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    proc = subprocess.Popen(
        [*QORGAU, "run", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(settings, **extra),
        cwd=settings.home.parent,
    )
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"qorgau run exited with {proc.returncode}:\n{out}\n{err}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, port
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("qorgau run did not answer /healthz")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.terminate()
    try:
        return proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate(timeout=15)


def test_plain_run_prints_the_failures_as_warnings_and_starts(home: Settings) -> None:
    proc, _ = _serve(home)
    out, err = _stop(proc)
    assert "warning: law.responsible_person: QORGAU_OPERATOR_RESPONSIBLE_PERSON is not set" in err
    assert "warning: law.decree_data: no decree data for KZ" in err
    assert "law.operator_bin" not in err  # it passes
    assert "qorgau on http://127.0.0.1:" in out


def test_run_in_production_starts_when_every_check_passes(home: Settings) -> None:
    _load_decree_years(home)
    fixed = {"QORGAU_OPERATOR_RESPONSIBLE_PERSON": RESPONSIBLE}
    assert qorgau(home, "policy", "publish", **fixed).returncode == 0
    proc, _ = _serve(home, "--production", **fixed)
    out, err = _stop(proc)
    assert "FAIL" not in err
    assert "warning: law." not in err
    assert "qorgau on http://127.0.0.1:" in out
