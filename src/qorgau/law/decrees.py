"""Decree moves of days off as data: one TOML file per country and year (issue 14).

LAW.md: besides the statute's holidays, "the Government moves further days by decree each
year". A year's file lists every act known to move days off in that year, each move written
as its effect: ``day_off``, a weekday rested, and ``worked``, a weekend day worked in
exchange (either may stand alone). A file with no ``[[decree]]`` states that the year has
none, as of its ``checked`` date. A year without a file is *unknown*: the calendar counts it
from the statute alone, and the console and ``qorgau check`` say so.

Files shipped with the package: ``qorgau/law/calendars/<cc>/<year>.toml``. The operator's,
loaded with ``qorgau law calendar load FILE``: ``QORGAU_HOME/calendars/<cc>/<year>.toml``;
an operator's file for a year replaces the shipped one for that year.

Parsing is pure; :func:`shipped_years`, :func:`operator_years` and :func:`store` read and
write files.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import holidays

from qorgau.errors import DomainError

__all__ = [
    "Decree",
    "DecreeYear",
    "InvalidDecreeFile",
    "Move",
    "country_weekend",
    "operator_dir",
    "operator_years",
    "parse_decree_year",
    "shipped_years",
    "store",
]

#: A decree file is a few lines; anything much larger is not one.
MAX_FILE_BYTES = 64 * 1024
_COUNTRY = re.compile(r"[A-Z]{2}", re.ASCII)
_FILE_NAME = re.compile(r"([0-9]{4})\.toml", re.ASCII)
_TOP_KEYS = frozenset({"country", "year", "checked", "note", "decree"})
_DECREE_KEYS = frozenset({"act", "number", "issued", "title", "reference", "moves"})
_MOVE_KEYS = frozenset({"day_off", "worked"})
SHIPPED = "shipped"
OPERATOR = "operator"


class InvalidDecreeFile(DomainError):
    """A decree file that cannot be used: the message names the item, never guesses."""

    code = "invalid-decree-file"


@functools.cache
def country_weekend(country: str) -> frozenset[int]:
    """The weekdays (0 = Monday) a country rests every week, from the ``holidays`` library."""
    try:
        cal = holidays.country_holidays(country, years=())
    except NotImplementedError:
        raise ValueError(f"no holiday calendar for country {country!r}") from None
    return frozenset(cal.weekend)


@dataclass(frozen=True, slots=True)
class Move:
    """One move's effect: ``day_off`` rested (a weekday), ``worked`` worked (a weekend day)."""

    day_off: date | None
    worked: date | None


@dataclass(frozen=True, slots=True)
class Decree:
    """An act that moves days off, as the file names it."""

    act: str
    moves: tuple[Move, ...]
    number: str | None = None
    #: The act's date, or only its year when the date is not known.
    issued: date | int | None = None
    title: str | None = None
    reference: str | None = None

    @property
    def source(self) -> str:
        """``<act> No. <number> of <date>``: how the calendar names the act."""
        text = self.act
        if self.number:
            text += f" No. {self.number}"
        if self.issued is not None:
            when = self.issued.isoformat() if isinstance(self.issued, date) else self.issued
            text += f" of {when}"
        return text


@dataclass(frozen=True, slots=True)
class DecreeYear:
    """What is known of one country's decree moves in one year (an empty ``decrees``: none)."""

    country: str
    year: int
    #: When the acts were last checked against their sources.
    checked: date
    decrees: tuple[Decree, ...]
    note: str = ""
    #: ``shipped`` (the package's file) or ``operator`` (loaded under QORGAU_HOME).
    origin: str = SHIPPED

    def moves(self) -> list[tuple[Move, Decree]]:
        return [(m, d) for d in self.decrees for m in d.moves]


def _plain_date(value: object, where: str) -> date:
    # TOML gives a local date as `date`, a date-time as `datetime` (a subclass): refuse it.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidDecreeFile(f"{where} must be a date (YYYY-MM-DD, unquoted)")
    return value


