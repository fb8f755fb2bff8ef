"""Special categories of personal data, which the operator does not process (policy 3.2).

Policy 3.2 lists race, nationality (ethnic origin), political views, religious and
philosophical beliefs, intimate life and criminal record. The catalogue has no field for any
of them, and free text (staff notes, interests, credit history...) is scanned on intake:
a hit is refused with :class:`SpecialCategoryFound`, which names the field and the category
and never repeats the text (DESIGN invariants 5 and 8).

How matching works. The text is normalised (NFC, casefold, ``ё`` to ``е``, stress marks
dropped) and searched with regular expressions compiled once at import from keyword lists
in Russian, Kazakh and English; any run of characters that are not letters or digits
separates words (so punctuation, hyphens and line breaks do not hide a phrase). Stage one
finds the first hit among all keywords (grouped by first letter, so each word costs a few
comparisons); stage two, only on a hit, names its category. A keyword is either a whole word
(``раса``), a stem that must start a word (``национальност*`` matches ``национальности``),
or a phrase of such words. Stems are chosen so that everyday loan vocabulary does not hit:
``раса`` is listed by its case forms, so ``раз``, ``расходы`` and ``рассрочка`` pass;
``партия*`` and the other case forms of ``партия`` do not reach ``партнёр``;
``национальност*`` leaves ``Национальный банк`` alone and ``ұлты`` leaves ``Ұлттық банк``;
citizenship (``гражданство``, ``азаматтығы``, ``citizenship``) is an allowed category
(policy 5.1) and is not a keyword. Politically exposed persons (an AML/CFT status, not a
political view) are excluded explicitly. The lists err towards catching the category:
a refused note can be rephrased, a stored special category cannot be unstored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["SPECIAL_CATEGORIES", "SpecialCategoryFound", "ensure_no_special", "scan_special"]


class SpecialCategoryFound(ValueError):
    """Free text mentions a special category (policy 3.2). Never carries the text."""

    code = "special_category"

    def __init__(self, field: str, category: str) -> None:
        super().__init__(
            f"field '{field}' mentions a special category of personal data ({category}); "
            "it is not processed (policy 3.2)"
        )
        self.field = field
        self.category = category


def _labels(kk: str, ru: str, en: str) -> Mapping[str, str]:
    return MappingProxyType({"kk": kk, "ru": ru, "en": en})


# policy 3.2: the closed list of special categories, with labels in kk, ru, en.
SPECIAL_CATEGORIES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "race": _labels("нәсілдік тиесілілік", "расовая принадлежность", "racial origin"),
        "nationality": _labels(
            "ұлттық тиесілілік (ұлты)",
            "национальная принадлежность",
            "nationality (ethnic origin)",
        ),
        "political_views": _labels("саяси көзқарастар", "политические взгляды", "political views"),
        "religious_beliefs": _labels(
            "діни және философиялық нанымдар",
            "религиозные и философские убеждения",
            "religious and philosophical beliefs",
        ),
        "intimate_life": _labels("интимдік өмір", "интимная жизнь", "intimate life"),
        "criminal_record": _labels("соттылық", "судимость", "criminal record"),
    }
)

# Keyword syntax: "word" = whole word; "stem*" = a word starting with stem; words separated
# by one space form a phrase; "re:" introduces a raw pattern over the normalised text.
_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "race": (
        # ru
        "раса", "расы", "расе", "расу", "расой", "расою", "расам", "расами", "расах",
        "расов*", "расизм*", "расист*", "цвет кожи", "европеоид*", "монголоид*", "негроид*",
        # kk
        "нәсіл*", "тері түсі",
        # en
        "race", "races", "racial*", "racis*", "skin colour", "skin color",
    ),
    "nationality": (
        # ru
        "национальност*", "национальн* принадлежност*", "этнич*", "этнос*", "народност*",
        # kk
        "ұлт", "ұлты", "ұлтым", "ұлтың", "ұлтыңыз", "ұлтын", "ұлтының", "ұлтына", "ұлтқа",
        "улты", "этникалық", "шығу тегі",
        # en
        "nationality", "nationalities", "ethnic*", "national origin",
    ),
    "political_views": (
        # ru: "политически значимое лицо" is an AML/CFT status (PEP), not a view
        r"re:политическ[^\W_]*(?![\W_]+(?:значим|экспонир|публичн))",
        "партия*", "партии", "партий", "партией", "партию", "партийн*", "партиец", "партийц*",
        "оппозиц*", "митинг*", "коммунист*", "политзаключ*", "политвзгляд*",
        # kk
        "саяси", "оппозиция*",
        # en
        r"re:politic[^\W_]*(?![\W_]+exposed)", "opposition", "communist*",
    ),
    "religious_beliefs": (
        # ru
        "религи*", "вероисповедан*", "вероучени*", "верующ*", "неверующ*", "мусульман*",
        "православ*", "католи*", "протестант*", "иудаизм*", "иудей*", "буддизм*", "буддист*",
        "индуизм*", "христиан*", "атеизм*", "атеист*", "агностик*", "исламск*", "исламист*",
        "мечет*", "церков*", "церкв*", "синагог*", "намаз*", "хиджаб*", "никаб*", "молитв*",
        "секта", "секты", "секте", "секту", "сектой", "сектант*", "хадж", "паломничеств*",
        "свидетел* иегов*", "философск* убеждени*", "философск* взгляд*",
        # kk
        "дін", "діні", "дінім", "дінің", "дініңіз", "дінін", "дінге", "дінді", "діни",
        "діндар*", "дінсіз*", "діншіл*", "мұсылман*", "мешіт*", "шіркеу*", "наным*",
        # en
        "religion*", "religious*", "muslim*", "moslem*", "islamic*", "islamist*",
        "christianity", "catholic*", "protestant*", "orthodox christian*", "russian orthodox",
        "jewish", "judaism", "buddhis*", "hindu", "hindus", "hinduism", "atheis*",
        "agnostic*", "church", "churches", "mosque*", "synagogue*", "hijab*", "jehovah*",
        "philosophical belief*",
    ),
    "intimate_life": (
        # ru
        "интим*", "сексуальн*", "секс", "секса", "сексе", "сексом", "гомосексуал*",
        "бисексуал*", "гетеросексуал*", "транссексуал*", "трансгендер*", "гей", "геи",
        "геев", "лесби*", "лгбт*", "любовни*", "полов* жизн*", "полов* связ*",
        "полов* партнер*", "полов* ориентац*",
        # kk
        "жыныстық қатынас*", "жыныстық өмір*", "жыныстық бағдар*", "ойнас*",
        # en
        "sexual*", "sex life", "intimate*", "gay", "gays", "lesbian*", "bisexual*",
        "homosexual*", "heterosexual*", "transgender*", "lgbt*",
    ),
    "criminal_record": (
        # ru
        "судимост*", "несудим*", "судим", "судима", "судимы", "судимый", "судимая",
        "судимого", "судимой", "осужден*", "уголовн*", "преступлени*", "преступник*",
        "тюрьм*", "тюрем*", "исправительн*", "сизо", "зек", "зэк", "приговор*", "амнисти*",
        "отбыва* наказани*", "отбыл* наказани*", "условн* срок*", "под следствием",
        # kk
        "соттал*", "соттылы*", "қылмыс*", "түрме*", "абақты*", "бас бостандығынан айыр*",
        "жаза* өте*",
        # en
        "criminal*", "convict*", "prison*", "jail*", "imprison*", "incarcerat*", "felon*",
        "sentenced", "parole*", "offender*",
    ),
}  # fmt: skip


# Over the casefolded text: letters and digits make words; anything else separates them.
_LETTERS = r"[^\W_]*"
_SEPARATOR = r"[\W_]+"


def _word(token: str) -> str:
    if token.endswith("*"):
        return re.escape(token[:-1]) + _LETTERS
    return re.escape(token)


def _keyword(keyword: str) -> str:
    if keyword.startswith("re:"):
        return keyword[3:]
    return _SEPARATOR.join(_word(token) for token in keyword.split(" "))


def _alternatives(keywords: Iterable[str]) -> str:
    """Alternation grouped by first letter: the regex engine then tries, at each word,
    only the keywords that start with that word's first letter."""
    by_first: dict[str, list[str]] = {}
    for keyword in keywords:
        fragment = _keyword(keyword)
        by_first.setdefault(fragment[0], []).append(fragment[1:])
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in by_first.items())


