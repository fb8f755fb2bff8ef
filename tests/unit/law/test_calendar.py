"""Working calendars and due moments on real dates (LAW.md, DESIGN invariant 7).

Kazakhstan has been on UTC+5 all year since 1 March 2024 (Asia/Almaty); Moscow is UTC+3.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
import pytest

from qorgau.law.calendar import (
    LAW_MD_DEPARTURES,
    CalendarOverrides,
    WorkingCalendar,
    calendar_for,
    deadline,
    describe_deadline,
    parse_overrides,
    parse_received,
)
from qorgau.law.deadlines import Action, Term, Unit, term
from qorgau.law.decrees import shipped_years
from qorgau.law.profiles import UnknownLawProfile

ALMATY = timezone(timedelta(hours=5))
MOSCOW = timezone(timedelta(hours=3))
KZ = calendar_for("kz_94v")
RU = calendar_for("ru_152fz")


def end_of(d: date, calendar: WorkingCalendar = KZ) -> datetime:
    return datetime.combine(d, time(23, 59, 59, 999999), tzinfo=calendar.tz)


# --- the Kazakhstan calendar ------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 16), True),  # Friday
        (date(2026, 1, 17), False),  # Saturday
        (date(2026, 1, 7), False),  # Orthodox Christmas, a Wednesday
        (date(2026, 3, 23), False),  # Nauryz, Monday
        (date(2026, 3, 24), False),  # Nauryz 21 Mar (Sat) moved to Tuesday
        (date(2026, 3, 25), False),  # Nauryz 22 Mar (Sun) moved to Wednesday
        (date(2026, 3, 26), True),
        (date(2025, 3, 10), False),  # 8 March 2025 (Sat) moved to Monday
        (date(2023, 12, 18), False),  # 16 Dec 2023 (Sat) moved to Monday
        (date(2024, 1, 8), True),  # 7 Jan 2024 (Sun) is religious: not moved
        (date(2024, 5, 4), True),  # worked Saturday, for the day off on 8 May 2024
        (date(2024, 5, 8), False),
        (date(2025, 1, 5), True),  # worked Sunday, for the day off on 3 Jan 2025
        (date(2025, 1, 3), False),
    ],
)
def test_kz_working_days(day: date, working: bool) -> None:
    assert KZ.is_working_day(day) is working


def test_request_on_a_friday_evening_in_almaty_is_due_on_wednesday() -> None:
    received = datetime(2026, 1, 16, 19, 30, tzinfo=ALMATY)  # Friday
    due = deadline("kz_94v", Action.ACCESS, received)
    assert due == end_of(date(2026, 1, 21))  # Mon 19, Tue 20, Wed 21
    assert due.tzinfo == KZ.tz
    assert due.isoformat() == "2026-01-21T23:59:59.999999+05:00"


def test_three_working_days_across_nauryz() -> None:
    # Friday 20 Mar 2026; 21-23 Mar are Nauryz, and 24-25 Mar take the weekend's two.
    received = datetime(2026, 3, 20, 11, 0, tzinfo=ALMATY)
    assert deadline("kz_94v", Action.ACCESS, received) == end_of(date(2026, 3, 30))
    # Thursday 20 Mar 2025; 21 Mar (Fri) Nauryz, 24-25 Mar moved from the weekend.
    received = datetime(2025, 3, 20, 11, 0, tzinfo=ALMATY)
    assert deadline("kz_94v", Action.RECTIFY, received) == end_of(date(2025, 3, 26))


def test_year_boundary_new_year_and_orthodox_christmas() -> None:
    # Tue 30 Dec 2025: Wed 31 Dec; 1-2 Jan holidays; weekend; Mon 5, Tue 6 Jan.
    received = datetime(2025, 12, 30, 9, 0, tzinfo=ALMATY)
    assert deadline("kz_94v", Action.ACCESS, received) == end_of(date(2026, 1, 6))
    # Wed 31 Dec 2025: Mon 5, Tue 6, (Wed 7 Jan Christmas), Thu 8 Jan.
    received = datetime(2025, 12, 31, 9, 0, tzinfo=ALMATY)
    assert deadline("kz_94v", Action.ACCESS, received) == end_of(date(2026, 1, 8))


def test_year_boundary_with_a_decree_transfer() -> None:
    # Mon 30 Dec 2024: Tue 31 Dec; 1-2 Jan holidays, 3 Jan moved day off; Sun 5 Jan worked;
    # Mon 6 Jan. Without the decree it would be Wed 8 Jan (7 Jan is Christmas).
    received = datetime(2024, 12, 30, 15, 0, tzinfo=ALMATY)
    assert deadline("kz_94v", Action.ACCESS, received) == end_of(date(2025, 1, 6))


def test_time_zone_decides_the_day_near_almaty_midnight() -> None:
    before = datetime(2026, 1, 15, 18, 59, 59, tzinfo=UTC)  # Thu 23:59:59 in Almaty
    after = datetime(2026, 1, 15, 19, 0, 0, tzinfo=UTC)  # Fri 00:00:00 in Almaty
    assert deadline("kz_94v", Action.RECTIFY, before) == end_of(date(2026, 1, 16))
    assert deadline("kz_94v", Action.RECTIFY, after) == end_of(date(2026, 1, 19))
    assert deadline("kz_94v", Action.ACCESS, before) == end_of(date(2026, 1, 20))
    assert deadline("kz_94v", Action.ACCESS, after) == end_of(date(2026, 1, 21))


def test_holiday_on_a_weekend_moves_the_day_off() -> None:
    # 8 March 2025 is a Saturday: Monday 10 March is off.
    received = datetime(2025, 3, 7, 12, 0, tzinfo=ALMATY)
    assert deadline("kz_94v", Action.BLOCK, received) == end_of(date(2025, 3, 11))
    # 16 December 2023 is a Saturday: Monday 18 December is off.
    received = datetime(2023, 12, 15, 12, 0, tzinfo=ALMATY)
    assert deadline("kz_94v", Action.DESTROY, received) == end_of(date(2023, 12, 19))


def test_religious_holiday_on_a_weekend_is_not_moved() -> None:
    # 7 Jan 2024 (Orthodox Christmas) is a Sunday: Monday 8 Jan is worked.
    received = datetime(2024, 1, 5, 12, 0, tzinfo=ALMATY)
    assert deadline("kz_94v", Action.UNBLOCK, received) == end_of(date(2024, 1, 8))


def test_request_on_a_day_off_counts_from_the_next_working_day() -> None:
    received = datetime(2026, 3, 22, 10, 0, tzinfo=ALMATY)  # Sunday, Nauryz
    assert deadline("kz_94v", Action.RECTIFY, received) == end_of(date(2026, 3, 26))


def test_shipped_decree_data_agrees_with_the_library() -> None:
    shipped = shipped_years("KZ")
    assert sorted(shipped) == [2024, 2025]
    lib = holidays.country_holidays("KZ", years=sorted(shipped))
    for data in shipped.values():
        assert data.origin == "shipped"
        assert data.moves(), data
        for move, decree in data.moves():
            assert move.day_off in lib, move
            assert move.worked in lib.weekend_workdays, move
            assert move.day_off is not None
            assert move.worked is not None
            assert move.day_off.weekday() < 5 <= move.worked.weekday()
            assert decree.source.startswith("Order of the Minister of Labour"), decree
            assert decree.reference is not None
            assert decree.reference.startswith("https://adilet.zan.kz/")


# --- the operator's overrides -----------------------------------------------------------


def test_operator_added_day_off() -> None:
    received = datetime(2026, 1, 8, 10, 0, tzinfo=ALMATY)  # Thursday
    assert deadline("kz_94v", Action.RECTIFY, received) == end_of(date(2026, 1, 9))
    extra = parse_overrides(["2026-01-09"], [])
    assert deadline("kz_94v", Action.RECTIFY, received, extra) == end_of(date(2026, 1, 12))


def test_operator_added_working_saturday() -> None:
    received = datetime(2026, 1, 16, 19, 30, tzinfo=ALMATY)  # Friday
    worked = parse_overrides([], ["2026-01-17"])
    assert deadline("kz_94v", Action.ACCESS, received, worked) == end_of(date(2026, 1, 20))
    assert calendar_for("kz_94v", worked).is_working_day(date(2026, 1, 17))


def test_operator_overrides_win_over_the_library_and_the_decree_table() -> None:
    cal = calendar_for(
        "kz_94v",
        CalendarOverrides(
            days_off=frozenset({date(2025, 1, 5)}),  # the decree's worked Sunday
            working_days=frozenset({date(2026, 3, 25)}),  # a moved Nauryz day off
        ),
    )
    assert not cal.is_working_day(date(2025, 1, 5))
    assert cal.is_working_day(date(2026, 3, 25))


def test_parse_overrides() -> None:
    o = parse_overrides([" 2026-12-31 ", "2026-12-31"], ["2026-12-26"])
    assert o == CalendarOverrides(
        days_off=frozenset({date(2026, 12, 31)}), working_days=frozenset({date(2026, 12, 26)})
    )
    assert parse_overrides([], []) == CalendarOverrides()


@pytest.mark.parametrize(
    ("days_off", "working_days", "message"),
    [
        (["2026-01-09", "2026-13-01"], [], r"days off: '2026-13-01' is not an ISO date"),
        ([], ["next saturday"], r"working days: 'next saturday' is not an ISO date"),
        (["2026-01-09"], ["2026-01-09"], r"both a day off and a working day: 2026-01-09"),
    ],
)
def test_parse_overrides_names_the_bad_item(
    days_off: list[str], working_days: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_overrides(days_off, working_days)


def test_overrides_take_dates_not_datetimes() -> None:
    with pytest.raises(TypeError, match="date"):
        CalendarOverrides(days_off=frozenset({datetime(2026, 1, 9, tzinfo=UTC)}))


# --- the Russian calendar ---------------------------------------------------------------


def test_ru_ten_working_days_across_the_new_year_holidays() -> None:
    # Fri 26 Dec 2025 in Moscow: Mon 29, Tue 30 Dec; 31 Dec and 1-11 Jan off (holidays,
    # moved days off, weekend); then 12-16 and 19-21 Jan.
    received = datetime(2025, 12, 26, 10, 0, tzinfo=MOSCOW)
    due = deadline("ru_152fz", Action.ACCESS, received)
    assert due == end_of(date(2026, 1, 21), RU)
    assert due.isoformat() == "2026-01-21T23:59:59.999999+03:00"
    # Extended by 5 working days with a motivated notice (Art. 20 p.2).
    extended = deadline("ru_152fz", Action.ACCESS, received, extended=True)
    assert extended == end_of(date(2026, 1, 28), RU)


def test_ru_counts_in_moscow_time() -> None:
    # 21:30 UTC on Friday 16 Jan 2026 is already Saturday 00:30 in Moscow.
    received = datetime(2026, 1, 16, 21, 30, tzinfo=UTC)
    # From Saturday: Mon 19, Tue 20, Wed 21 Jan.
    assert deadline("ru_152fz", Action.STOP_UNLAWFUL, received) == end_of(date(2026, 1, 21), RU)


def test_ru_rectify_seven_working_days_over_may() -> None:
    # Thu 30 Apr 2026: 1 May (Fri) holiday, weekend, 9 May (Sat) moved to Mon 11 May.
    received = datetime(2026, 4, 30, 10, 0, tzinfo=MOSCOW)
    # Mon 4, Tue 5, Wed 6, Thu 7, Fri 8, Tue 12, Wed 13 May.
    assert deadline("ru_152fz", Action.RECTIFY, received) == end_of(date(2026, 5, 13), RU)


# --- calendar days and hours ------------------------------------------------------------


def test_days_unit_counts_calendar_days_to_the_end_of_the_day() -> None:
    received = datetime(2026, 1, 15, 10, 0, tzinfo=MOSCOW)
    assert deadline("ru_152fz", Action.WITHDRAWN_DESTROY, received) == end_of(date(2026, 2, 14), RU)
    across_year = datetime(2025, 12, 15, 10, 0, tzinfo=MOSCOW)
    assert deadline("ru_152fz", Action.WITHDRAWN_DESTROY, across_year) == end_of(
        date(2026, 1, 14), RU
    )
    # 21:30 UTC on 14 Jan is 00:30 on 15 Jan in Moscow.
    utc = datetime(2026, 1, 14, 21, 30, tzinfo=UTC)
    assert deadline("ru_152fz", Action.WITHDRAWN_DESTROY, utc) == end_of(date(2026, 2, 14), RU)


def test_hours_unit_is_exact() -> None:
    received = datetime(2026, 3, 1, 10, 30, tzinfo=MOSCOW)
    due = deadline("ru_152fz", Action.BREACH_NOTICE, received)
    assert due == datetime(2026, 3, 2, 10, 30, tzinfo=MOSCOW)
    assert due.tzinfo == RU.tz
    from_utc = deadline("ru_152fz", Action.BREACH_NOTICE, datetime(2026, 3, 1, 7, 30, tzinfo=UTC))
    assert from_utc == due
    assert from_utc.isoformat() == "2026-03-02T10:30:00+03:00"


def test_days_and_hours_terms_on_the_kz_calendar() -> None:
    received = datetime(2026, 12, 20, 8, 0, tzinfo=ALMATY)
    assert KZ.due(received, Term(Action.DESTROY, 30, Unit.DAYS, "test")) == end_of(
        date(2027, 1, 19)
    )
    assert KZ.due(received, Term(Action.BREACH_NOTICE, 24, Unit.HOURS, "test")) == datetime(
        2026, 12, 21, 8, 0, tzinfo=ALMATY
    )


# --- refusals and helpers ---------------------------------------------------------------


def test_naive_datetime_is_refused() -> None:
    naive = datetime(2026, 1, 16, 19, 30)
    with pytest.raises(ValueError, match="no time zone"):
        deadline("kz_94v", Action.ACCESS, naive)
    with pytest.raises(ValueError, match="no time zone"):
        KZ.due(naive, term("kz_94v", Action.ACCESS))
    with pytest.raises(ValueError, match="no time zone"):
        KZ.working_days_between(naive, datetime(2026, 1, 20, tzinfo=UTC))
    with pytest.raises(ValueError, match="no time zone"):
        parse_received("2026-01-16T19:30:00")


def test_parse_received() -> None:
    assert parse_received("2026-01-16T19:30:00+05:00") == datetime(
        2026, 1, 16, 19, 30, tzinfo=ALMATY
    )
    assert parse_received("2026-01-16T14:30:00Z") == datetime(2026, 1, 16, 19, 30, tzinfo=ALMATY)
    with pytest.raises(ValueError, match="not an ISO date-time: 'friday'"):
        parse_received("friday")


def test_add_working_days() -> None:
    assert KZ.add_working_days(date(2026, 1, 16), 0) == date(2026, 1, 16)
    assert KZ.add_working_days(date(2026, 1, 16), 1) == date(2026, 1, 19)
    # Jan 2026: 5, 6, (7 off), 8, 9, 12, 13, 14, 15, 16, 19.
    assert KZ.add_working_days(date(2025, 12, 31), 10) == date(2026, 1, 19)
    with pytest.raises(ValueError, match=">= 0"):
        KZ.add_working_days(date(2026, 1, 16), -1)
    with pytest.raises(TypeError, match="must be a date"):
        KZ.add_working_days(datetime(2026, 1, 16, tzinfo=UTC), 1)


def test_working_days_between_measures_lateness() -> None:
    received = datetime(2026, 1, 16, 19, 30, tzinfo=ALMATY)
    t = term("kz_94v", Action.ACCESS)
    due = KZ.due(received, t)
    assert KZ.working_days_between(received, due) == t.amount
    assert KZ.working_days_between(due, datetime(2026, 1, 21, 9, 0, tzinfo=ALMATY)) == 0
    assert KZ.working_days_between(due, datetime(2026, 1, 23, 9, 0, tzinfo=ALMATY)) == 2
    # Over the weekend: Mon 26 Jan is the third working day after Wed 21 Jan.
    assert KZ.working_days_between(due, datetime(2026, 1, 26, 4, 0, tzinfo=UTC)) == 3
    assert KZ.working_days_between(datetime(2026, 1, 26, 9, 0, tzinfo=ALMATY), due) == -3
    # Across Nauryz 2026 (21-25 Mar off): Fri 20 -> Thu 26 Mar is one working day.
    assert (
        KZ.working_days_between(
            datetime(2026, 3, 20, 9, 0, tzinfo=ALMATY), datetime(2026, 3, 26, 9, 0, tzinfo=ALMATY)
        )
        == 1
    )


def test_describe_deadline_for_the_cli() -> None:
    info = describe_deadline("ru_152fz", "access", parse_received("2025-12-26T07:00:00Z"))
    assert info == {
        "profile": "ru_152fz",
        "action": "access",
        "amount": 10,
        "unit": "working_days",
        "source": "RF 152-FZ Art. 14 p.3, Art. 20",
        "timezone": "Europe/Moscow",
        "received": "2025-12-26T10:00:00+03:00",
        "due": "2026-01-21T23:59:59.999999+03:00",
        "extension": 5,
        "extended_due": "2026-01-28T23:59:59.999999+03:00",
    }
    kz = describe_deadline("kz_94v", Action.RECTIFY, parse_received("2026-01-15T19:00:00Z"))
    assert (kz["due"], kz["extended_due"], kz["timezone"]) == (
        "2026-01-19T23:59:59.999999+05:00",
        None,
        "Asia/Almaty",
    )


def test_calendar_for_profiles() -> None:
    assert (KZ.country, KZ.tz.key) == ("KZ", "Asia/Almaty")
    assert (RU.country, RU.tz.key) == ("RU", "Europe/Moscow")
    with pytest.raises(UnknownLawProfile):
        calendar_for("us_ccpa")


def test_unknown_country_or_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="country 'XX'"):
        WorkingCalendar("XX", "Asia/Almaty")
    with pytest.raises(ValueError, match="time zone 'Asia/Nowhere'"):
        WorkingCalendar("KZ", "Asia/Nowhere")


# --- where the statute departs from LAW.md: documented decisions ------------------------

#: LAW.md's Kazakh public holidays (month, day), besides the first day of Kurban Ait.
LAW_MD_KZ_HOLIDAYS = frozenset(
    {(1, 1), (1, 2), (1, 7), (3, 8), (3, 21), (3, 22), (3, 23), (5, 1), (5, 7), (5, 9),
     (7, 6), (8, 30), (10, 25), (12, 16)}
)  # fmt: skip


@pytest.mark.parametrize("year", range(2022, 2032))
def test_every_difference_from_law_md_is_a_recorded_decision(year: int) -> None:
    """The library's named holidays (not the weekend moves, not Kurban Ait) against LAW.md's
    list: whatever differs is exactly a LAW_MD_DEPARTURES entry, with its decision text."""
    lib = holidays.country_holidays("KZ", years=year, language="en_US")
    named = {
        (d.month, d.day)
        for d, name in lib.items()
        if "observed" not in name and "substituted" not in name and "Eid" not in name
    }
    assert sum("Eid al-Adha" in name for name in lib.values()) == 1  # Kurban Ait, its 1st day
    expected = set(LAW_MD_KZ_HOLIDAYS)
    for x in LAW_MD_DEPARTURES:
        if x.applies("KZ", year):
            assert x.decision, x
            if x.holiday:
                expected.add((x.month, x.day))
            else:
                expected.discard((x.month, x.day))
    assert named == expected


@pytest.mark.parametrize(
    ("day", "working", "why"),
    [
        (date(2025, 9, 1), False, "30 Aug 2025 (Sat), Constitution Day, moved to Monday"),
        (date(2026, 8, 31), True, "30 Aug 2026 (Sun) is no longer a holiday: Monday worked"),
        (date(2027, 8, 30), True, "30 Aug 2027 is a Monday and no holiday"),
        (date(2027, 3, 15), False, "Constitution Day from 2027, a Monday"),
        (date(2026, 3, 16), True, "15 March is no holiday in 2026 (Mon 16 worked)"),
        (date(2028, 3, 15), False, "Constitution Day 2028, a Wednesday"),
    ],
)
def test_constitution_day_follows_the_constitution_of_2026(
    day: date, working: bool, why: str
) -> None:
    assert KZ.is_working_day(day) is working, why


def test_the_listing_shows_the_decisions() -> None:
    d2026 = {d.day: d for d in KZ.days(2026)}
    assert d2026[date(2026, 8, 30)].kind == "decision"
    assert "no longer Constitution Day" in d2026[date(2026, 8, 30)].note
    d2027 = {d.day: d for d in KZ.days(2027)}
    assert (d2027[date(2027, 3, 15)].kind, d2027[date(2027, 3, 15)].source) == (
        "statute",
        "Constitution Day",
    )
    assert "15 March from 2027" in d2027[date(2027, 3, 15)].note
    assert d2027[date(2027, 8, 30)].working
    assert "LAW.md still lists it" in d2027[date(2027, 8, 30)].note


def test_the_operator_can_still_rest_on_30_august() -> None:
    cal = calendar_for("kz_94v", parse_overrides(["2026-08-31"], []))
    assert not cal.is_working_day(date(2026, 8, 31))
