"""Recipients, agreements and transfers (policy 4.2.2, 6.2-6.4, 6.6-6.7; LAW.md Art. 16, 19).

Pure domain: no web or database imports. A recipient is an organisation data may be passed
to, with the agreement policy 6.2 requires (operations, purposes, confidentiality and security
duties, protection requirements, validity, document reference). :func:`check_transfer` is the
one transfer rule; every refusal names its reason (:func:`refusal_code`). How a lead is
delivered (signatures, retries, withheld leads) is :mod:`qorgau.transfers.delivery`'s.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from qorgau.errors import DomainError, Refusal


class Kind(StrEnum):
    """Recipient kinds (policy 6.2, 6.3)."""

    THIRD_PARTY = "third_party"
    PROCESSOR = "processor"
    AFFILIATE = "affiliate"
    STATE_BODY = "state_body"


class DeliveryMode(StrEnum):
    """How leads reach the recipient: posted to its endpoint, fetched by it, or neither."""

    WEBHOOK = "webhook"
    PULL = "pull"
    NONE = "none"


#: Operations an agreement may entrust (LAW.md Art. 1: processing operations).
OPERATIONS: tuple[str, ...] = (
    "collection", "recording", "systematisation", "accumulation", "storage", "clarification",
    "use", "distribution", "depersonalisation", "blocking", "destruction", "transfer",
)  # fmt: skip

#: What a partner may report back about a lead, and the subject category it leads to
#: (policy 3.3); ``None`` keeps the category.
OUTCOMES: Mapping[str, str | None] = {
    "issued": "prospective_client",
    "refused": "refused_borrower",
    "in_review": None,
    "no_contact": None,
}

_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_BIN = re.compile(r"\d{12}")
_COUNTRY = re.compile(r"[A-Z]{2}")


class InvalidRecipient(DomainError):
    code = "invalid-recipient"


class RecipientNotFound(DomainError):
    code = "recipient-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, code: str) -> None:
        super().__init__(f"no recipient '{code}' in the registry")


class TransferNotFound(DomainError):
    code = "transfer-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, transfer_id: str) -> None:
        super().__init__(f"no transfer {transfer_id}")


class InvalidOutcome(DomainError):
    code = "invalid-outcome"

    def __init__(self, outcome: str) -> None:
        super().__init__(f"unknown outcome '{outcome}'; outcomes: {', '.join(OUTCOMES)}")


class Reason(StrEnum):
    """Why a transfer is refused: one code per condition of policy 6.2, 6.5, LAW.md Art. 16."""

    NO_AGREEMENT = "no-agreement"
    AGREEMENT_NOT_VALID = "agreement-not-valid"
    PURPOSE_NOT_COVERED = "purpose-not-covered"
    OPERATION_NOT_COVERED = "operation-not-covered"
    FIELDS_OUTSIDE_PURPOSE = "fields-outside-purpose"
    SUBJECT_NOT_ACTIVE = "subject-not-active"
    NO_CONSENT = "no-consent"
    NO_CROSS_BORDER_CONSENT = "no-cross-border-consent"
    RECIPIENT_INACTIVE = "recipient-inactive"


_MESSAGES: Mapping[Reason, str] = {
    Reason.NO_AGREEMENT: "the recipient has no agreement on record (policy 6.2)",
    Reason.AGREEMENT_NOT_VALID: "the recipient's agreement is not valid on that date (policy 6.2)",
    Reason.PURPOSE_NOT_COVERED: "the agreement does not cover that purpose (policy 6.2)",
    Reason.OPERATION_NOT_COVERED: "the agreement does not entrust the transfer operation",
    Reason.FIELDS_OUTSIDE_PURPOSE: "fields outside what the purpose may use (policy 4.1)",
    Reason.SUBJECT_NOT_ACTIVE: "the subject is blocked or destroyed",
    Reason.NO_CONSENT: "no live consent to transfer to that recipient and no legal basis "
    "recorded (policy 6.2, 6.6)",
    Reason.NO_CROSS_BORDER_CONSENT: "the recipient is abroad and the consent does not allow "
    "cross-border transfer (LAW.md Art. 16)",
    Reason.RECIPIENT_INACTIVE: "the recipient is withdrawn from the registry",
}


class TransferRefused(Refusal):
    """A transfer the rule does not allow; audited, nothing else changes."""

    code = "transfer-refused"
    kind = "forbidden"
    title = "Transfer refused"

    def __init__(self, reason: Reason, detail: str = "") -> None:
        message = _MESSAGES[reason] + (f": {detail}" if detail else "")
        super().__init__(message)
        self.reason = reason

    def problem_reason(self) -> str:
        # The rule's reason code (policy 6.2, 6.5; LAW.md Art. 16), in the detail too.
        return self.reason.value

    def problem_detail(self) -> str:
        return f"{self.reason.value}: {self}"


@dataclass(frozen=True, slots=True)
class Agreement:
    """The agreement of policy 6.2: operations, purposes, duties, validity, document."""

    reference: str
    operations: frozenset[str]
    purposes: frozenset[str]
    confidentiality: str
    security: str
    protection: str
    valid_from: date
    valid_until: date
    #: Fields the recipient may receive; empty: whatever the purpose may use.
    fields: frozenset[str] = frozenset()

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def expires_within(self, day: date, days: int) -> bool:
        return day <= self.valid_until < day + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class Recipient:
    code: str
    kind: Kind
    legal_name: str
    bin: str | None
    country: str
    contacts: Mapping[str, str] = field(default_factory=dict)
    delivery: DeliveryMode = DeliveryMode.NONE
    endpoint: str | None = None
    agreement: Agreement | None = None
    active: bool = True
    version: int = 1

    def cross_border(self, home_country: str) -> bool:
        """Whether data passed to this recipient leaves the operator's storage country."""
        return self.country != home_country


