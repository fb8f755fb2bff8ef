"""Working calendars and due moments for the law profiles' terms (DESIGN invariant 7).

LAW.md: terms are counted in working days on the country's calendar — weekends, public
holidays, a non-religious holiday falling on a weekend moving the day off to the next working
day, and further days moved by Government decree each year — and "a term counted from an event
starts on the next day" (Civil Code). The operator's time zone is Asia/Almaty for KZ 94-V.

The statute (public holidays and the weekend-to-weekday moves) comes from the maintained
``holidays`` library; where it departs from LAW.md's list, :data:`LAW_MD_DEPARTURES` records
the decision. The decree moves come from :mod:`qorgau.law.decrees`: a data file per country
and year, shipped or loaded by the operator; a year without one is unknown and the calendar
says so (:meth:`WorkingCalendar.missing_decree_years`). The operator adds or overrides any
day through :class:`CalendarOverrides` (``QORGAU_CALENDAR_DAYS_OFF`` / ``_WORKING_DAYS``).

Precedence for one date, strongest first: the operator's ``working_days``, the operator's
``days_off``, the decree data, then the library (a weekend day is off unless the library
knows it as a worked transfer day; a weekday is off when it is a holiday or a moved day off).

Pure apart from the ``holidays`` library and the shipped decree files (no clock).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from qorgau.law.deadlines import Action, Term, Unit, term
from qorgau.law.decrees import Decree, DecreeYear, country_weekend, operator_years, shipped_years
from qorgau.law.profiles import PROFILES, UnknownLawProfile

if TYPE_CHECKING:
    from qorgau.config import Settings

__all__ = [
    "LAW_MD_DEPARTURES",
    "PROFILE_CALENDARS",
    "CalendarDay",
    "CalendarOverrides",
    "Departure",
    "WorkingCalendar",
    "calendar_for",
    "deadline",
    "describe_deadline",
    "operator_overrides",
    "parse_overrides",
    "parse_received",
]


@dataclass(frozen=True, slots=True)
class Departure:
    """Where the statute the calendar counts departs from LAW.md's holiday list: a decision.

    From ``first_year`` on, ``month``/``day`` is (``holiday=True``) or is not (``False``) a
    public holiday, though LAW.md says the opposite.
    """

    country: str
    month: int
    day: int
    first_year: int
    holiday: bool
    decision: str

    def applies(self, country: str, year: int) -> bool:
        return country == self.country and year >= self.first_year


#: LAW.md lists Kazakhstan's holidays from the Law "On holidays" as it stood before 2026 (30
#: August, Constitution Day). The Constitution adopted by the referendum of 15 March 2026
#: moved Constitution Day to the day of its adoption: the Ministry of Labour announced in
#: March 2026 that 30 August is no longer a holiday from 2026 and that 15 March is one from
#: 2027, and the ``holidays`` library (>= 0.109, citing the Law's history on adilet.zan.kz)
#: counts it so. Decision (LAW.md: "where a later law changes a figure, the law profile is
#: where it changes"): the calendar follows the later law. An operator who reads the law
#: otherwise sets QORGAU_CALENDAR_DAYS_OFF / _WORKING_DAYS. docs/operations.md repeats this;
#: tests/unit/law/test_calendar.py pins every difference from LAW.md's list to this table.
LAW_MD_DEPARTURES: tuple[Departure, ...] = (
    Departure(
        "KZ", 8, 30, 2026, holiday=False,
        decision="30 August is no longer Constitution Day from 2026 (Constitution of 15 March "
        "2026), nor is the weekday after it a day off when it falls on a weekend; LAW.md "
        "still lists it",
    ),
    Departure(
        "KZ", 3, 15, 2027, holiday=True,
        decision="Constitution Day is 15 March from 2027 (Constitution of 15 March 2026); "
        "LAW.md does not list it yet",
    ),
)  # fmt: skip

#: Each law profile's country calendar and operator time zone (the profiles' data).
PROFILE_CALENDARS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {code: (p.country, p.timezone) for code, p in PROFILES.items()}
)

#: More consecutive days off than this means a broken calendar, not a long holiday.
_MAX_DAYS_OFF_IN_A_ROW = 366


def _plain_date(value: date, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{what} must be a date, not {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class CalendarOverrides:
    """The operator's own calendar days (configuration).

    ``days_off``: extra days off (a decree the data does not know yet, a bridge day).
    ``working_days``: days worked although the calendar rests (a transferred working Saturday).
    A date cannot be in both. ``decrees``: the decree files the operator loaded
    (``qorgau law calendar load``); each replaces the shipped file of its country and year.
    """

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    decrees: tuple[DecreeYear, ...] = ()

    def __post_init__(self) -> None:
        for d in self.days_off:
            _plain_date(d, "a day off")
        for d in self.working_days:
            _plain_date(d, "a working day")
        both = self.days_off & self.working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"calendar overrides: both a day off and a working day: {listed}")
        years = [(y.country, y.year) for y in self.decrees]
        if len(set(years)) != len(years):
            raise ValueError("calendar overrides: two decree files for one country and year")


@functools.cache
def _library_year(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(weekday days off, worked weekend days) the library knows for ``year``.

    Neighbouring years are loaded too: a transfer can cross the year boundary (KZ 2014:
    the day off 3 Jan 2014 for the worked 28 Dec 2013), and the library files it under the
    year of the day off.
    """
    cal = holidays.country_holidays(country, years=(year - 1, year, year + 1))
    days_off = frozenset(d for d in cal if d.year == year)
    worked = frozenset(d for d in cal.weekend_workdays if d.year == year)
    return days_off, worked