def _text(table: Mapping[str, Any], key: str, where: str, *, limit: int, required: bool) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise InvalidDecreeFile(f"{where}.{key} must be a non-empty string")
    if len(value) > limit or any(c in value for c in "\r\n\x00"):
        raise InvalidDecreeFile(f"{where}.{key} must be one line of at most {limit} characters")
    return value.strip()


def _unknown(table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise InvalidDecreeFile(
            f"{where}: unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}"
        )


def _move(raw: object, where: str, year: int, weekend: frozenset[int]) -> Move:
    if not isinstance(raw, dict):
        raise InvalidDecreeFile(f"{where} must be a table {{ day_off = ..., worked = ... }}")
    _unknown(raw, _MOVE_KEYS, where)
    day_off = _plain_date(raw["day_off"], f"{where}.day_off") if "day_off" in raw else None
    worked = _plain_date(raw["worked"], f"{where}.worked") if "worked" in raw else None
    if day_off is None and worked is None:
        raise InvalidDecreeFile(f"{where} needs day_off, worked, or both")
    if day_off is not None:
        if day_off.year != year:
            raise InvalidDecreeFile(f"{where}.day_off {day_off} is not in {year}")
        if day_off.weekday() in weekend:
            raise InvalidDecreeFile(
                f"{where}.day_off {day_off} is on the weekend: a moved day off is a weekday"
            )
    if worked is not None:
        # A transfer may cross the new year (KZ 2014: 3 Jan rested for 28 Dec 2013 worked).
        span = (year, year) if day_off is None else (year - 1, year + 1)
        if not span[0] <= worked.year <= span[1]:
            raise InvalidDecreeFile(f"{where}.worked {worked} is too far from {year}")
        if worked.weekday() not in weekend:
            raise InvalidDecreeFile(
                f"{where}.worked {worked} is a weekday: a worked day moved by decree is a "
                "weekend day"
            )
    return Move(day_off, worked)


def _issued(raw: object, where: str) -> date | int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | date) or isinstance(raw, datetime):
        raise InvalidDecreeFile(f"{where}.issued must be a date (YYYY-MM-DD) or a year")
    if isinstance(raw, int) and not 1991 <= raw <= 2100:
        raise InvalidDecreeFile(f"{where}.issued: {raw} is not a year")
    return raw


def _decree(raw: object, where: str, year: int, weekend: frozenset[int]) -> Decree:
    if not isinstance(raw, dict):
        raise InvalidDecreeFile(f"{where} must be a table ([[decree]])")
    _unknown(raw, _DECREE_KEYS, where)
    moves = raw.get("moves")
    if not isinstance(moves, list) or not moves:
        raise InvalidDecreeFile(f"{where}.moves must list at least one move")
    number = _text(raw, "number", where, limit=40, required=False)
    title = _text(raw, "title", where, limit=300, required=False)
    reference = _text(raw, "reference", where, limit=300, required=False)
    return Decree(
        act=_text(raw, "act", where, limit=300, required=True),
        moves=tuple(_move(m, f"{where}.moves[{i}]", year, weekend) for i, m in enumerate(moves)),
        number=number or None,
        issued=_issued(raw.get("issued"), where),
        title=title or None,
        reference=reference or None,
    )


