"""Texts in Kazakh, Russian and English, from gettext catalogues, and locale formatting.

The words live in ``locale/{kk,ru,en}/LC_MESSAGES/<domain>.po``, one catalogue per domain:

- ``messages``: the public site and the staff console (``t``, ``error_message``);
- ``policy``: the personal-data processing policy (``qorgau.policy.render``);
- ``documents``: the printable documents, destruction acts (``act.*``) and access reports
  (``report.*``).

Message ids are symbolic, stable keys (``apply.title``, ``err.iin.checksum``), never English
text, so every language, English included, has its ``msgstr``. ``{name}`` placeholders are
filled with :meth:`str.format`. A catalogue is read once per process: from its compiled
``.mo`` when that is at least as new as the ``.po`` (``make`` compiles them), else from the
``.po`` itself, so a fresh checkout works without compiling.

Dates, times, numbers and money are formatted with Babel's CLDR data for the language.
Pure: no web or database imports (domain code such as the policy renderer uses it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as _dates
from babel import numbers as _numbers
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from qorgau.catalog import SPECIAL_CATEGORIES

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAINS",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "MESSAGES",
    "catalog",
    "error_message",
    "format_date",
    "format_datetime",
    "format_money",
    "format_number",
    "gettext",
    "negotiate",
    "t",
    "translations",
]

LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {"kk": "Қазақша", "ru": "Русский", "en": "English"}
)
DOMAINS: tuple[str, ...] = ("messages", "policy", "documents")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def _read(domain: str, lang: str) -> dict[str, str]:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as f:
            messages = read_mo(f)
    else:  # not compiled (a fresh checkout) or compiled before the last edit
        with po.open("rb") as f:
            messages = read_po(f, locale=lang, domain=domain)
    return {
        str(m.id): str(m.string)
        for m in messages
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


@cache
def translations(domain: str, lang: str) -> Mapping[str, str]:
    """The catalogue of ``domain`` in ``lang``: key -> text (read once, then cached)."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown text domain {domain!r}; domains: {', '.join(DOMAINS)}")
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; languages: {', '.join(LANGUAGES)}")
    return MappingProxyType(_read(domain, lang))


def gettext(domain: str, lang: str, key: str, **values: object) -> str:
    """The text ``key`` of ``domain`` in ``lang`` with ``{name}`` placeholders filled;
    ``KeyError`` for a key the catalogue does not have."""
    text = translations(domain, lang)[key]
    return text.format(**values) if values else text


class _Table(Mapping[str, tuple[str, ...]]):
    """A domain as ``key -> (kk, ru, en)``, the keys of the default language's catalogue."""

    def __init__(self, domain: str) -> None:
        self._domain = domain

    def _keys(self) -> Mapping[str, str]:
        return translations(self._domain, DEFAULT_LANGUAGE)

    def __getitem__(self, key: str) -> tuple[str, ...]:
        if key not in self._keys():
            raise KeyError(key)
        return tuple(translations(self._domain, lang).get(key, "") for lang in LANGUAGES)

    def __contains__(self, key: object) -> bool:
        return key in self._keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())


@cache
def catalog(domain: str) -> Mapping[str, tuple[str, ...]]:
    """Every text of ``domain`` as ``key -> (kk, ru, en)`` (in the order of LANGUAGES)."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown text domain {domain!r}; domains: {', '.join(DOMAINS)}")
    return _Table(domain)


#: The site and console texts: key -> (kk, ru, en).
MESSAGES: Mapping[str, tuple[str, ...]] = catalog("messages")


def t(lang: str, key: str, **values: object) -> str:
    """The site or console string ``key`` in ``lang`` with ``{name}`` placeholders filled."""
    return gettext("messages", lang, key, **values)


def error_message(
    lang: str, code: str, category: str | Sequence[str] | None = None, **values: object
) -> str:
    """A field error in ``lang`` for a reason code; the special categories, if any, by name
    (every one found, policy 3.2)."""
    key = f"err.{code}"
    if key not in MESSAGES:
        key = "err.invalid"
    if category:
        codes = (category,) if isinstance(category, str) else tuple(category)
        values["category"] = ", ".join(
            SPECIAL_CATEGORIES[c][lang] if c in SPECIAL_CATEGORIES else c for c in codes
        )
    try:
        return t(lang, key, **values)
    except (KeyError, IndexError):  # a placeholder without a value: say it plainly
        return t(lang, "err.invalid")


def negotiate(accept_language: str) -> str:
    """The best of kk, ru, en for an Accept-Language header; ru when none fits."""
    best: tuple[float, int, str] | None = None
    for i, item in enumerate(accept_language[:512].split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if q <= 0:
            continue
        if best is None or (-q, i) < (-best[0], best[1]):
            best = (q, i, primary)
    return best[2] if best else DEFAULT_LANGUAGE


# --------------------------------------------------------------------------------------
# Formatting with Babel's locale data (CLDR).
# --------------------------------------------------------------------------------------


@cache
def _locale(lang: str) -> Locale:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; languages: {', '.join(LANGUAGES)}")
    return Locale.parse(lang)


def format_date(value: date, lang: str, format: str = "medium") -> str:
    """A date in ``lang``: ``format`` is short, medium, long, full or a CLDR pattern
    such as ``"yyyy-MM-dd"``."""
    return _dates.format_date(value, format=format, locale=_locale(lang))


def format_datetime(
    value: datetime,
    lang: str,
    tz: str | tzinfo | None = None,
    format: str = "medium",
) -> str:
    """An instant in ``lang``, shown in the time zone ``tz`` (a name such as
    ``"Asia/Almaty"`` or a tzinfo; ``None``: as given, a naive value as UTC). ``format`` is
    short, medium, long, full or a CLDR pattern such as ``"yyyy-MM-dd HH:mm"``."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return _dates.format_datetime(value, format=format, tzinfo=zone, locale=_locale(lang))


def format_number(value: int | float | Decimal, lang: str) -> str:
    """A number with the language's grouping and decimal signs."""
    return _numbers.format_decimal(value, locale=_locale(lang))


def format_money(amount: int | float | Decimal, lang: str, currency: str = "KZT") -> str:
    """An amount of money with its currency sign, as the language writes it."""
    return _numbers.format_currency(amount, currency, locale=_locale(lang))
