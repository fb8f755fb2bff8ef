"""Working calendars and due moments for the law profiles' terms (DESIGN invariant 7).

LAW.md: terms are counted in working days on the country's calendar — weekends, public
holidays, a non-religious holiday falling on a weekend moving the day off to the next working
day, and further days moved by Government decree each year — and "a term counted from an event
starts on the next day" (Civil Code). The operator's time zone is Asia/Almaty for KZ 94-V.

The public holidays, the weekend-to-weekday moves and the decree transfers (with the weekend
day worked in exchange) come from the maintained ``holidays`` library. :data:`KZ_DECREE_TRANSFERS`
restates the Kazakh decree transfers this module is sure of, so that they hold whatever the
library does; the operator adds or overrides any day through :class:`CalendarOverrides` (a
decree published after the library's release, a bridge day, a worked Saturday).

Precedence for one date, strongest first: the operator's ``working_days``, the operator's
``days_off``, the decree table, then the library (a weekend day is off unless the library
knows it as a worked transfer day; a weekday is off when it is a holiday or a moved day off).

Pure apart from the ``holidays`` library (no I/O, no clock).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from qorgau.law.deadlines import Action, Term, Unit, term
from qorgau.law.profiles import PROFILES, UnknownLawProfile

__all__ = [
    "KZ_DECREE_TRANSFERS",
    "PROFILE_CALENDARS",
    "CalendarOverrides",
    "DecreeTransfer",
    "WorkingCalendar",
    "calendar_for",
    "deadline",
    "describe_deadline",
    "parse_overrides",
    "parse_received",
]


@dataclass(frozen=True, slots=True)
class DecreeTransfer:
    """A day off moved by Government decree: ``day_off`` is rested, ``worked`` is worked."""

    day_off: date
    worked: date
    decree: str


#: Kazakhstan's Government-decree transfers of days off that this module states with
#: confidence (each also present in ``holidays`` >= 0.109). Later decrees go into the
#: operator's :class:`CalendarOverrides` until they are added here or reach the library.
KZ_DECREE_TRANSFERS: tuple[DecreeTransfer, ...] = (
    # Bridges Defender of the Fatherland Day (Tue 7 May) and Victory Day (Thu 9 May 2024).
    DecreeTransfer(date(2024, 5, 8), date(2024, 5, 4), "Government Decree No. 109 of 2024"),
    # Bridges the New Year holidays (Wed 1 - Thu 2 Jan 2025) to the weekend.
    DecreeTransfer(date(2025, 1, 3), date(2025, 1, 5), "Government Decree No. 436 of 2024"),
)

_DECREE_TRANSFERS: Mapping[str, tuple[DecreeTransfer, ...]] = MappingProxyType(
    {"KZ": KZ_DECREE_TRANSFERS}
)

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

    ``days_off``: extra days off (a decree the library does not know yet, a bridge day).
    ``working_days``: days worked although the calendar rests (a transferred working Saturday).
    A date cannot be in both.
    """

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        for d in self.days_off:
            _plain_date(d, "a day off")
        for d in self.working_days:
            _plain_date(d, "a working day")
        both = self.days_off & self.working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"calendar overrides: both a day off and a working day: {listed}")


@functools.cache
def _library_weekend(country: str) -> frozenset[int]:
    try:
        cal = holidays.country_holidays(country, years=())
    except NotImplementedError:
        raise ValueError(f"no holiday calendar for country {country!r}") from None
    return frozenset(cal.weekend)


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


class WorkingCalendar:
    """One country's working calendar, in the operator's time zone, with the operator's days.

    A term in working days counted from an event starts on the next day (LAW.md, Civil Code):
    the due day is the n-th working day after the local date of the event, and the term runs
    to the end of that day in the calendar's time zone.
    """

    __slots__ = ("_decree_off", "_decree_worked", "_weekend", "country", "overrides", "tz")

    def __init__(
        self, country: str, tz: str, overrides: CalendarOverrides = CalendarOverrides()
    ) -> None:
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {tz!r}") from None
        self.country = country.upper()
        self.overrides = overrides
        self._weekend = _library_weekend(self.country)
        transfers = _DECREE_TRANSFERS.get(self.country, ())
        self._decree_off = frozenset(t.day_off for t in transfers)
        self._decree_worked = frozenset(t.worked for t in transfers)

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar({self.country!r}, {self.tz.key!r}, "
            f"{len(self.overrides.days_off)} days off and "
            f"{len(self.overrides.working_days)} working days overridden)"
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


def parse_overrides(days_off: Iterable[str], working_days: Iterable[str]) -> CalendarOverrides:
    """Calendar overrides from configuration: ISO dates (``YYYY-MM-DD``).

    Raises ``ValueError`` naming the bad item, or the dates given as both.
    """
    return CalendarOverrides(
        days_off=_parse_dates(days_off, "calendar days off"),
        working_days=_parse_dates(working_days, "calendar working days"),
    )