def _bounded(alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<![^\W_])(?:" + alternatives + r")(?![^\W_])")


# Stage 1 finds the first hit among all keywords; stage 2 names its category.
_ANY = _bounded(_alternatives(k for keywords in _KEYWORDS.values() for k in keywords))
_BY_CATEGORY = tuple(
    (category, _bounded(_alternatives(keywords))) for category, keywords in _KEYWORDS.items()
)
assert all(category in SPECIAL_CATEGORIES for category, _ in _BY_CATEGORY)


def _normalise(text: str) -> str:
    """NFC, casefolded, ``ё`` as ``е``, stress marks (combining acute and grave) dropped."""
    folded = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    return folded.replace("\u0301", "").replace("\u0300", "")


def scan_special(text: str) -> str | None:
    """Code of the special category mentioned first in ``text``, or None (policy 3.2)."""
    normalised = _normalise(text)
    hit = _ANY.search(normalised)
    if hit is None:
        return None
    for category, pattern in _BY_CATEGORY:
        if pattern.match(normalised, hit.start()):
            return category
    raise AssertionError("unreachable: the hit belongs to some category")  # pragma: no cover


def ensure_no_special(field: str, text: str) -> None:
    """Raise :class:`SpecialCategoryFound` if ``text`` mentions a special category."""
    category = scan_special(text)
    if category is not None:
        raise SpecialCategoryFound(field, category)