@functools.cache
def _library_names(country: str, year: int) -> Mapping[date, str]:
    """The library's name of each of the year's holidays, in English (for listings)."""
    try:
        cal = holidays.country_holidays(country, years=year, language="en_US")
    except (NotImplementedError, ValueError):  # pragma: no cover - every profile's has en_US
        cal = holidays.country_holidays(country, years=year)
    return MappingProxyType({d: str(n) for d, n in cal.items() if d.year == year})


@dataclass(frozen=True, slots=True)
class CalendarDay:
    """A day the calendar rests or works against the plain week, and on what ground.

    ``kind``: ``override`` (the operator's setting), ``decree`` (a decree file), ``statute``
    (a public holiday or its move off a weekend, from the ``holidays`` library), ``library``
    (a move the library knows that no decree file records) or ``decision`` (a date where the
    statute departs from LAW.md and is not a holiday). ``note``: the decision, if any.
    """

    day: date
    working: bool
    kind: str
    source: str
    note: str = ""


class WorkingCalendar:
    """One country's working calendar, in the operator's time zone, with the operator's days.

    A term in working days counted from an event starts on the next day (LAW.md, Civil Code):
    the due day is the n-th working day after the local date of the event, and the term runs
    to the end of that day in the calendar's time zone.
    """

    __slots__ = (
        "_decree_off",
        "_decree_source",
        "_decree_worked",
        "_weekend",
        "country",
        "decree_years",
        "overrides",
        "tz",
    )

    def __init__(
        self, country: str, tz: str, overrides: CalendarOverrides = CalendarOverrides()
    ) -> None:
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {tz!r}") from None
        self.country = country.upper()
        self.overrides = overrides
        self._weekend = country_weekend(self.country)
        years = shipped_years(self.country)
        years.update({y.year: y for y in overrides.decrees if y.country == self.country})
        #: The decree data in force, by year: the operator's file, else the shipped one.
        self.decree_years: Mapping[int, DecreeYear] = MappingProxyType(years)
        source: dict[date, tuple[Decree, DecreeYear]] = {}
        off: set[date] = set()
        worked: set[date] = set()
        for data in years.values():
            for move, decree in data.moves():
                if move.day_off is not None:
                    off.add(move.day_off)
                    source[move.day_off] = (decree, data)
                if move.worked is not None:
                    worked.add(move.worked)
                    source[move.worked] = (decree, data)
        self._decree_off = frozenset(off)
        self._decree_worked = frozenset(worked)
        self._decree_source = MappingProxyType(source)

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar({self.country!r}, {self.tz.key!r}, "
            f"{len(self.overrides.days_off)} days off and "
            f"{len(self.overrides.working_days)} working days overridden, "
            f"decree data for {sorted(self.decree_years)})"
        )

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is worked on this calendar (see the module's precedence)."""
        d = _plain_date(d, "the day")
        if d in self.overrides.working_days:
            return True
        if d in self.overrides.days_off or d in self._decree_off:
            return False
        if d in self._decree_worked:
            return True
        days_off, worked = _library_year(self.country, d.year)
        if d.weekday() in self._weekend:
            return d in worked
        return d not in days_off

    def missing_decree_years(self, today: date) -> list[int]:
        """Which of ``today``'s year and the next have no decree data (unknown moves)."""
        today = _plain_date(today, "today")
        return [y for y in (today.year, today.year + 1) if y not in self.decree_years]

    def days(self, year: int) -> list[CalendarDay]:
        """Every day of ``year`` off on a weekday, worked on the weekend, or a holiday (on a
        weekend too), with its ground; and the dates where a decision departs from LAW.md."""
        names = _library_names(self.country, year)
        _, lib_worked = _library_year(self.country, year)
        found: list[CalendarDay] = []
        d = date(year, 1, 1)
        while d.year == year:
            entry = self._explain(d, names, lib_worked)
            if entry is not None:
                found.append(entry)
            d += timedelta(days=1)
        return found

    def _explain(
        self, d: date, names: Mapping[date, str], lib_worked: frozenset[date]
    ) -> CalendarDay | None:
        working = self.is_working_day(d)
        note = next(
            (
                x.decision
                for x in LAW_MD_DEPARTURES
                if x.applies(self.country, d.year) and (x.month, x.day) == (d.month, d.day)
            ),
            "",
        )
        if d in self.overrides.working_days:
            return CalendarDay(d, True, "override", "QORGAU_CALENDAR_WORKING_DAYS", note)
        if d in self.overrides.days_off:
            return CalendarDay(d, False, "override", "QORGAU_CALENDAR_DAYS_OFF", note)
        if d in self._decree_source:
            decree, data = self._decree_source[d]
            mine = " (the operator's file)" if data.origin == "operator" else ""
            return CalendarDay(d, working, "decree", decree.source + mine, note)
        name = names.get(d)
        if name is not None:
            kind = "library" if "substituted" in name.lower() else "statute"
            return CalendarDay(d, working, kind, name, note)
        if d in lib_worked:
            return CalendarDay(d, True, "library", "worked weekend day (holidays library)", note)
        if note:
            return CalendarDay(d, working, "decision", "not a public holiday", note)
        return None

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself never counts; n=0: ``start``).

        LAW.md: a term counted from an event starts on the next day.
        """
        d = _plain_date(start, "the start")
        if n < 0:
            raise ValueError(f"working days to add must be >= 0, not {n}")
        for _ in range(n):
            d = self._next_working_day(d)
        return d

    def _next_working_day(self, d: date) -> date:
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
            d += timedelta(days=1)
            if self.is_working_day(d):
                return d
        raise ValueError(
            f"{self.country} calendar: no working day within {_MAX_DAYS_OFF_IN_A_ROW} days "
            f"after {d.isoformat()}; check the calendar overrides"
        )

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the calendar's time zone; a naive datetime is refused."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(
                f"{moment.isoformat()} has no time zone; give an offset (e.g. +05:00 or Z)"
            )
        return moment.astimezone(self.tz)

    def end_of_day(self, d: date) -> datetime:
        """The last moment of ``d`` in the calendar's time zone (23:59:59.999999)."""
        return datetime.combine(_plain_date(d, "the day"), time.max, tzinfo=self.tz)

    def due(self, received: datetime, term: Term) -> datetime:
        """The moment ``term`` runs out for an event at ``received`` (aware, calendar tz).

        WORKING_DAYS: end of the n-th working day after the local date of ``received``.
        DAYS: end of the local date of ``received`` plus n days.
        HOURS: exactly n hours after ``received``.
        ``received`` may be in any time zone; a naive datetime is refused (``ValueError``).
        """
        local = self.local(received)
        if term.unit is Unit.WORKING_DAYS:
            return self.end_of_day(self.add_working_days(local.date(), term.amount))
        if term.unit is Unit.DAYS:
            return self.end_of_day(local.date() + timedelta(days=term.amount))
        if term.unit is Unit.HOURS:
            exact = received.astimezone(UTC) + timedelta(hours=term.amount)
            return exact.astimezone(self.tz)
        raise ValueError(f"unknown term unit {term.unit!r}")  # pragma: no cover

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days after the local date of ``start`` up to and including that of ``end``.

        ``working_days_between(received, due(received, t)) == t.amount`` for a working-day
        term, and ``working_days_between(due, done)`` is how many working days late ``done``
        is (0: on time or on the due day). Negative when ``end`` is before ``start``.
        """
        a = self.local(start).date()
        b = self.local(end).date()
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        count = 0
        d = a
        while d < b:
            d += timedelta(days=1)
            count += self.is_working_day(d)
        return sign * count


def calendar_for(profile: str, overrides: CalendarOverrides | None = None) -> WorkingCalendar:
    """The working calendar of a law profile (kz_94v: KZ, Asia/Almaty; ru_152fz: RU,
    Europe/Moscow), with the operator's overrides.

    Raises :class:`~qorgau.law.profiles.UnknownLawProfile` for a profile without a calendar.
    """
    try:
        country, tz = PROFILE_CALENDARS[profile]
    except KeyError:
        raise UnknownLawProfile(profile) from None
    return WorkingCalendar(country, tz, overrides or CalendarOverrides())


def deadline(
    profile: str,
    action: Action | str,
    received: datetime,
    overrides: CalendarOverrides | None = None,
    *,
    extended: bool = False,
) -> datetime:
    """When ``action`` is due under ``profile`` for an event at ``received``.

    The result is aware, in the profile's operator time zone. ``extended=True`` adds the
    term's extension (RF 152-FZ Art. 20 p.2: +5 working days with a motivated notice) and
    raises ``ValueError`` for a term that has none.
    """
    t = term(profile, action)
    if extended:
        t = t.extended()
    return calendar_for(profile, overrides).due(received, t)


def describe_deadline(
    profile: str,
    action: Action | str,
    received: datetime,
    overrides: CalendarOverrides | None = None,
) -> dict[str, str | int | None]:
    """The deadline with its term and source, JSON-ready (``qorgau law deadline --json``).

    Keys: profile, action, amount, unit, source, timezone, received and due (ISO, operator
    time zone), extension and extended_due (``None`` when the term has no extension).
    """
    t = term(profile, action)
    cal = calendar_for(profile, overrides)
    return {
        "profile": profile,
        "action": t.action.value,
        "amount": t.amount,
        "unit": t.unit.value,
        "source": t.source,
        "timezone": cal.tz.key,
        "received": cal.local(received).isoformat(),
        "due": cal.due(received, t).isoformat(),
        "extension": t.extension,
        "extended_due": (
            cal.due(received, t.extended()).isoformat() if t.extension is not None else None
        ),
    }


def parse_received(text: str) -> datetime:
    """An aware datetime from ISO 8601 text (``2026-01-16T19:30+05:00``, ``...Z``).

    A value without a time zone is refused: the due day depends on it.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO date-time: {text!r}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{text!r} has no time zone; give an offset (e.g. +05:00 or Z): "
            "the due day depends on it"
        )
    return moment


