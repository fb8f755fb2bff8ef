"""`qorgau law calendar YEAR` and `qorgau law calendar load FILE` as an operator runs them
(issue 14, must-have 9): real processes, a private QORGAU_HOME each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

QORGAU = [str(Path(sys.executable).with_name("qorgau"))]

FICTIONAL_2027 = """\
# Fictional decree data for the tests: 8 January 2027 rested, Saturday 9 January worked.
country = "KZ"
year = 2027
checked = 2026-12-01

[[decree]]
act = "Fictional order of the Ministry of Labour"
number = "42"
issued = 2026-11-30
moves = [{ day_off = 2027-01-08, worked = 2027-01-09 }]
"""


def qorgau(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
    env["QORGAU_HOME"] = str(home)
    return subprocess.run(
        [*QORGAU, *args], capture_output=True, text=True, timeout=60, env=env, cwd=home.parent
    )


def test_a_shipped_year_lists_each_day_off_with_its_source(tmp_path: Path) -> None:
    r = qorgau(tmp_path / "var", "law", "calendar", "2025")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # 2025 has decree data: nothing to warn of
    lines = r.stdout.splitlines()
    assert lines[0] == "KZ working calendar 2025 (profile kz_94v, Asia/Almaty)"
    assert lines[1] == "decree data 2025: shipped, checked 2026-12-01: 1 act(s)"
    by_day = {line[:10]: line for line in lines[2:]}
    assert "statute   New Year's Day" in by_day["2025-01-01"]
    assert "off     decree    Order of the Minister of Labour" in by_day["2025-01-03"]
    assert "No. 436 of 2024" in by_day["2025-01-03"]
    assert "working decree" in by_day["2025-01-05"]
    assert "International Women's Day (observed)" in by_day["2025-03-10"]
    assert "2025-01-06" not in by_day  # an ordinary Monday


def test_a_year_without_decree_data_says_so(tmp_path: Path) -> None:
    r = qorgau(tmp_path / "var", "law", "calendar", "2026")
    assert r.returncode == 0, r.stderr
    assert "decree data 2026: none" in r.stdout
    assert "warning: no decree data for KZ 2026" in r.stderr
    assert "qorgau law calendar load FILE" in r.stderr
    # The documented decision: 30 August is no longer a holiday from 2026.
    (aug30,) = [line for line in r.stdout.splitlines() if line.startswith("2026-08-30")]
    assert "decision" in aug30
    assert "no longer Constitution Day" in aug30
    assert not any(line.startswith("2026-08-31") for line in r.stdout.splitlines())


def test_json_names_kind_source_and_decision(tmp_path: Path) -> None:
    r = qorgau(tmp_path / "var", "law", "calendar", "2027", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["country"], doc["year"], doc["timezone"], doc["decree_data"]) == (
        "KZ",
        2027,
        "Asia/Almaty",
        None,
    )
    days = {d["date"]: d for d in doc["days"]}
    assert days["2027-03-15"]["kind"] == "statute"
    assert days["2027-03-15"]["source"] == "Constitution Day"
    assert "15 March from 2027" in days["2027-03-15"]["note"]
    assert days["2027-03-15"]["working"] is False
    ru = json.loads(qorgau(tmp_path / "var", "law", "calendar", "2026", "--profile",
                           "ru_152fz", "--json").stdout)  # fmt: skip
    assert (ru["country"], ru["timezone"]) == ("RU", "Europe/Moscow")
    assert {"2026-01-01", "2026-06-12"} <= {d["date"] for d in ru["days"]}


def test_load_keeps_the_file_and_the_calendar_and_deadlines_follow_it(tmp_path: Path) -> None:
    home = tmp_path / "var"
    before = qorgau(home, "law", "deadline", "--action", "rectify", "--received",
                    "2027-01-06T10:00+05:00")  # fmt: skip
    # Wed 6 Jan 2027, 1 working day: (Thu 7, Orthodox Christmas) Fri 8 January.
    assert before.stdout.strip() == "2027-01-08T23:59:59.999999+05:00", before.stderr
    source = tmp_path / "kz-2027.toml"
    source.write_text(FICTIONAL_2027, encoding="utf-8")
    r = qorgau(home, "law", "calendar", "load", str(source))
    assert r.returncode == 0, r.stderr
    stored = home / "calendars" / "kz" / "2027.toml"
    assert (
        f"loaded KZ 2027 decree data (1 act(s), 1 move(s), checked 2026-12-01) into {stored}"
        in (r.stdout)
    )
    assert stored.read_text(encoding="utf-8") == FICTIONAL_2027
    assert stored.stat().st_mode & 0o077 == 0
    listed = qorgau(home, "law", "calendar", "2027")
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == ""
    assert "decree data 2027: the operator's file, checked 2026-12-01: 1 act(s)" in listed.stdout
    (jan8,) = [line for line in listed.stdout.splitlines() if line.startswith("2027-01-08")]
    assert (
        "Fictional order of the Ministry of Labour No. 42 of 2026-11-30 (the operator's file)"
        in jan8
    )
    # Now Fri 8 Jan is a day off and Saturday 9 Jan is worked: the term moves to the 9th.
    after = qorgau(home, "law", "deadline", "--action", "rectify", "--received",
                   "2027-01-06T10:00+05:00")  # fmt: skip
    assert after.stdout.strip() == "2027-01-09T23:59:59.999999+05:00", after.stderr
    again = qorgau(home, "law", "calendar", "load", str(source))
    assert "replacing the earlier file" in again.stdout


def test_a_bad_file_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    home = tmp_path / "var"
    bad = tmp_path / "bad.toml"
    bad.write_text(FICTIONAL_2027.replace("worked = 2027-01-09", "worked = 2027-01-11"),
                   encoding="utf-8")  # fmt: skip
    r = qorgau(home, "law", "calendar", "load", str(bad))
    assert r.returncode == 2
    assert "error:" in r.stderr
    assert "2027-01-11 is a weekday" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (home / "calendars").exists()
    foreign = tmp_path / "de.toml"
    foreign.write_text('country = "DE"\nyear = 2027\nchecked = 2026-12-01\n', encoding="utf-8")
    r = qorgau(home, "law", "calendar", "load", str(foreign))
    assert r.returncode == 2
    assert "country DE has no law profile" in r.stderr
    for args, message in [
        (("load",), "load wants a FILE"),
        (("next",), "neither a year nor `load`"),
        (("1066",), "not a year the calendar covers"),
        (("load", str(tmp_path / "missing.toml")), "cannot read"),
    ]:
        r = qorgau(home, "law", "calendar", *args)
        assert r.returncode == 2, args
        assert message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
