"""The loan-request (lead) form: fields, validation rules, consent texts. Pure.

A loan request is a contract concluded on the subject's initiative (policy 6.1), so the
lead's values are collected under purpose ``contract`` for the subject category
``potential_borrower`` (policy 3.3). Every other purpose the site offers rests on consent,
asked for separately, one checkbox each and none pre-ticked (policy 2.1; LAW.md Art. 8);
transfer to partner organisations is one more separate consent (policy 6.2, 6.6).

Validation gathers every field's error at once (a person fixes a form in one pass), each as a
stable code for translation; neither codes nor messages ever carry a value (DESIGN 5).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from qorgau.catalog import (
    Catalogue,
    InvalidValue,
    Purpose,
    SpecialCategoryFound,
    iin_birth_date,
)
from qorgau.consent.model import FullName
from qorgau.errors import DomainError
from qorgau.i18n import LANGUAGES, t

LEAD_CATEGORY = "potential_borrower"
LEAD_PURPOSE = "contract"
#: The person, on the site's form (a typed source: ``qorgau.vault.sources``).
LEAD_SOURCE = "subject:web"

#: The form's fields, in display order (catalogue codes).
FIELDS: tuple[str, ...] = (
    "last_name",
    "first_name",
    "patronymic",
    "iin",
    "phone",
    "email",
    "city",
    "loan_amount",
    "loan_term_days",
    "income",
    "employment",
    "note",
)
OPTIONAL = frozenset({"patronymic", "note"})

#: The pseudo-purpose of the transfer consent (same code as ``qorgau.consent.model.TRANSFER``).
TRANSFER = "transfer"
#: Purposes the site asks consent for (P2-P5), then transfer: one checkbox each.
CONSENT_PURPOSES: tuple[str, ...] = ("service_info", "offers", "statistics", "direct_marketing")
CONSENTS: tuple[str, ...] = (*CONSENT_PURPOSES, TRANSFER)

Channel = Literal["phone", "email"]
CHANNELS: tuple[Channel, ...] = ("phone", "email")

ADULT_AGE = 18
CODE_TTL_SECONDS = 600
MAX_ATTEMPTS = 5

#: The web "user data" of policy 5.1 collected under ``statistics`` for a visitor who allowed
#: analytics cookies and consented to P4.
USER_DATA = ("ip_address", "os", "browser", "device_type", "referrer", "ad_source", "languages")


@dataclass(frozen=True, slots=True)
class FieldError:
    """A field failed: ``code`` is a catalogue reason code (``iin.checksum``) or one of
    ours (``value.empty``, ``iin.under_age``, ``special_category``, ``consent.unknown``,
    ``channel.choice``); for ``special_category``, ``category`` names the first special
    category found and ``categories`` every one (policy 3.2)."""

    field: str
    code: str
    category: str | None = None
    categories: tuple[str, ...] = ()


class LeadRejected(DomainError):
    """The loan request failed validation; nothing was stored."""

    code = "lead-invalid"
    title = "The loan request is invalid"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = tuple(errors)
        listed = ", ".join(f"{e.field} ({e.code})" for e in self.errors)
        super().__init__(f"the loan request has invalid fields: {listed}")


@dataclass(frozen=True, slots=True)
class LeadSubmission:
    """What the form posted: raw values by field, the consents ticked, where to send the
    code and the page's language."""

    values: Mapping[str, str]
    consents: frozenset[str]
    channel: str
    language: str


