"""Decree data files (issue 14, must-have 9): the format, its validation, the shipped years,
the operator's files, and what the calendar makes of them."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest

from qorgau.law.calendar import (
    CalendarOverrides,
    WorkingCalendar,
    calendar_for,
    parse_overrides,
)
from qorgau.law.decrees import (
    InvalidDecreeFile,
    operator_dir,
    operator_years,
    parse_decree_year,
    shipped_years,
    store,
)

FILE_2027 = """\
# A fictional year for the tests.
country = "KZ"
year = 2027
checked = 2026-12-01
note = "fictional"

[[decree]]
act = "Fictional order of the Ministry"
number = "7"
issued = 2026-11-30
reference = "https://adilet.example/7"
moves = [
  { day_off = 2027-01-08, worked = 2027-01-09 },
  { day_off = 2027-03-26 },
]
"""

NONE_2026 = """\
country = "KZ"
year = 2026
checked = 2026-12-01
"""


def test_a_file_parses_into_its_acts_and_moves() -> None:
    data = parse_decree_year(FILE_2027)
    assert (data.country, data.year, data.checked, data.origin) == (
        "KZ",
        2027,
        date(2026, 12, 1),
        "operator",
    )
    (decree,) = data.decrees
    assert decree.source == "Fictional order of the Ministry No. 7 of 2026-11-30"
    assert [(m.day_off, m.worked) for m, _ in data.moves()] == [
        (date(2027, 1, 8), date(2027, 1, 9)),
        (date(2027, 3, 26), None),
    ]


def test_a_file_without_acts_states_that_the_year_has_none() -> None:
    data = parse_decree_year(NONE_2026)
    assert data.decrees == ()
    cal = calendar_for("kz_94v", parse_overrides([], [], [data]))
    assert 2026 in cal.decree_years
    assert cal.missing_decree_years(date(2026, 12, 1)) == [2027]


def test_issued_may_be_a_year_alone() -> None:
    data = parse_decree_year(
        FILE_2027.replace("issued = 2026-11-30", "issued = 2026").replace('number = "7"\n', "")
    )
    assert data.decrees[0].source == "Fictional order of the Ministry of 2026"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("year = 2027", "year = 2027\ncolour = 1"), r"unknown key\(s\) colour"),
        (("day_off = 2027-03-26", "day_of = 2027-03-26"), r"moves\[1\]: unknown key\(s\) day_of"),
        (('country = "KZ"', 'country = "kz"'), "two-letter code in capitals"),
        (('country = "KZ"', 'country = "XX"'), "no holiday calendar for country 'XX'"),
        (("year = 2027", 'year = "2027"'), "year must be a year"),
        (("checked = 2026-12-01\n", ""), "checked .* is required"),
        (("checked = 2026-12-01", "checked = 2026-12-01T10:00:00"), "checked must be a date"),
        (("day_off = 2027-01-08", "day_off = 2027-01-10"), "2027-01-10 is on the weekend"),
        (("worked = 2027-01-09", "worked = 2027-01-11"), "2027-01-11 is a weekday"),
        (("day_off = 2027-03-26", "day_off = 2028-03-27"), "2028-03-27 is not in 2027"),
        (("day_off = 2027-03-26", "day_off = 2027-01-08"), "2027-01-08 is moved twice"),
        (("day_off = 2027-03-26 ", ""), "needs day_off, worked, or both"),
        (('act = "Fictional order of the Ministry"', 'act = ""'), "act must be a non-empty"),
        (("issued = 2026-11-30", "issued = true"), "issued must be a date"),
        (("moves = [", "moves = []\nx = ["), r"decree\[0\]: unknown key\(s\) x"),
        (("[[decree]]", "[decree]"), r"decree must be an array of tables"),
        (("year = 2027", "year = = 2027"), "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_the_item(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in FILE_2027
    with pytest.raises(InvalidDecreeFile, match=message):
        parse_decree_year(FILE_2027.replace(old, new, 1))


def test_an_oversized_file_is_refused() -> None:
    with pytest.raises(InvalidDecreeFile, match="at most"):
        parse_decree_year(FILE_2027 + "#" * 70_000)


def test_a_move_may_cross_the_new_year() -> None:
    # KZ 2014: 3 Jan 2014 rested for Saturday 28 Dec 2013 worked.
    text = 'country = "KZ"\nyear = 2014\nchecked = 2026-12-01\n[[decree]]\nact = "A"\n'
    text += "moves = [{ day_off = 2014-01-03, worked = 2013-12-28 }]\n"
    cal = calendar_for("kz_94v", parse_overrides([], [], [parse_decree_year(text)]))
    assert cal.is_working_day(date(2013, 12, 28))
    assert not cal.is_working_day(date(2014, 1, 3))


def test_shipped_years_are_kazakhstans_2024_and_2025() -> None:
    assert sorted(shipped_years("KZ")) == [2024, 2025]
    assert shipped_years("RU") == {}  # LAW.md gives no Russian decree moves
    kz = calendar_for("kz_94v")
    assert sorted(kz.decree_years) == [2024, 2025]
    assert kz.missing_decree_years(date(2025, 6, 1)) == [2026]
    assert kz.missing_decree_years(date(2024, 6, 1)) == []
    assert calendar_for("ru_152fz").missing_decree_years(date(2026, 1, 1)) == [2026, 2027]


def test_store_keeps_the_operators_file_and_replaces_it(tmp_path: Path) -> None:
    home = tmp_path / "var"
    data, target, replaced = store(home, FILE_2027)
    assert (data.year, replaced) == (2027, False)
    assert target == operator_dir(home) / "kz" / "2027.toml"
    assert target.read_text(encoding="utf-8") == FILE_2027  # comments kept
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    _, _, replaced = store(home, FILE_2027.replace('number = "7"', 'number = "8"'))
    assert replaced
    (loaded,) = operator_years(home)
    assert loaded.decrees[0].number == "8"
    assert loaded.origin == "operator"
    assert [p.name for p in target.parent.iterdir()] == ["2027.toml"]  # no temporary left


def test_a_bad_file_is_not_stored(tmp_path: Path) -> None:
    with pytest.raises(InvalidDecreeFile):
        store(tmp_path, FILE_2027.replace("worked = 2027-01-09", "worked = 2027-01-11"))
    assert not operator_dir(tmp_path).exists()
    assert operator_years(tmp_path) == ()


def test_a_hand_edited_file_is_an_error_not_a_guess(tmp_path: Path) -> None:
    store(tmp_path, FILE_2027)
    path = operator_dir(tmp_path) / "kz" / "2027.toml"
    path.write_text(FILE_2027.replace("checked = 2026-12-01", ""), encoding="utf-8")
    with pytest.raises(InvalidDecreeFile, match=r"2027\.toml: checked"):
        operator_years(tmp_path)
    path.write_text(FILE_2027, encoding="utf-8")
    path.rename(path.with_name("2028.toml"))
    with pytest.raises(InvalidDecreeFile, match=r"belongs in kz/2027\.toml"):
        operator_years(tmp_path)


def test_the_operators_file_replaces_the_shipped_year() -> None:
    text = 'country = "KZ"\nyear = 2025\nchecked = 2026-12-01\n'  # "no moves in 2025"
    cal = calendar_for("kz_94v", parse_overrides([], [], [parse_decree_year(text)]))
    assert cal.decree_years[2025].origin == "operator"
    assert cal.decree_years[2024].origin == "shipped"
    # The shipped move (3 Jan rested, 5 Jan worked) is gone; the library still knows it,
    # so 3 Jan stays off, but Sunday 5 Jan is no longer a decree day (the library's).
    day = next(d for d in cal.days(2025) if d.day == date(2025, 1, 3))
    assert day.kind == "library"


def test_two_files_for_one_year_are_refused() -> None:
    data = parse_decree_year(FILE_2027)
    with pytest.raises(ValueError, match="two decree files"):
        CalendarOverrides(decrees=(data, data))


# --- the listing: each day and its ground ------------------------------------------------


def test_days_name_the_ground_of_each_day() -> None:
    overrides = parse_overrides(["2027-12-31"], ["2027-12-18"], [parse_decree_year(FILE_2027)])
    days = {d.day: d for d in calendar_for("kz_94v", overrides).days(2027)}
    assert (days[date(2027, 1, 1)].kind, days[date(2027, 1, 1)].source) == (
        "statute",
        "New Year's Day",
    )
    assert days[date(2027, 1, 4)].source == "New Year's Day (observed)"  # 2 Jan is a Saturday
    assert days[date(2027, 1, 8)].kind == "decree"
    assert days[date(2027, 1, 8)].source.endswith("No. 7 of 2026-11-30 (the operator's file)")
    assert days[date(2027, 1, 9)].working
    assert (days[date(2027, 12, 31)].kind, days[date(2027, 12, 31)].working) == ("override", False)
    assert days[date(2027, 12, 31)].source == "QORGAU_CALENDAR_DAYS_OFF"
    assert (days[date(2027, 12, 18)].source, days[date(2027, 12, 18)].working) == (
        "QORGAU_CALENDAR_WORKING_DAYS",
        True,
    )
    # An ordinary weekday or weekend day is not listed.
    assert date(2027, 1, 5) not in days
    assert date(2027, 1, 16) not in days


def test_shipped_decree_days_name_their_act() -> None:
    days = {d.day: d for d in calendar_for("kz_94v").days(2024)}
    assert days[date(2024, 5, 8)].kind == "decree"
    assert "No. 109 of 2024-04-17" in days[date(2024, 5, 8)].source
    assert not days[date(2024, 5, 8)].working
    assert days[date(2024, 5, 4)].working


def test_an_overridden_calendar_still_takes_dates_only() -> None:
    with pytest.raises(TypeError):
        WorkingCalendar("KZ", "Asia/Almaty").missing_decree_years("2026-01-01")  # type: ignore[arg-type]
