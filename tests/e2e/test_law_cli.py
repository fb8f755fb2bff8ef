"""`qorgau law deadline` prints what the workflow computes (DESIGN invariant 7; LAW.md)."""

from __future__ import annotations

import json
import os
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


def law(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*QORGAU, "law", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


def test_show_lists_every_figure_with_its_source() -> None:
    r = law("show", "--profile", "ru_152fz")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("ru_152fz: Federal Law")
    (access,) = [line for line in lines if line.strip().startswith("access ")]
    assert "10 working days (+5 working days with a motivated notice)" in access
    assert "RF 152-FZ Art. 14 p.3, Art. 20" in access
    (block,) = [line for line in lines if line.strip().startswith("block ")]
    assert "3 working days" in block
    assert "Art. 21 p.3" in block
    assert any("breach_notice" in x and "24 hours" in x for x in lines)
    assert any("breach_results" in x and "72 hours" in x for x in lines)
    assert "within 30 days (RF 152-FZ Art. 21 p.4-5)" in r.stdout
    assert "localisation:" in r.stdout
    assert "RF 152-FZ Art. 18 p.5" in r.stdout
    assert "consent as a separate document: yes, from 2025-09-01 (RF 152-FZ Art. 9 p.1)" in (
        r.stdout
    )


def test_show_json_is_the_profile_and_defaults_to_the_configured_one() -> None:
    r = law("show", "--json", QORGAU_LAW_PROFILE="ru_152fz")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["profile"] == "ru_152fz"
    terms = {t["action"]: t for t in doc["terms"]}
    assert (terms["access"]["amount"], terms["access"]["extension"]) == (10, 5)
    assert doc["rules"]["consent_separate_document"]["source"] == "RF 152-FZ Art. 9 p.1"
    kz = json.loads(law("show", "--json").stdout)
    assert kz["profile"] == "kz_94v"
    assert kz["rules"]["consent_separate_document"]["required"] is False
    # `law deadline` follows the configured profile too: 10 working days in Moscow.
    due = law("deadline", "--action", "access", "--received", "2026-12-30T10:00Z", "--json",
              QORGAU_LAW_PROFILE="ru_152fz")  # fmt: skip
    assert json.loads(due.stdout)["timezone"] == "Europe/Moscow"


def test_show_refuses_an_unknown_profile_plainly() -> None:
    r = law("show", "--profile", "us_ccpa")
    assert r.returncode == 2
    assert "unknown law profile 'us_ccpa'" in r.stderr
    assert "Traceback" not in r.stderr
