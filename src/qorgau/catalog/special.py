"""Special categories of personal data, which the operator does not process (policy 3.2).

Policy 3.2 lists race, nationality (ethnic origin), political views, religious and
philosophical beliefs, intimate life and criminal record. The catalogue has no field for any
of them, and free text (staff notes, interests, credit history...) is scanned on intake:
a hit is refused with :class:`SpecialCategoryFound`, which names the field and the category
and never repeats the text (DESIGN invariants 5 and 8).

How matching works. The text is normalised (NFC, casefold, ``ё`` to ``е``, every run of
non-letters to one space) and searched with one regular expression compiled at import,
built from keyword lists in Russian, Kazakh and English. A keyword is either a whole word
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
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["SPECIAL_CATEGORIES", "SpecialCategoryFound", "ensure_no_special", "scan_special"]


class SpecialCategoryFound(ValueError):  # noqa: N818 - public name fixed by the catalogue interface
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
        r"re:политическ\w*(?! (?:значим|экспонир|публичн))",
        "партия*", "партии", "партий", "партией", "партию", "партийн*", "партиец", "партийц*",
        "оппозиц*", "митинг*", "коммунист*", "политзаключ*", "политвзгляд*",
        # kk
        "саяси", "оппозиция*",
        # en
        r"re:politic\w*(?! exposed)", "opposition", "communist*",
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


def _word(token: str) -> str:
    if token.endswith("*"):
        return re.escape(token[:-1]) + r"\w*"
    return re.escape(token)


def _keyword(keyword: str) -> str:
    if keyword.startswith("re:"):
        return keyword[3:]
    return " ".join(_word(token) for token in keyword.split(" "))


def _compile() -> re.Pattern[str]:
    groups = []
    for category, keywords in _KEYWORDS.items():
        assert category in SPECIAL_CATEGORIES, category
        groups.append(f"(?P<{category}>{'|'.join(_keyword(k) for k in keywords)})")
    return re.compile(r"(?<!\w)(?:" + "|".join(groups) + r")(?!\w)")


_PATTERN = _compile()
_NON_WORD = re.compile(r"[\W_]+")


def _normalise(text: str) -> str:
    folded = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    return _NON_WORD.sub(" ", folded)


def scan_special(text: str) -> str | None:
    """Code of the special category mentioned first in ``text``, or None (policy 3.2)."""
    match = _PATTERN.search(_normalise(text))
    return match.lastgroup if match else None


def ensure_no_special(field: str, text: str) -> None:
    """Raise :class:`SpecialCategoryFound` if ``text`` mentions a special category."""
    category = scan_special(text)
    if category is not None:
        raise SpecialCategoryFound(field, category)