def agreement_doc(a: Agreement) -> dict[str, Any]:
    """An agreement as a JSON-ready document (sets sorted, dates ISO)."""
    doc = asdict(a)
    doc["operations"] = sorted(a.operations)
    doc["purposes"] = sorted(a.purposes)
    doc["fields"] = sorted(a.fields)
    doc["valid_from"] = a.valid_from.isoformat()
    doc["valid_until"] = a.valid_until.isoformat()
    return doc


def agreement_from(doc: Mapping[str, Any] | None) -> Agreement | None:
    """An agreement from its document (stored, or given to the API or the CLI)."""
    if doc is None:
        return None
    return Agreement(
        reference=str(doc["reference"]),
        operations=frozenset(doc.get("operations", ())),
        purposes=frozenset(doc.get("purposes", ())),
        confidentiality=str(doc.get("confidentiality", "")),
        security=str(doc.get("security", "")),
        protection=str(doc.get("protection", "")),
        valid_from=date.fromisoformat(str(doc["valid_from"])),
        valid_until=date.fromisoformat(str(doc["valid_until"])),
        fields=frozenset(doc.get("fields", ())),
    )


@lru_cache(maxsize=1024)
def endpoint_problem(url: str, *, allow_loopback: bool = False) -> str | None:
    """Why a webhook endpoint is unacceptable, or ``None``: https to a public host. An IP
    address must be globally routable (no loopback, private, link-local or metadata
    address, in any spelling); the loopback interface only with ``allow_loopback``
    (development: ``QORGAU_DEV_LOOPBACK_WEBHOOKS``), so a registry entry cannot aim the
    dispatcher at the server's own ports or its network."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        _port = parts.port
    except ValueError:
        return "endpoint: not a valid URL"
    if not host or parts.username or parts.password:
        return "endpoint: an https:// URL with a host and no credentials is required"
    address = _address(host)
    loopback = host == "localhost" or host.endswith(".localhost")
    if address is not None:
        loopback = loopback or address.is_loopback
        if not loopback and not address.is_global:
            return "endpoint: a private, link-local or reserved address is not allowed"
    elif host.replace(".", "").isdigit() or host.startswith("0x"):
        return "endpoint: not a valid host"  # 2130706433, 0x7f.1: numeric spellings
    if loopback:
        if allow_loopback and parts.scheme in ("http", "https"):
            return None
        return "endpoint: a loopback address is allowed only in development"
    if parts.scheme != "https":
        return "endpoint: an https:// URL is required for webhook delivery"
    return None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def validate_recipient(
    r: Recipient,
    purposes: Iterable[str],
    known_fields: Iterable[str],
    *,
    allow_loopback: bool = False,
) -> None:
    """Refuse a registry entry that could not be lawfully used (clear, field-named errors)."""
    problems: list[str] = []
    if not _CODE.fullmatch(r.code):
        problems.append("code: 1-40 of a-z, 0-9, '_' or '-', starting with a letter or digit")
    if not r.legal_name.strip() or len(r.legal_name) > 300:
        problems.append("legal_name: 1 to 300 characters")
    if r.bin is not None and not _BIN.fullmatch(r.bin):
        problems.append("bin: 12 digits")
    if r.country == "KZ" and r.bin is None and r.kind is not Kind.STATE_BODY:
        problems.append("bin: required for an organisation registered in Kazakhstan")
    if not _COUNTRY.fullmatch(r.country):
        problems.append("country: an ISO 3166-1 alpha-2 code such as KZ")
    if r.delivery is DeliveryMode.WEBHOOK:
        problem = endpoint_problem(r.endpoint or "", allow_loopback=allow_loopback)
        if problem:
            problems.append(problem)
    a = r.agreement
    if a is not None:
        if not a.reference.strip():
            problems.append("agreement.reference: the agreement's document reference")
        unknown_ops = sorted(a.operations - set(OPERATIONS))
        if unknown_ops:
            problems.append(f"agreement.operations: unknown {', '.join(unknown_ops)}")
        if not a.operations:
            problems.append("agreement.operations: at least one operation (policy 6.2)")
        unknown = sorted(a.purposes - set(purposes))
        if unknown:
            problems.append(f"agreement.purposes: unknown {', '.join(unknown)}")
        if not a.purposes:
            problems.append("agreement.purposes: at least one purpose (policy 6.2)")
        for name in ("confidentiality", "security", "protection"):
            if not getattr(a, name).strip():
                problems.append(f"agreement.{name}: the duty the agreement sets (policy 6.2)")
        if a.valid_until < a.valid_from:
            problems.append("agreement.valid_until: before valid_from")
        bad_fields = sorted(a.fields - set(known_fields))
        if bad_fields:
            problems.append(f"agreement.fields: unknown {', '.join(bad_fields)}")
    if problems:
        raise InvalidRecipient("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Basis:
    """The ground a transfer rests on: the subject's consent, or a legal ground."""

    kind: str  # "consent" | "law"
    reference: str


