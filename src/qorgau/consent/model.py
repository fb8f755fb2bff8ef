"""Consent ledger domain (policy 2.1, 6.1, 6.5, 6.6; LAW.md Art. 8). Pure.

A consent records what Art. 8 p.4 requires a consent to contain: the operator's name and
BIN, the subject, the purpose, the list of data, its term, whether transfer to third parties
is allowed and to whom, whether cross-border transfer happens, whether publication in public
sources is allowed; plus the exact text and policy version shown, language, channel, time and
evidence. Records are append-only; the current state per (subject, purpose) is kept beside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from qorgau.errors import DomainError, Refusal

#: The pseudo-purpose of a consent to transfer data to named recipients (policy 6.2, 6.6).
TRANSFER = "transfer"


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
class Evidence:
    """How the subject confirmed: e.g. ``otp:phone`` with the client's IP and user agent.

    IP and user agent are personal data (policy 5.1): the ledger stores them sealed under
    the subject's key, so destroying the subject destroys them too."""

    method: str
    ip: str | None = None
    user_agent: str | None = None
    reference: str | None = None


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

    def __init__(self, subject_id: str, purpose: str) -> None:
        super().__init__(f"subject {subject_id} has no live consent for '{purpose}'")


class WithdrawalRefused(Refusal):
    """Withdrawal is not allowed while an obligation to the operator is unfulfilled.

    A refusal: its ledger record and audit event commit, nothing else changes."""

    code = "withdrawal-refused"
    kind = "conflict"
    title = "Withdrawal refused"

    def __init__(self, subject_id: str, purpose: str, reason: str) -> None:
        super().__init__(f"consent of subject {subject_id} for '{purpose}' stays: {reason}")
        self.reason = reason


class UnknownRecipient(DomainError):
    code = "unknown-recipient"

    def __init__(self, recipient: str) -> None:
        super().__init__(f"unknown recipient '{recipient}'")
