"""`qorgau law deadline` prints what the workflow computes (DESIGN invariant 7; LAW.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

QORGAU = [str(Path(sys.executable).with_name("qorgau"))]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*QORGAU, "law", "deadline", *args], capture_output=True, text=True, timeout=60
    )


def test_deadline_across_nauryz_in_almaty() -> None:
    # Friday 20 March 2026 evening: 21-23 March and the moved days off 24-25 March are not
    # working days, so the 3 working days are 26, 27 and 30 March.
    r = run("--action", "access", "--received", "2026-03-20T18:00+05:00")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "2026-03-30T23:59:59.999999+05:00"


def test_json_names_the_source_and_time_zone() -> None:
    r = run(
        "--profile", "ru_152fz", "--action", "access", "--received", "2026-12-30T10:00Z", "--json"
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["timezone"] == "Europe/Moscow"
    assert doc["amount"] == 10
    assert "152" in doc["source"]


def test_bad_input_is_a_plain_error() -> None:
    naive = run("--action", "access", "--received", "2026-03-20T18:00")
    assert naive.returncode != 0
    assert "time zone" in naive.stderr
    assert "Traceback" not in naive.stderr
    unknown = run(
        "--profile", "ru_152fz", "--action", "transfer_notice", "--received", "2026-03-20T18:00Z"
    )
    assert unknown.returncode != 0
    assert "transfer_notice" in unknown.stderr