@dataclass(frozen=True, slots=True)
class TransferConsent:
    """The subject's live transfer consent, as the rule needs it."""

    consent_id: str
    recipients: frozenset[str]
    cross_border: bool


def check_transfer(
    recipient: Recipient,
    *,
    purpose: str,
    fields: Iterable[str],
    purpose_fields: frozenset[str],
    subject_active: bool,
    consent: TransferConsent | None,
    legal_ground: str | None,
    home_country: str,
    on: date,
) -> Basis:
    """The transfer rule (policy 6.2, 6.3, 6.5, 4.1; LAW.md Art. 16): the basis it rests on,
    or :class:`TransferRefused` with the first condition that fails."""
    wanted = frozenset(fields)
    if not recipient.active:
        raise TransferRefused(Reason.RECIPIENT_INACTIVE)
    if not subject_active:
        raise TransferRefused(Reason.SUBJECT_NOT_ACTIVE)
    outside = sorted(wanted - purpose_fields)
    if outside:
        raise TransferRefused(Reason.FIELDS_OUTSIDE_PURPOSE, ", ".join(outside))
    if legal_ground is not None:
        # A state body's request within its powers (policy 6.3): the law is the basis.
        return Basis("law", legal_ground)
    a = recipient.agreement
    if a is None:
        raise TransferRefused(Reason.NO_AGREEMENT)
    if not a.valid_on(on):
        raise TransferRefused(Reason.AGREEMENT_NOT_VALID, f"valid {a.valid_from}..{a.valid_until}")
    if purpose not in a.purposes:
        raise TransferRefused(Reason.PURPOSE_NOT_COVERED, purpose)
    if "transfer" not in a.operations:
        raise TransferRefused(Reason.OPERATION_NOT_COVERED)
    beyond = sorted(wanted - a.fields) if a.fields else []
    if beyond:
        raise TransferRefused(
            Reason.FIELDS_OUTSIDE_PURPOSE, "not in the agreement: " + ", ".join(beyond)
        )
    if consent is None or recipient.code not in consent.recipients:
        raise TransferRefused(Reason.NO_CONSENT)
    if recipient.cross_border(home_country) and not consent.cross_border:
        raise TransferRefused(Reason.NO_CROSS_BORDER_CONSENT)
    return Basis("consent", consent.consent_id)


@dataclass(frozen=True, slots=True)
class TransferView:
    """One transfer as staff, the API and the subject's access report see it: field names,
    never values."""

    id: str
    subject_id: str | None
    recipient: str
    recipient_name: str
    purpose: str
    fields: tuple[str, ...]
    basis_kind: str
    basis_reference: str
    at: datetime
    status: str
    delivered_at: datetime | None = None
    acknowledged_at: datetime | None = None
    outcome: str | None = None
    lead: str | None = None


def refusal_code(exc: Exception) -> str:
    """The reason code of a refusal: the transfer rule's reason, or the gate's code."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, Reason):
        return reason.value
    return str(getattr(exc, "code", "refused"))
