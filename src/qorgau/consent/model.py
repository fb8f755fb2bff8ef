"""Consent ledger domain (policy 2.1, 6.1, 6.5, 6.6; LAW.md Art. 8). Pure.

A consent records what Art. 8 p.4 requires a consent to contain: the operator's name and
BIN, the subject and their full name (sealed under the subject's key), the purpose, the list
of data, its term, whether transfer to third parties is allowed and to whom, whether
cross-border transfer happens, whether publication in public sources is allowed; plus the
exact text and policy version shown, language, channel, time and evidence (the one-time code
that confirmed it). Records are append-only; the current state per (subject, purpose) is
kept beside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from qorgau.errors import DomainError, Refusal

#: The pseudo-purpose of a consent to transfer data to named recipients (policy 6.2, 6.6).
TRANSFER = "transfer"
#: The catalogue fields of a full name (Art. 8 p.4), in the order a document writes them.
NAME_FIELDS: tuple[str, ...] = ("last_name", "first_name", "patronymic")
#: The sealed box of a consent's full name is labelled ``consent-name:<consent id>``.
NAME_LABEL = "consent-name"


class Channel(StrEnum):
    WEB = "web"
    CALL_CENTRE = "call_centre"
    PAPER = "paper"
    API = "api"


class BasisKind(StrEnum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LAW = "law"


class State(StrEnum):
    LIVE = "live"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class FullName:
    """The subject's full name as the consent binds it (Art. 8 p.4); sealed under the
    subject's key, so it is shredded with the subject."""

    last_name: str
    first_name: str
    patronymic: str | None = None

    def text(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.patronymic) if p)

    def fields(self) -> tuple[str, ...]:
        """The catalogue fields it holds (what opening it discloses)."""
        return tuple(f for f in NAME_FIELDS if getattr(self, f))

    def as_dict(self) -> dict[str, str]:
        return {f: str(getattr(self, f)) for f in self.fields()}

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> FullName | None:
        """From a subject's values (catalogue codes); None without a surname and a name."""
        last, first = values.get("last_name"), values.get("first_name")
        if not (isinstance(last, str) and last and isinstance(first, str) and first):
            return None
        patronymic = values.get("patronymic")
        return cls(last, first, patronymic if isinstance(patronymic, str) and patronymic else None)


@dataclass(frozen=True, slots=True)
class CodeRecord:
    """The one-time code that confirmed a consent (Art. 8 p.1): the challenge it was sent
    for, over which channel, when it was sent and confirmed and in how many attempts; and,
    where each consent is its own document (``consent_separate_document``), when the person
    then confirmed this consent on its own. Holds no contact and no code."""

    challenge: str
    channel: str
    sent_at: datetime
    confirmed_at: datetime
    attempts: int
    separate_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "challenge": self.challenge,
            "channel": self.channel,
            "sent_at": self.sent_at.isoformat(),
            "confirmed_at": self.confirmed_at.isoformat(),
            "attempts": self.attempts,
            "separate_at": self.separate_at.isoformat() if self.separate_at else None,
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    """How the subject confirmed: e.g. ``otp:phone`` with the client's IP and user agent,
    the one-time code's record (``code``) or a staff channel's reference (a scan's number).

    IP and user agent are personal data (policy 5.1): the ledger stores them sealed under
    the subject's key, so destroying the subject destroys them too."""

    method: str
    ip: str | None = None
    user_agent: str | None = None
    reference: str | None = None
    code: CodeRecord | None = None

    def record(self) -> dict[str, Any] | None:
        """What the ledger keeps in clear of it (no personal value), or None."""
        doc: dict[str, Any] = {}
        if self.reference:
            doc["reference"] = self.reference
        if self.code is not None:
            doc["code"] = self.code.as_dict()
        return doc or None


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    subject_id: str
    purpose: str
    text: str
    evidence: Evidence
    language: str = "ru"
    channel: Channel = Channel.WEB
    recipients: tuple[str, ...] = ()
    cross_border: bool = False
    public_sources: bool = False
    #: None: the purpose's retention period.
    term_days: int | None = None
    #: None: the current published policy version.
    policy_version: str | None = None
    #: The subject's full name (Art. 8 p.4); None: the consent is recorded without one.
    full_name: FullName | None = None
    #: The data the consent covers; None: every field of its purpose (for the transfer
    #: consent: of the purpose its transfers are made under).
    fields: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ConsentView:
    id: str
    subject_id: str
    purpose: str
    state: State
    granted_at: datetime
    expires_at: datetime
    fields: tuple[str, ...]
    recipients: tuple[str, ...]
    third_party_transfer: bool
    cross_border: bool
    public_sources: bool
    operator_name: str
    operator_bin: str
    text_hash: str
    policy_version: str | None
    policy_hash: str | None
    language: str
    channel: str
    evidence_method: str
    #: A full name is sealed with it (consents recorded before revision 0017 have none).
    has_name: bool = False
    #: The evidence kept in clear (``Evidence.record``): the code's record, a reference.
    evidence_record: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    id: int
    consent_id: str | None
    subject_id: str
    purpose: str
    kind: str
    at: datetime
    actor: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BasisView:
    subject_id: str
    purpose: str
    kind: BasisKind
    state: State
    since: datetime
    until: datetime | None
    reference: str | None
    obligation: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def effective_state(state: State, expires_at: datetime | None, at: datetime) -> State:
    """A live basis past its term is expired at that moment, recorded or not (policy 6.5)."""
    if state is State.LIVE and expires_at is not None and expires_at <= at:
        return State.EXPIRED
    return state


class ConsentNotFound(DomainError):
    code = "consent-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, subject_id: str, purpose: str, *, what: str = "purpose") -> None:
        if what == "consent":
            super().__init__(f"subject {subject_id} has no consent '{purpose}'")
        else:
            super().__init__(f"subject {subject_id} has no live consent for '{purpose}'")


class WithdrawalRefused(Refusal):
    """Withdrawal is not allowed while an obligation to the operator is unfulfilled.

    A refusal: its ledger record and audit event commit, nothing else changes."""

    code = "withdrawal-refused"
    kind = "conflict"
    title = "Withdrawal refused"

    def __init__(
        self,
        subject_id: str,
        purpose: str,
        reason: str,
        *,
        ground: str = "obligation",
        source: str = "",
    ) -> None:
        super().__init__(f"consent of subject {subject_id} for '{purpose}' stays: {reason}")
        self.reason = reason
        self.purpose = purpose
        #: Why, as a stable code (the rights page words it): ``obligation``.
        self.ground = ground
        #: The law profile and article that forbid it, e.g. ``kz_94v Art. 8 p.2``.
        self.source = source


class NameRequired(DomainError):
    """A consent must name the subject (Art. 8 p.4): none was given and none is held."""

    code = "consent-name-required"

    def __init__(self, subject_id: str) -> None:
        super().__init__(
            f"subject {subject_id}: a consent needs the subject's full name (Art. 8 p.4); "
            "give full_name"
        )


class UnknownRecipient(DomainError):
    code = "unknown-recipient"

    def __init__(self, recipient: str) -> None:
        super().__init__(f"unknown recipient '{recipient}'")
