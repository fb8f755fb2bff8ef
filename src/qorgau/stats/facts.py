"""Depersonalisation
-----------------
:func:`depersonalise` turns the catalogue-normalised values of one subject into a
:class:`Fact` of generalised attributes only: the month of collection, the region (oblast
or city of republican significance) derived from ``city``, a ten-year age band at
collection, sex, a loan-amount band, an outcome and the subject category. A fact carries
no identifier, key, digest, exact date or exact amount: nothing in it is a link back to
the subject (policy appendix: the data "can no longer be attributed to a subject without
additional information"). ``amount_kzt`` is the loan amount rounded to the nearest
10,000 tenge, so that sums over a cell are meaningful while no exact figure is kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from qorgau.catalog.identifiers import InvalidValue, iin_birth_date, iin_sex
from qorgau.stats.model import (
    AGE_BANDS,
    AMOUNT_BANDS,
    AMOUNT_STEP,
    OUTCOMES,
    SEXES,
    UNKNOWN,
    InvalidFact,
)

_AGE_LIMITS: tuple[tuple[int, str], ...] = (
    (25, "18-24"),
    (35, "25-34"),
    (45, "35-44"),
    (55, "45-54"),
    (65, "55-64"),
)
_AMOUNT_LIMITS: tuple[tuple[int, str], ...] = (
    (50_000, "<50k"),
    (100_000, "50-100k"),
    (250_000, "100-250k"),
    (500_000, "250-500k"),
)
_CATEGORY = re.compile(r"[a-z][a-z0-9_]{0,39}")
# --------------------------------------------------------------------------------------
# Generalisation
# --------------------------------------------------------------------------------------

# Region codes: the 17 oblasts and the 3 cities of republican significance (2022 division:
# Abai, Jetisu and Ulytau regions included; Semey is the centre of Abai region).
_REGION_NAMES: dict[str, tuple[str, ...]] = {
    "astana": ("Астана", "Astana", "Нур-Султан", "Нұр-Сұлтан", "Nur-Sultan", "Nursultan",
               "Целиноград", "Tselinograd"),
    "almaty_city": ("Алматы", "Almaty", "Алма-Ата", "Alma-Ata", "Almaty qalasy"),
    "shymkent": ("Шымкент", "Shymkent", "Чимкент", "Chimkent"),
    "abai": ("Семей", "Semey", "Semei", "Семипалатинск", "Semipalatinsk", "Курчатов",
             "Kurchatov", "Аягоз", "Аягуз", "Ayagoz"),
    "akmola": ("Кокшетау", "Көкшетау", "Kokshetau", "Kökshetaý", "Кокчетав", "Степногорск",
               "Stepnogorsk", "Щучинск", "Shchuchinsk", "Косшы", "Kosshy"),
    "aktobe": ("Актобе", "Ақтөбе", "Aktobe", "Aqtöbe", "Aqtobe", "Актюбинск", "Хромтау",
               "Khromtau", "Кандыагаш", "Kandyagash"),
    "almaty_region": ("Конаев", "Қонаев", "Konaev", "Kunaev", "Капчагай", "Қапшағай",
                      "Kapchagay", "Kapshagay", "Талгар", "Talgar", "Есик", "Есік", "Esik",
                      "Issyk", "Каскелен", "Қаскелең", "Kaskelen"),
    "atyrau": ("Атырау", "Atyrau", "Гурьев", "Кульсары", "Құлсары", "Kulsary"),
    "east_kazakhstan": ("Усть-Каменогорск", "Өскемен", "Оскемен", "Oskemen", "Öskemen",
                        "Ust-Kamenogorsk", "Риддер", "Ridder", "Алтай", "Altai",
                        "Зыряновск"),
    "jambyl": ("Тараз", "Taraz", "Джамбул", "Жамбыл", "Шу", "Shu", "Каратау", "Karatau"),
    "jetisu": ("Талдыкорган", "Талдықорған", "Taldykorgan", "Taldyqorgan", "Текели",
               "Tekeli", "Жаркент", "Zharkent", "Уштобе", "Үштөбе", "Ushtobe"),
    "karaganda": ("Караганда", "Қарағанды", "Караганды", "Karaganda", "Karagandy",
                  "Qaragandy", "Темиртау", "Теміртау", "Temirtau", "Балхаш", "Балқаш",
                  "Balkhash", "Balqash", "Сарань", "Saran", "Шахтинск", "Shakhtinsk"),
    "kostanay": ("Костанай", "Қостанай", "Kostanay", "Qostanay", "Кустанай", "Рудный",
                 "Rudny", "Rudnyy", "Лисаковск", "Lisakovsk", "Аркалык", "Арқалық",
                 "Arkalyk"),
    "kyzylorda": ("Кызылорда", "Қызылорда", "Kyzylorda", "Qyzylorda"),
    "mangystau": ("Актау", "Ақтау", "Aktau", "Aqtau", "Шевченко", "Жанаозен", "Жаңаөзен",
                  "Zhanaozen"),
    "north_kazakhstan": ("Петропавловск", "Петропавл", "Petropavl", "Petropavlovsk"),
    "pavlodar": ("Павлодар", "Pavlodar", "Экибастуз", "Екібастұз", "Ekibastuz", "Аксу",
                 "Ақсу", "Aksu"),
    "turkistan": ("Туркестан", "Түркістан", "Turkistan", "Turkestan", "Кентау", "Kentau",
                  "Арыс", "Arys", "Сарыагаш", "Saryagash"),
    "ulytau": ("Жезказган", "Жезқазған", "Zhezkazgan", "Сатпаев", "Сәтбаев", "Satpayev",
               "Satbayev", "Каражал", "Қаражал", "Karazhal"),
    "west_kazakhstan": ("Уральск", "Орал", "Oral", "Uralsk", "Аксай", "Ақсай", "Aksai",
                        "Aksay"),
}  # fmt: skip

#: Every region code in display order (the cities of republican significance first).
REGIONS: tuple[str, ...] = (*_REGION_NAMES, UNKNOWN)

# Kazakh letters folded to their Russian look-alikes, and Latin Kazakh letters without
# diacritics, so that "Қарағанды", "Караганды" and "Qaraǵandy" meet.
_FOLD = str.maketrans(
    {"ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
     "ё": "е", "ı": "i"}
)  # fmt: skip
# Words around a city name that say "city" (ru, kk, en), folded.
_NOISE = frozenset({"г", "гор", "город", "к", "каласы", "кала", "city", "of", "gorod", "q",
                    "qalasy", "qala", "ш", "шахары"})  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def _place_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    # Strip combining marks (Latin diacritics); "й" decomposes to "и" + breve: the same
    # folding on both sides of the lookup keeps that harmless.
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = [w for w in _WORD.findall(bare.translate(_FOLD)) if w not in _NOISE]
    return "".join(words)


_REGION_BY_KEY: dict[str, str] = {
    _place_key(name): region for region, names in _REGION_NAMES.items() for name in names
}


def region_of(city: str | None) -> str:
    """The region code for a city name in Kazakh, Russian or English (``"г. Алматы"``,
    ``"Өскемен"``, ``"Ust-Kamenogorsk"``...), or ``"unknown"``."""
    if not city:
        return UNKNOWN
    return _REGION_BY_KEY.get(_place_key(city), UNKNOWN)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(birth: date | None, on: date) -> str:
    """The age band at ``on``. Ages under 18 (an adult-only service: invalid data) and over
    120 are ``"unknown"``."""
    if birth is None:
        return UNKNOWN
    years = _age(birth, on)
    if years < 18 or years > 120:
        return UNKNOWN
    for limit, band in _AGE_LIMITS:
        if years < limit:
            return band
    return "65+"


def amount_band(amount: int | None) -> str:
    """The band of the exact amount (tenge)."""
    if amount is None or amount < 0:
        return UNKNOWN
    for limit, band in _AMOUNT_LIMITS:
        if amount < limit:
            return band
    return "500k+"


def round_amount(amount: int | None) -> int | None:
    """The amount rounded to the nearest 10,000 tenge (halves up)."""
    if amount is None or amount < 0:
        return None
    return (amount + AMOUNT_STEP // 2) // AMOUNT_STEP * AMOUNT_STEP


@dataclass(frozen=True, slots=True)
class Fact:
    """One depersonalised fact: generalised attributes only, no identifier (policy
    appendix: depersonalisation; LAW.md Art. 17 p.1)."""

    month: str
    region: str
    age_band: str
    sex: str
    amount_band: str
    outcome: str
    subject_category: str
    #: Loan amount rounded to the nearest 10,000 tenge; None when unknown.
    amount_kzt: int | None


def _birth(values: Mapping[str, str]) -> date | None:
    raw = values.get("birth_date")
    if raw:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            return None
    iin = values.get("iin")
    if iin:
        try:
            return iin_birth_date(iin)
        except InvalidValue:
            return None
    return None


def _sex(values: Mapping[str, str]) -> str:
    sex = values.get("sex")
    if sex in ("male", "female"):
        return sex
    iin = values.get("iin")
    if not sex and iin:
        try:
            return iin_sex(iin)
        except InvalidValue:
            return UNKNOWN
    return UNKNOWN


def _amount(values: Mapping[str, str]) -> int | None:
    raw = values.get("loan_amount")
    if raw is None or not raw.isascii() or not raw.isdigit():
        return None
    return int(raw)


def depersonalise(
    values: Mapping[str, str],
    subject_category: str,
    collected_at: datetime,
    outcome: str = "lead",
) -> Fact:
    """Generalise one subject's catalogue-normalised values into a :class:`Fact` (policy
    2.1 P4, 4.1, appendix: depersonalisation; LAW.md Art. 17 p.1).

    ``values`` may hold ``birth_date`` (ISO), ``sex`` (male/female), ``city``,
    ``loan_amount`` (whole tenge) and ``iin`` (used only for birth date and sex when those
    are missing); anything else is ignored. The age is computed at ``collected_at``; the
    month is that of ``collected_at`` in UTC (a naive time is taken as UTC).
    """
    if outcome not in OUTCOMES:
        raise InvalidFact(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
    if not _CATEGORY.fullmatch(subject_category):
        raise InvalidFact("a subject category is a code of a-z, 0-9 and _")
    at = collected_at if collected_at.tzinfo else collected_at.replace(tzinfo=UTC)
    at = at.astimezone(UTC)
    amount = _amount(values)
    return Fact(
        month=f"{at.year:04d}-{at.month:02d}",
        region=region_of(values.get("city")),
        age_band=age_band(_birth(values), at.date()),
        sex=_sex(values),
        amount_band=amount_band(amount),
        outcome=outcome,
        subject_category=subject_category,
        amount_kzt=round_amount(amount),
    )


_ORDERS: dict[str, tuple[str, ...]] = {
    "region": REGIONS,
    "age_band": AGE_BANDS,
    "sex": SEXES,
    "amount_band": AMOUNT_BANDS,
    "outcome": OUTCOMES,
}


def value_order(attribute: str, value: str) -> tuple[int, int, str]:
    """Sort key for an attribute's values: the natural order of bands, months in time,
    ``unknown`` last, anything else alphabetically."""
    if value == UNKNOWN:
        return (1, 0, "")
    order = _ORDERS.get(attribute)
    if order is not None and value in order:
        return (0, order.index(value), "")
    return (0, len(order) if order else 0, value)
