"""The catalogue's domain model: data categories, subject categories, purposes.

Pure and immutable (frozen, slotted dataclasses; read-only mappings). Each data category of
policy 5.1 is a :class:`DataCategory` whose ``kind`` selects a small pure normaliser and a
masking rule; each subject category of policy 3.3 a :class:`SubjectCategory`; each purpose
of policy 2.1 a :class:`Purpose` with its legal basis (policy 6.1), the data categories it
may use (minimisation, policy 4.1) and its retention period.

Masking (what a role that may only see masked values gets, DESIGN invariant 1), by kind:

- ``iin``/``bin``: ``********1234`` (last 4 digits: the serial and check digit, not the
  birth date);
- ``phone``: ``+7 *** *** ** 78`` (last 2 digits, enough to confirm a number by phone);
- ``email``: ``a***@example.com`` (first character and the domain);
- ``name``: first letter and ``***``;
- ``iban``: ``KZ**************1234`` (last 4, as on bank cards);
- ``date``: ``1985-**-**`` (the year only: enough to check an age band, and a year alone
  does not single a person out);
- ``document_number``/``account_number``: ``***`` and the last 2 characters;
- everything else: ``***``, whatever the length, so the length does not leak either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType

from qorgau.catalog.identifiers import (
    InvalidValue,
)
from qorgau.catalog.normalise import KINDS, MASKS, enum_key, too_long
from qorgau.catalog.special import SCANNED_KINDS, ensure_no_special

__all__ = [
    "KINDS",
    "DataCategory",
    "LegalBasis",
    "Purpose",
    "Sensitivity",
    "SubjectCategory",
    "enum_key",
]


class Sensitivity(IntEnum):
    """How much harm a leak of the value could do to the subject (policy 7.1-7.2)."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3


class LegalBasis(StrEnum):
    """Lawful bases of processing (policy 6.1)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LAW = "law"


_EMPTY: Mapping[str, str] = MappingProxyType({})


def _no_aliases() -> Mapping[str, str]:
    return _EMPTY


@dataclass(frozen=True, slots=True)
class DataCategory:
    """One category of personal data of policy 5.1, with its validation and masking.

    ``kind`` selects the normaliser (one of :data:`KINDS`); ``choices`` and ``aliases``
    (alias -> choice, in any spelling: stored by :func:`enum_key`) serve the ``enum``
    kind; ``min_value`` and ``max_value`` bound the ``money`` and ``integer`` kinds.
    Values of a text kind (:data:`~qorgau.catalog.special.SCANNED_KINDS`) are scanned for
    special categories (policy 3.2).
    """

    code: str
    labels: Mapping[str, str] = field(hash=False)
    sensitivity: Sensitivity
    group: str
    blind_index: str | None = None
    max_length: int = 200
    kind: str = "text"
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=_no_aliases, hash=False)
    min_value: int | None = None
    max_value: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"data category {self.code!r}: unknown kind {self.kind!r}")
        if (self.kind == "enum") != bool(self.choices):
            raise ValueError(f"data category {self.code!r}: choices go with the enum kind")
        aliases = {enum_key(alias): choice for alias, choice in self.aliases.items()}
        if not set(aliases.values()) <= set(self.choices):
            raise ValueError(f"data category {self.code!r}: an alias names no choice")
        # Frozen: the canonical alias table is set once, here.
        object.__setattr__(self, "aliases", MappingProxyType(aliases))

    @property
    def scanned(self) -> bool:
        """True if values are scanned for special categories (every text field, 3.2)."""
        return self.kind in SCANNED_KINDS

    def normalise(self, raw: str) -> str:
        """Validate and normalise a raw value (policy 5.1; policy 3.2 for free text).

        Raises :class:`InvalidValue` or :class:`SpecialCategoryFound`; neither carries
        the value.
        """
        if len(raw) > self.max_length * 4 + 64:
            raise too_long(self)
        if not raw.strip():
            raise InvalidValue(self.code, "value.empty", "a value is required")
        value = KINDS[self.kind](self, raw)
        if len(value) > self.max_length:
            raise too_long(self)
        if self.scanned:
            ensure_no_special(self.code, value)
        return value

    def mask(self, value: str) -> str:
        """The value as a role that may only see it masked sees it (see module docstring)."""
        masker = MASKS.get(self.kind)
        return masker(value) if masker else "***"


@dataclass(frozen=True, slots=True)
class SubjectCategory:
    """A category of data subjects (policy 3.3)."""

    code: str
    labels: Mapping[str, str] = field(hash=False)
    clause: str = "3.3"
    #: The kind of data source its values must come from (``qorgau.vault.sources``), if
    #: any: persons whose data is publicly available, from a public source (policy 4.2.2).
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Purpose:
    """A purpose of processing (policy 2.1) with its basis (6.1), fields and retention."""

    code: str
    number: str
    labels: Mapping[str, str] = field(hash=False)
    legal_basis: LegalBasis
    fields: frozenset[str]
    retention_days: int
    marketing: bool  # stops at once when consent is withdrawn (policy 6.5)
    clause: str = "2.1"

    def allows(self, field: str) -> bool:
        """True if this purpose may use the data category ``field`` (policy 4.1)."""
        return field in self.fields


# --------------------------------------------------------------------------------------
# Normalisers by kind: (category, raw) -> normalised value, or InvalidValue.
# --------------------------------------------------------------------------------------