def age_on(born: date, today: date) -> int:
    """Full years between ``born`` and ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_lead(catalogue: Catalogue, submission: LeadSubmission, today: date) -> dict[str, str]:
    """Validate and normalise the form (policy 3.2, 5.1); raise :class:`LeadRejected` with
    every field's error. The applicant must be an adult by the IIN's birth date."""
    errors: list[FieldError] = []
    values: dict[str, str] = {}
    for f in FIELDS:
        raw = submission.values.get(f, "")
        if not raw.strip():
            if f not in OPTIONAL:
                errors.append(FieldError(f, "value.empty"))
            continue
        try:
            values[f] = catalogue.normalise(f, raw)
        except InvalidValue as exc:
            errors.append(FieldError(f, exc.code))
        except SpecialCategoryFound as exc:
            errors.append(FieldError(f, "special_category", exc.category, exc.categories))
    if "iin" in values and age_on(iin_birth_date(values["iin"]), today) < ADULT_AGE:
        errors.append(FieldError("iin", "iin.under_age"))
        del values["iin"]
    unknown = sorted(submission.consents - set(CONSENTS))
    if unknown:
        errors.append(FieldError("consent", "consent.unknown"))
    if submission.channel not in CHANNELS:
        errors.append(FieldError("channel", "channel.choice"))
    if submission.language not in LANGUAGES:
        raise ValueError("unknown page language")  # a route bug, not the person's error
    if errors:
        raise LeadRejected(errors)
    return values


# --------------------------------------------------------------------------------------
# Consent texts: each checkbox's label is exactly the text the ledger stores (and hashes).
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsentTerms:
    """What the consent texts name (LAW.md Art. 8 p.4): the operator, the partner
    organisations, the term of the transfer consent (the ledger's: the longest retention of
    any purpose), and whether the site's consents allow cross-border transfer and
    publication in public sources (the consents are granted with exactly these flags)."""

    operator_name: str
    operator_bin: str
    partners: tuple[str, ...]
    transfer_days: int
    #: Working days within which the person is told of each transfer (LAW.md Art. 19);
    #: None: the consent promises no notice.
    notice_working_days: int | None = None
    cross_border: bool = False
    public_sources: bool = False


#: The data the transfer consent covers: the loan request's fields (all collected under
#: ``contract``, the purpose a lead is passed on under), in the form's order.
TRANSFER_FIELDS: tuple[str, ...] = FIELDS


def _field_list(catalogue: Catalogue, purpose: Purpose, language: str) -> str:
    # Catalogue order (identity, contacts, ...) reads better than alphabetical codes.
    return ", ".join(
        c.labels[language] for code, c in catalogue.fields.items() if purpose.allows(code)
    )


def consent_fields(catalogue: Catalogue, code: str) -> tuple[str, ...]:
    """The exact data a consent of the site covers (Art. 8 p.4), as its text lists them."""
    if code == TRANSFER:
        return TRANSFER_FIELDS
    return tuple(f for f in catalogue.fields if catalogue.purpose(code).allows(f))


def _flags(terms: ConsentTerms, language: str, days: int) -> str:
    """Cross-border transfer, publication in public sources and the term (Art. 8 p.4)."""
    cross = "yes" if terms.cross_border else "no"
    public = "yes" if terms.public_sources else "no"
    return (
        t(language, f"consent.text.cross_border.{cross}")
        + t(language, f"consent.text.public_sources.{public}")
        + t(language, "consent.text.term", days=days)
    )


def consent_texts(catalogue: Catalogue, terms: ConsentTerms, language: str) -> dict[str, str]:
    """The exact text of every consent the site offers, in ``language``, by consent code:
    what Art. 8 p.4 requires (operator and BIN, purpose, the exact data, recipients or none,
    cross-border transfer, publication in public sources, term); the full name is bound
    beside it, sealed (the text is stored once for everyone).

    The wording is the ``messages`` catalogue's ``consent.text.*``; the ledger records each
    text's hash as evidence, so a changed wording is a new consent text (never edit one
    silently: a person consented to the words they saw)."""
    texts: dict[str, str] = {}
    for code in CONSENT_PURPOSES:
        p = catalogue.purpose(code)
        texts[code] = t(
            language,
            "consent.text.purpose",
            operator=terms.operator_name,
            bin=terms.operator_bin,
            purpose=p.labels[language],
            number=p.number,
            fields=_field_list(catalogue, p, language),
        ) + _flags(terms, language, p.retention_days)
    texts[TRANSFER] = t(
        language,
        "consent.text.transfer",
        operator=terms.operator_name,
        bin=terms.operator_bin,
        fields=", ".join(catalogue.field(f).labels[language] for f in TRANSFER_FIELDS),
        partners="; ".join(terms.partners),
    ) + _flags(terms, language, terms.transfer_days)
    if terms.notice_working_days is not None:
        texts[TRANSFER] += t(language, "consent.text.notice", days=terms.notice_working_days)
    return texts


# --------------------------------------------------------------------------------------
# References and masked addresses
# --------------------------------------------------------------------------------------

# Crockford-like: no 0/O, 1/I/L or U, so a reference read out on the phone is unambiguous.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A lead reference such as ``QG-7K3M-9P2D`` (30^8 ~ 6.6e11 values, from ``secrets``)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"QG-{chars[:4]}-{chars[4:]}"


def mask_address(catalogue: Catalogue, channel: str, address: str) -> str:
    """``+7 *** *** ** 78`` or ``a***@example.com``: enough for a person to recognise their
    own contact, too little to identify them (catalogue masks)."""
    return catalogue.field(channel).mask(address)


class CodeReason:
    """Why a one-time code was not accepted (stable codes for translation)."""

    WRONG = "code.wrong"
    EXPIRED = "code.expired"
    USED = "code.used"
    ATTEMPTS = "code.attempts"
    UNKNOWN = "code.unknown"
    FORMAT = "code.format"
    CHANGED = "code.terms_changed"


@dataclass(frozen=True, slots=True)
class CodeRejected:
    """The code was not accepted: why, how many attempts remain, and the channel it went
    to (empty when the challenge is unknown)."""

    reason: str
    attempts_left: int = 0
    channel: str = ""


@dataclass(frozen=True, slots=True)
class LeadConfirmed:
    reference: str
    subject_id: str
    consents: tuple[str, ...]
    #: Ticked consents waiting for their own confirmation (``consent_separate_document``).
    waiting: tuple[str, ...] = ()
    #: The name the person typed (their own consent documents show it back to them).
    full_name: FullName | None = field(default=None, repr=False)
    #: The language the consent texts were shown in (the challenge's).
    language: str = "ru"


@dataclass(frozen=True, slots=True)
class SeparateConsents:
    """The ticked consents of a confirmed lead, each its own document: those confirmed
    one by one so far and those still waiting (``IntakeService.confirm_separately``)."""

    challenge_id: str
    reference: str
    language: str
    confirmed: tuple[str, ...]
    waiting: tuple[str, ...]
    full_name: FullName | None = field(default=None, repr=False)