def parse_decree_year(text: str, origin: str = OPERATOR) -> DecreeYear:
    """A decree file's content, validated; :class:`InvalidDecreeFile` names what is wrong.

    Checked: TOML syntax; no unknown key (a typo is not silently ignored); a country with a
    holiday calendar; the year; ``checked`` a date; each move's ``day_off`` a weekday of the
    year and ``worked`` a weekend day; no date moved twice.
    """
    if len(text.encode()) > MAX_FILE_BYTES:
        raise InvalidDecreeFile(f"a decree file is at most {MAX_FILE_BYTES} bytes")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidDecreeFile(f"not valid TOML: {exc}") from None
    _unknown(doc, _TOP_KEYS, "file")
    country = doc.get("country")
    if not isinstance(country, str) or not _COUNTRY.fullmatch(country):
        raise InvalidDecreeFile('country must be a two-letter code in capitals, e.g. "KZ"')
    try:
        weekend = country_weekend(country)
    except ValueError as exc:
        raise InvalidDecreeFile(str(exc)) from None
    year = doc.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1991 <= year <= 2100:
        raise InvalidDecreeFile("year must be a year between 1991 and 2100")
    if "checked" not in doc:
        raise InvalidDecreeFile("checked (the date the acts were last checked) is required")
    checked = _plain_date(doc["checked"], "checked")
    raw_decrees = doc.get("decree", [])
    if not isinstance(raw_decrees, list):
        raise InvalidDecreeFile("decree must be an array of tables ([[decree]])")
    decrees = tuple(_decree(d, f"decree[{i}]", year, weekend) for i, d in enumerate(raw_decrees))
    seen: set[date] = set()
    for d in decrees:
        for m in d.moves:
            for day in (m.day_off, m.worked):
                if day is None:
                    continue
                if day in seen:
                    raise InvalidDecreeFile(f"{day} is moved twice")
                seen.add(day)
    note = _text(doc, "note", "file", limit=500, required=False)
    return DecreeYear(country, year, checked, decrees, note, origin)


@functools.cache
def _shipped() -> Mapping[tuple[str, int], DecreeYear]:
    found: dict[tuple[str, int], DecreeYear] = {}
    root = resources.files("qorgau.law") / "calendars"
    for folder in root.iterdir():
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if not entry.name.endswith(".toml"):
                continue
            data = parse_decree_year(entry.read_text(encoding="utf-8"), SHIPPED)
            _expect_place(data, folder.name, entry.name, "qorgau/law/calendars")
            found[(data.country, data.year)] = data
    return MappingProxyType(found)


def shipped_years(country: str) -> dict[int, DecreeYear]:
    """The package's decree data for a country, by year."""
    return {y: d for (c, y), d in _shipped().items() if c == country.upper()}


def _expect_place(data: DecreeYear, folder: str, name: str, root: str) -> None:
    m = _FILE_NAME.fullmatch(name)
    if folder != data.country.lower() or m is None or int(m.group(1)) != data.year:
        raise InvalidDecreeFile(
            f"{root}/{folder}/{name} holds {data.country} {data.year}: it belongs in "
            f"{data.country.lower()}/{data.year}.toml"
        )


def operator_dir(home: Path) -> Path:
    """Where the operator's decree files live: ``QORGAU_HOME/calendars``."""
    return home / "calendars"


def operator_years(home: Path) -> tuple[DecreeYear, ...]:
    """The operator's loaded decree files (none when the folder does not exist).

    A file that does not parse, or sits under the wrong name, is an error: the calendar
    is not guessed.
    """
    root = operator_dir(home)
    if not root.is_dir():
        return ()
    found: list[DecreeYear] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.toml")):
            try:
                data = parse_decree_year(path.read_text(encoding="utf-8"), OPERATOR)
            except InvalidDecreeFile as exc:
                raise InvalidDecreeFile(f"{path}: {exc}") from None
            _expect_place(data, folder.name, path.name, str(root))
            found.append(data)
    return tuple(found)


def store(home: Path, text: str) -> tuple[DecreeYear, Path, bool]:
    """Validate a decree file and keep it as the operator's for its country and year.

    Returns the data, where it was written, and whether it replaced an earlier file. The
    text is kept as given (comments too), written atomically, owner-only.
    """
    data = parse_decree_year(text, OPERATOR)
    folder = operator_dir(home) / data.country.lower()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{data.year}.toml"
    replaced = target.exists()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".load-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return data, target, replaced
