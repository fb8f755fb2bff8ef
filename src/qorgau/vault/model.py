"""Vault domain: actors, results and the gate's refusals (DESIGN 1, policy 4.1, 6.5, 7.3.8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from qorgau.errors import DomainError, Refusal
from qorgau.vault.sources import Source
from qorgau.vault.sources import parse as parse_source

if TYPE_CHECKING:
    from sqlalchemy import Connection


class Status(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    DESTROYED = "destroyed"


@dataclass(frozen=True, slots=True)
class ValueMeta:
    purpose: str
    #: As stored (and bound by the value's associated data); ``typed_source`` reads it.
    source: str
    collected_at: datetime
    version: int

    @property
    def typed_source(self) -> Source:
        """The source as a typed one, legacy labels included (policy 4.2.2)."""
        return parse_source(self.source)


@dataclass(slots=True)
class ReadResult:
    subject_id: str
    category: str
    status: str
    values: dict[str, str] = field(default_factory=dict)
    masked: list[str] = field(default_factory=list)
    meta: dict[str, ValueMeta] = field(default_factory=dict)


class BasisProvider(Protocol):
    """Does a purpose have a live legal basis for this subject now (policy 6.1, 6.5)?

    ``collected_under`` names the purposes the subject's values were collected under."""

    def has_live_basis(
        self,
        conn: Connection,
        subject_id: str,
        purpose: str,
        at: datetime,
        collected_under: frozenset[str],
    ) -> bool: ...


class TransferRule(Protocol):
    """The transfer rule at the moment of a disclosure to a recipient (policy 6.2, 6.3,
    6.5): the basis it rests on as ``(kind, reference)``, or a :class:`Refusal` raised with
    a ``reason`` (the transfers context implements it)."""

    def check(
        self,
        conn: Connection,
        subject_id: str,
        recipient: str,
        purpose: str,
        fields: tuple[str, ...],
        at: datetime,
        *,
        subject_active: bool,
        legal_ground: str | None,
    ) -> tuple[str, str]: ...


@dataclass(frozen=True, slots=True)
class Disclosed:
    """What a disclosure to a recipient revealed, and the basis the transfer rule found."""

    result: ReadResult
    basis_kind: str
    basis_reference: str


class RecipientRequired(Refusal):
    code = "recipient-required"

    def __init__(self, role: str) -> None:
        super().__init__(f"role '{role}' receives data only as a disclosure to a recipient")


class NotYourRecipient(Refusal):
    code = "not-your-recipient"

    def __init__(self) -> None:
        super().__init__("a partner receives only what is addressed to it (policy 6.6-6.7)")


class PurposeRequired(Refusal):
    code = "purpose-required"

    def __init__(self) -> None:
        super().__init__("a purpose is required to read personal data (policy 2.1)")


class PurposeNotPermitted(Refusal):
    code = "purpose-not-permitted"

    def __init__(self, role: str, purpose: str) -> None:
        super().__init__(f"role '{role}' may not process data for purpose '{purpose}'")


class FieldNotInPurpose(Refusal):
    code = "field-not-in-purpose"

    def __init__(self, fields: list[str], purpose: str) -> None:
        super().__init__(
            f"purpose '{purpose}' may not use field(s) {', '.join(fields)} (policy 4.1)"
        )
        self.fields = fields


class FieldDenied(Refusal):
    code = "field-denied"

    def __init__(self, fields: list[str], role: str) -> None:
        super().__init__(f"role '{role}' may not see field(s) {', '.join(fields)}")
        self.fields = fields


class SubjectBlocked(Refusal):
    code = "subject-blocked"
    kind = "conflict"

    def __init__(self, subject_id: str) -> None:
        super().__init__("the subject is blocked: processing is halted")


class SubjectDestroyed(Refusal):
    code = "subject-destroyed"
    kind = "conflict"

    def __init__(self, subject_id: str) -> None:
        super().__init__("the subject was destroyed; only its tombstone remains")


class NoLiveBasis(Refusal):
    code = "no-live-basis"

    def __init__(self, subject_id: str, purpose: str) -> None:
        super().__init__(
            f"purpose '{purpose}' has no live legal basis for this subject (policy 6.5)"
        )


class SubjectNotFound(DomainError):
    code = "subject-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, subject_id: str) -> None:
        super().__init__(f"subject {subject_id} not found")


class InvalidTransition(DomainError):
    code = "invalid-transition"
    kind = "conflict"
    title = "Conflict"

    def __init__(self, subject_id: str, status: str, operation: str) -> None:
        super().__init__(f"subject {subject_id} is {status}: cannot {operation}")


class UnknownSearchKind(DomainError):
    code = "unknown-search-kind"

    def __init__(self, kind: str, kinds: list[str]) -> None:
        super().__init__(f"no blind index of kind '{kind}'; kinds: {', '.join(kinds)}")


class IntegrityFailure(DomainError):
    code = "integrity-failure"
    kind = "integrity"
    title = "Stored data failed its integrity check"