def _parse_dates(items: Iterable[str], what: str) -> frozenset[date]:
    found: set[date] = set()
    for item in items:
        try:
            found.add(date.fromisoformat(item.strip()))
        except (ValueError, AttributeError, TypeError):
            raise ValueError(f"{what}: {item!r} is not an ISO date (YYYY-MM-DD)") from None
    return frozenset(found)


def parse_overrides(
    days_off: Iterable[str],
    working_days: Iterable[str],
    decrees: Iterable[DecreeYear] = (),
) -> CalendarOverrides:
    """Calendar overrides from configuration: ISO dates (``YYYY-MM-DD``), and the decree
    files the operator loaded (:func:`qorgau.law.decrees.operator_years`).

    Raises ``ValueError`` naming the bad item, or the dates given as both.
    """
    return CalendarOverrides(
        days_off=_parse_dates(days_off, "calendar days off"),
        working_days=_parse_dates(working_days, "calendar working days"),
        decrees=tuple(decrees),
    )


def operator_overrides(settings: Settings) -> CalendarOverrides:
    """The operator's calendar: ``QORGAU_CALENDAR_DAYS_OFF`` / ``_WORKING_DAYS`` and the
    decree files loaded under ``QORGAU_HOME/calendars`` (reads those files)."""
    return parse_overrides(
        settings.calendar_days_off, settings.calendar_working_days, operator_years(settings.home)
    )
