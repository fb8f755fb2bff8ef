"""Special categories of personal data (policy 3.2): THE rule, stated once.

The operator does not process: race, nationality (ethnic origin), political views,
religious and philosophical beliefs, intimate life, criminal record. This is the closed
list of policy 3.2 (``нәсіліне және ұлтына, саяси көзқарастарына, діни және философиялық
наным-сенімдеріне, интимдік өміріне, қылмыстық соттылығына байланысты арнайы санаттар
өңделмейді``), and :data:`SPECIAL_CATEGORIES` is that list; the site's hint, the published
policy (section 3), the error messages and the scanner all read it from here.

Decision on health: health is NOT a special category here. Policy 3.2 does not list it
(neither the original text nor its rendering), and policy 5.1 lists "information about
disability" among the data the operator processes. So the catalogue keeps the disability
group as an ordinary field (``disability``: a choice of group, never a diagnosis, high
sensitivity, used by no default purpose: minimisation, policy 4.1), the scanner does not
refuse a text for speaking of health (``заём на лечение`` is a loan purpose), and neither
the site nor the policy promises that health data is excluded; the policy says it is not a
special category and that only the disability group is kept (:data:`NOT_SPECIAL`). Two more
look-alikes are ordinary too: citizenship (policy 5.1) and the AML/CFT status of a
politically exposed person (not a political view).

Which fields are scanned: every field of a text kind (:data:`SCANNED_KINDS`: free text and
place names; a person types words into them, so any may carry a mention: a note, a
workplace, an address, a place of birth, a browser string). Enum, number, identifier,
date, name, link and code kinds cannot hold a sentence and are validated by form alone
(a first name such as ``Ислам`` is a name, not a belief).

A hit is refused with :class:`SpecialCategoryFound`, which names the field and every
category found and never repeats the text (DESIGN invariants 5 and 8). How words are
matched is :mod:`qorgau.catalog.scanner`'s (its words: :mod:`qorgau.catalog.lexicon`);
it errs towards catching: a refused note can be rephrased, a stored special category
cannot be unstored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from qorgau.catalog import scanner

__all__ = [
    "NOT_SPECIAL",
    "SCANNED_KINDS",
    "SPECIAL_CATEGORIES",
    "SpecialCategoryFound",
    "ensure_no_special",
    "find_special",
    "scan_special",
    "special_labels",
]


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

#: Look-alikes the rule decides are NOT special categories, with the clause that says so.
NOT_SPECIAL: Mapping[str, str] = MappingProxyType(
    {
        "health": "5.1",  # only the disability group is kept (the ``disability`` field)
        "citizenship": "5.1",
        "politically_exposed_person": "AML/CFT",
    }
)

#: The kinds of data category whose values are scanned: every text field.
SCANNED_KINDS: frozenset[str] = frozenset({"text", "place"})

if set(scanner.CATEGORIES) != set(SPECIAL_CATEGORIES):  # pragma: no cover - a data error
    raise AssertionError("the scanner's lexicon must cover exactly the special categories")


def special_labels(lang: str) -> str:
    """The special categories' labels in ``lang``, in the rule's order, comma-separated."""
    return ", ".join(labels[lang] for labels in SPECIAL_CATEGORIES.values())


class SpecialCategoryFound(ValueError):
    """Text mentions special categories (policy 3.2). Never carries the text.

    ``categories`` names every category found, in the order of first mention;
    ``category`` is the first of them.
    """

    code = "special_category"

    def __init__(self, field: str, categories: str | Sequence[str]) -> None:
        found = (categories,) if isinstance(categories, str) else tuple(categories)
        if not found or not set(found) <= set(SPECIAL_CATEGORIES):
            raise ValueError("SpecialCategoryFound needs known special categories")
        super().__init__(
            f"field '{field}' mentions a special category of personal data "
            f"({', '.join(found)}); it is not processed (policy 3.2)"
        )
        self.field = field
        self.categories = found
        self.category = found[0]


def find_special(text: str) -> tuple[str, ...]:
    """Every special category ``text`` mentions, in the order of first mention (3.2)."""
    return scanner.find(text)


def scan_special(text: str) -> str | None:
    """The special category ``text`` mentions first, or None (policy 3.2)."""
    found = scanner.find(text)
    return found[0] if found else None


def ensure_no_special(field: str, text: str) -> None:
    """Raise :class:`SpecialCategoryFound`, naming every category, if ``text`` mentions any."""
    found = scanner.find(text)
    if found:
        raise SpecialCategoryFound(field, found)
