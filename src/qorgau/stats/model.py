"""Depersonalised facts and k-anonymous reports over them (policy 2.1 P4, 4.1; appendix:
depersonalisation; LAW.md Art. 17 p.1). Pure domain code: no web or database framework.

The attributes, their values and the rules of a report request live here; the facts are
made in :mod:`qorgau.stats.facts`, suppressed in :mod:`qorgau.stats.suppression` and
rendered in :mod:`qorgau.stats.export`.
"""

from __future__ import annotations

from collections.abc import Sequence

from qorgau.errors import DomainError

__all__ = [
    "AGE_BANDS",
    "AMOUNT_BANDS",
    "ATTRIBUTES",
    "DEFAULT_K",
    "MAX_DIMENSIONS",
    "MIN_K",
    "OUTCOMES",
    "SEXES",
    "SOURCE_FIELDS",
    "UNKNOWN",
    "InvalidFact",
    "InvalidK",
    "InvalidReport",
    "parse_by",
    "validate_k",
]

UNKNOWN = "unknown"

#: The generalised attributes a fact has and a report may group by.
ATTRIBUTES: tuple[str, ...] = (
    "month",
    "region",
    "age_band",
    "sex",
    "amount_band",
    "outcome",
    "subject_category",
)

#: The catalogue fields :func:`depersonalise` reads (the gate decrypts only these). ``iin``
#: only supplies birth date and sex when those fields were not collected; it is never kept.
SOURCE_FIELDS: tuple[str, ...] = ("birth_date", "sex", "city", "loan_amount", "iin")

AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+", UNKNOWN)
AMOUNT_BANDS: tuple[str, ...] = ("<50k", "50-100k", "100-250k", "250-500k", "500k+", UNKNOWN)
SEXES: tuple[str, ...] = ("female", "male", UNKNOWN)
#: What became of the lead. ``lead`` (default): a request passed on, nothing more known.
OUTCOMES: tuple[str, ...] = ("lead", "issued", "refused", "withdrawn", "expired", "destroyed")

#: Rounding step of ``amount_kzt`` (tenge).
AMOUNT_STEP = 10_000
DEFAULT_K = 5
#: k below 2 would publish single persons: never allowed.
MIN_K = 2
#: Hard ceiling on k (a sanity bound for input, far above any useful value).
MAX_K = 100_000
MAX_DIMENSIONS = 2


# --------------------------------------------------------------------------------------
# Errors (messages name attributes and codes, never a personal value)
# --------------------------------------------------------------------------------------


class InvalidK(DomainError):
    """The k of a k-anonymous report is out of range."""

    code = "stats-invalid-k"

    def __init__(self, k: object, minimum: int) -> None:
        super().__init__(f"k must be a whole number from {minimum} to {MAX_K}, not {k!r}")


class InvalidReport(DomainError):
    """A statistics report was asked for with unknown or too many attributes."""

    code = "stats-invalid-report"


class InvalidFact(DomainError):
    """A fact could not be built: an unknown outcome or a malformed subject category."""

    code = "stats-invalid-fact"


# --------------------------------------------------------------------------------------
# Report requests
# --------------------------------------------------------------------------------------


def validate_k(k: object, minimum: int = MIN_K) -> int:
    """``k`` as an int in ``max(2, minimum)..MAX_K``, or :class:`InvalidK`."""
    floor = max(MIN_K, minimum)
    if isinstance(k, bool) or not isinstance(k, int) or not floor <= k <= MAX_K:
        raise InvalidK(k, floor)
    return k


def parse_by(by: str | Sequence[str]) -> tuple[str, ...]:
    """``"region,sex"`` or ``["region", "sex"]`` -> ``("region", "sex")``: one or two known,
    distinct attributes."""
    items = by.split(",") if isinstance(by, str) else list(by)
    names = tuple(s.strip() for s in items if s.strip())
    if not names:
        raise InvalidReport(f"group by one or two of: {', '.join(ATTRIBUTES)}")
    unknown = [n for n in names if n not in ATTRIBUTES]
    if unknown:
        raise InvalidReport(
            f"unknown attribute(s) {', '.join(repr(u[:40]) for u in unknown)}; "
            f"one of: {', '.join(ATTRIBUTES)}"
        )
    if len(set(names)) != len(names):
        raise InvalidReport("an attribute is named twice")
    if len(names) > MAX_DIMENSIONS:
        raise InvalidReport(f"a report groups by at most {MAX_DIMENSIONS} attributes")
    return names
