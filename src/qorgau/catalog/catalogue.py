"""The catalogue in force (:class:`Catalogue`): the default of ``registry.py`` with the
operator's retention overrides, and what it checks when a value is collected (an unknown
field or purpose, a field the purpose may not use, a bad retention override)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from qorgau.catalog.model import DataCategory, Purpose, SubjectCategory
from qorgau.catalog.registry import DATA_CATEGORIES, PURPOSES, SUBJECT_CATEGORIES

# --------------------------------------------------------------------------------------
# Errors. None of them carries a value; codes of fields and purposes are not personal data.
# --------------------------------------------------------------------------------------


class UnknownField(KeyError):
    """No data category has this code."""

    code = "field.unknown"

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field

    def __str__(self) -> str:
        return f"unknown data category '{self.field}'"


class UnknownPurpose(KeyError):
    """No purpose has this code (policy 2.1)."""

    code = "purpose.unknown"

    def __init__(self, purpose: str) -> None:
        super().__init__(purpose)
        self.purpose = purpose

    def __str__(self) -> str:
        return f"unknown purpose '{self.purpose}'"


class UnknownSubjectCategory(KeyError):
    """No subject category has this code (policy 3.3)."""

    code = "subject_category.unknown"

    def __init__(self, subject_category: str) -> None:
        super().__init__(subject_category)
        self.subject_category = subject_category

    def __str__(self) -> str:
        return f"unknown subject category '{self.subject_category}'"


class FieldNotAllowed(ValueError):
    """The purpose may not use this data category (minimisation, policy 2.1 and 4.1)."""

    code = "field.not_allowed"

    def __init__(self, field: str, purpose: str) -> None:
        super().__init__(
            f"field '{field}' may not be collected for purpose '{purpose}' (policy 2.1, 4.1)"
        )
        self.field = field
        self.purpose = purpose


class InvalidRetention(ValueError):
    """A retention override is not a positive whole number of days."""

    code = "retention.invalid"

    def __init__(self, purpose: str) -> None:
        super().__init__(f"retention for purpose '{purpose}' must be a positive number of days")
        self.purpose = purpose


@dataclass(frozen=True)
class Catalogue:
    """Data categories, subject categories and purposes in force, and intake validation."""

    fields: Mapping[str, DataCategory]
    subject_categories: Mapping[str, SubjectCategory]
    purposes: Mapping[str, Purpose]

    def __post_init__(self) -> None:
        for purpose in self.purposes.values():
            unknown = sorted(purpose.fields - self.fields.keys())
            if unknown:
                raise ValueError(f"purpose {purpose.code!r} names unknown fields {unknown}")

    @classmethod
    def default(cls) -> Catalogue:
        """The catalogue of the policy: policy 2.1, 3.3 and 5.1 with default retention."""
        return cls(DATA_CATEGORIES, SUBJECT_CATEGORIES, PURPOSES)

    def with_retention(self, overrides: Mapping[str, int]) -> Catalogue:
        """A copy with operator-configured retention days per purpose code."""
        purposes = dict(self.purposes)
        for code, days in overrides.items():
            purpose = self.purpose(code)
            if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
                raise InvalidRetention(code)
            purposes[code] = dataclasses.replace(purpose, retention_days=days)
        return dataclasses.replace(self, purposes=MappingProxyType(purposes))

    def field(self, code: str) -> DataCategory:
        try:
            return self.fields[code]
        except KeyError:
            raise UnknownField(code) from None

    def purpose(self, code: str) -> Purpose:
        try:
            return self.purposes[code]
        except KeyError:
            raise UnknownPurpose(code) from None

    def subject_category(self, code: str) -> SubjectCategory:
        try:
            return self.subject_categories[code]
        except KeyError:
            raise UnknownSubjectCategory(code) from None

    def normalise(self, field: str, raw: str) -> str:
        """Validate and normalise one value (policy 5.1; free text scanned, policy 3.2).

        Raises UnknownField, InvalidValue (``text.too_long`` over ``max_length``...) or
        SpecialCategoryFound.
        """
        return self.field(field).normalise(raw)

    def normalise_record(self, purpose: str, values: Mapping[str, str]) -> dict[str, str]:
        """Validate a record collected under ``purpose`` (policy 2.1, 4.1, 5.1, 3.2).

        Every key must be a known field (UnknownField, even when its value is empty, so a
        misspelt form field is noticed); values that are empty or blank are dropped; every
        remaining field must be allowed by the purpose (FieldNotAllowed). Returns the
        normalised values in the order given.
        """
        target = self.purpose(purpose)
        record: dict[str, str] = {}
        for code, raw in values.items():
            category = self.field(code)
            if not raw.strip():
                continue
            if not target.allows(code):
                raise FieldNotAllowed(code, purpose)
            record[code] = category.normalise(raw)
        return record
