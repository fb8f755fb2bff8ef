"""Law profiles: every legal figure and rule the system applies, as data with its source
(LAW.md; DESIGN invariant 7). Pure: no I/O, no clock, no third-party imports.

This module is the one place a figure is stated. The request workflow and the deadline
engine (``deadlines.py``, ``calendar.py``), the transfer notices, retention, the published
policy, the console, the access-report PDF, ``qorgau law show`` and the worker all read
the profile in force; none of them carries a figure of its own. When a later law changes a
figure, it changes here and nowhere else (LAW.md: "keep every figure below as data with its
source, never as a literal in code").

A profile holds:

- ``terms``: how long the operator has for an action once its event happened (a request,
  the detection of a breach, a consent withdrawal), each :class:`Term` with its article;
- the rules that are not terms: whether an obligation blocks a consent withdrawal, the
  cross-border article, where the databases must be (:class:`Localisation`), how long
  values are kept once a basis ends (``end_of_basis``), whether each consent must be a
  separate document (``consent_separate_document``), and the calendar (country, zone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "PROFILES",
    "Action",
    "LawProfile",
    "Localisation",
    "Term",
    "Unit",
    "UnknownAction",
    "UnknownLawProfile",
    "describe",
    "localisation_ok",
    "localisation_problem",
    "profile",
]


class Unit(StrEnum):
    """How a term is counted."""

    #: Working days on the profile's country calendar, in the operator's time zone.
    WORKING_DAYS = "working_days"
    #: Calendar days.
    DAYS = "days"
    #: Hours from the exact moment of the event.
    HOURS = "hours"


class Action(StrEnum):
    """What the operator must do by the deadline."""

    #: Give the subject information about the processing of their data (answer a request).
    ACCESS = "access"
    #: Give a motivated refusal to answer.
    REFUSE = "refuse"
    #: Change, add to (rectify) the subject's data.
    RECTIFY = "rectify"
    #: Block data when there is information that the processing conditions were breached.
    BLOCK = "block"
    #: Lift a block when the breach is not confirmed (or the data is rectified).
    UNBLOCK = "unblock"
    #: Destroy data whose unlawful collection or processing is confirmed (KZ), or that
    #: cannot be made lawful (RF).
    DESTROY = "destroy"
    #: Stop unlawful processing.
    STOP_UNLAWFUL = "stop_unlawful"
    #: Stop and destroy after consent withdrawal or once the purpose is achieved.
    WITHDRAWN_DESTROY = "withdrawn_destroy"
    #: Notify the subject of a transfer to a third party, where the consent provides for it.
    TRANSFER_NOTICE = "transfer_notice"
    #: Notify the authority of a personal-data security breach.
    BREACH_NOTICE = "breach_notice"
    #: Report the results of the internal investigation of a breach to the authority.
    BREACH_RESULTS = "breach_results"


@dataclass(frozen=True, slots=True)
class Term:
    """A legal term: ``amount`` ``unit`` s for ``action``, as set by ``source``.

    ``source`` is the full citation ("KZ 94-V Art. 25 p.2 sub.6"); ``article`` the citation
    inside the profile's law, as the published policy prints it ("Art. 25 p.2 sub.6";
    empty: the same as ``source``). ``extension`` is how much longer the term may be made,
    in the same unit, where the law allows it (RF 152-FZ Art. 20: the access answer +5
    working days with a motivated notice). ``note``: how the figure was read, where the law
    leaves room.
    """

    action: Action
    amount: int
    unit: Unit
    source: str
    extension: int | None = None
    article: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"term for {self.action}: amount must be >= 0, not {self.amount}")
        if self.extension is not None and self.extension <= 0:
            raise ValueError(f"term for {self.action}: extension must be > 0, not {self.extension}")

    @property
    def cited(self) -> str:
        """The article as the policy prints it (``article``, else ``source``)."""
        return self.article or self.source

    def extended(self) -> Term:
        """The term with its extension added (the extension is then spent).

        Raises ``ValueError`` when the law allows no extension for this term.
        """
        if self.extension is None:
            raise ValueError(f"the term for {self.action} ({self.source}) cannot be extended")
        return replace(self, amount=self.amount + self.extension, extension=None)


@dataclass(frozen=True, slots=True)
class Localisation:
    """Where the databases holding personal data must be (KZ Art. 12 p.2; RF Art. 18 p.5)."""

    #: ISO 3166 alpha-2 code of the country.
    country: str
    article: str
    #: The rule as a plain sentence (English; the policy has it in kk/ru/en).
    rule: str


@dataclass(frozen=True, slots=True)
class LawProfile:
    """One law's figures and rules (read the one in force with :func:`profile`)."""

    code: str
    name: str
    #: The law's short name, the prefix of every ``Term.source`` ("KZ 94-V").
    short: str
    #: The working calendar: its country and the operator's time zone.
    country: str
    timezone: str
    terms: Mapping[Action, Term]
    #: Consent withdrawal is refused while an obligation to the operator is unfulfilled.
    withdrawal_blocked_by_obligation: bool
    withdrawal_source: str
    #: The article on cross-border transfer.
    cross_border_source: str
    localisation: Localisation
    #: The articles on how long data may be kept and when it is destroyed (retention acts).
    storage_limit_source: str
    #: Each consent is its own document, separate from any other, with its own confirmation
    #: (RF 152-FZ Art. 9 p.1 from 1 Sep 2025); None where the law has no such rule.
    consent_separate_document: bool = False
    consent_separate_document_source: str | None = None
    consent_separate_document_since: date | None = None
    #: Where the law lists what a consent must contain (the consent documents name it).
    consent_content_source: str = "Art. 8 p.4"

    @property
    def transfer_notice_working_days(self) -> int | None:
        """Working days to tell the subject of a transfer, where the consent promises it."""
        t = self.terms.get(Action.TRANSFER_NOTICE)
        return None if t is None else t.amount

    @property
    def end_of_basis(self) -> Term | None:
        """The term to stop and destroy once a consent is withdrawn or a purpose achieved,
        counted from that moment (RF Art. 21 p.4-5: 30 days); None: the purpose's own
        retention period applies (KZ)."""
        return self.terms.get(Action.WITHDRAWN_DESTROY)

    def term(self, action: Action | str) -> Term:
        """The term for ``action``; :class:`UnknownAction` when the law sets none."""
        try:
            return self.terms[Action(action)]
        except (ValueError, KeyError):
            raise UnknownAction(self.code, str(action)) from None

    def separate_consent_required(self, on: date) -> bool:
        """Whether a consent given ``on`` that day must be a separate document."""
        since = self.consent_separate_document_since
        return self.consent_separate_document and (since is None or on >= since)


def _terms(short: str, *items: Term) -> Mapping[Action, Term]:
    table = {t.action: t for t in items}
    if len(table) != len(items):
        raise ValueError(f"{short}: an action appears twice in one profile's terms")
    for t in items:
        if not t.source.startswith(short):
            raise ValueError(f"{short}: the source of {t.action} must cite the law: {t.source!r}")
    return MappingProxyType(table)


_WD = Unit.WORKING_DAYS


def _kz(action: Action, amount: int, article: str) -> Term:
    return Term(action, amount, _WD, f"KZ 94-V {article}", article=article)


def _ru(
    action: Action,
    amount: int,
    unit: Unit,
    article: str,
    *,
    extension: int | None = None,
    note: str = "",
) -> Term:
    return Term(action, amount, unit, f"RF 152-FZ {article}", extension, article=article, note=note)


KZ_94V = LawProfile(
    code="kz_94v",
    name='Law of the Republic of Kazakhstan of 21 May 2013 No. 94-V "On personal data '
    'and their protection"',
    short="KZ 94-V",
    country="KZ",
    timezone="Asia/Almaty",
    terms=_terms(
        "KZ 94-V",
        _kz(Action.ACCESS, 3, "Art. 25 p.2 sub.6"),
        _kz(Action.REFUSE, 3, "Art. 25 p.2 sub.7"),
        _kz(Action.RECTIFY, 1, "Art. 25 p.2 sub.8"),
        _kz(Action.BLOCK, 1, "Art. 25 p.2 sub.8"),
        _kz(Action.UNBLOCK, 1, "Art. 25 p.2 sub.8"),
        _kz(Action.DESTROY, 1, "Art. 25 p.2 sub.8"),
        _kz(Action.TRANSFER_NOTICE, 10, "Art. 19"),
        # To the authorised body (Ministry of Digital Development), from detection, with
        # the responsible person's contacts; in force since 1 Jul 2024.
        Term(
            Action.BREACH_NOTICE,
            1,
            _WD,
            "KZ 94-V as amended by Law 44-VIII",
            article="Law 44-VIII",
        ),
    ),
    withdrawal_blocked_by_obligation=True,
    withdrawal_source="Art. 8 p.2",
    cross_border_source="Art. 16",
    localisation=Localisation(
        "KZ",
        "Art. 12 p.2",
        "databases holding personal data are located in the Republic of Kazakhstan",
    ),
    storage_limit_source="Art. 12 p.2, Art. 18",
)

RU_152FZ = LawProfile(
    code="ru_152fz",
    name='Federal Law of 27 July 2006 No. 152-FZ "On personal data"',
    short="RF 152-FZ",
    country="RU",
    timezone="Europe/Moscow",
    terms=_terms(
        "RF 152-FZ",
        _ru(Action.ACCESS, 10, _WD, "Art. 14 p.3, Art. 20", extension=5),
        # The motivated refusal answers the same request, on the same term.
        _ru(Action.REFUSE, 10, _WD, "Art. 20 p.2", extension=5),
        _ru(Action.RECTIFY, 7, _WD, "Art. 21 p.2"),
        # A block is the halt of processing (policy appendix: blocking) the subject says is
        # unlawful: the operator stops it within 3 working days.
        _ru(
            Action.BLOCK,
            3,
            _WD,
            "Art. 21 p.3",
            note="blocking halts the processing the subject says is unlawful (Art. 21 p.1, "
            "p.3): within the 3 working days set to stop unlawful processing",
        ),
        # The law lifts a block together with the rectification of the data.
        _ru(
            Action.UNBLOCK,
            7,
            _WD,
            "Art. 21 p.2",
            note="152-FZ sets no separate term for lifting a block: Art. 21 p.2 lifts it "
            "with the rectification, within 7 working days",
        ),
        _ru(Action.STOP_UNLAWFUL, 3, _WD, "Art. 21 p.3"),
        _ru(Action.DESTROY, 10, _WD, "Art. 21 p.3"),
        _ru(Action.WITHDRAWN_DESTROY, 30, Unit.DAYS, "Art. 21 p.4-5"),
        # First notice to Roskomnadzor, then the investigation's results.
        _ru(Action.BREACH_NOTICE, 24, Unit.HOURS, "Art. 21 p.3.1"),
        _ru(Action.BREACH_RESULTS, 72, Unit.HOURS, "Art. 21 p.3.1"),
    ),
    withdrawal_blocked_by_obligation=False,
    withdrawal_source="Art. 9 p.2, Art. 21 p.5",
    cross_border_source="Art. 12",
    localisation=Localisation(
        "RU",
        "Art. 18 p.5",
        "databases holding personal data of citizens of the Russian Federation are located "
        "in the Russian Federation",
    ),
    storage_limit_source="Art. 5 p.7, Art. 21 p.4-5",
    consent_separate_document=True,
    consent_separate_document_source="Art. 9 p.1",
    consent_separate_document_since=date(2025, 9, 1),
    consent_content_source="Art. 9 p.4",
)

#: The law profiles by code (``QORGAU_LAW_PROFILE``).
PROFILES: Mapping[str, LawProfile] = MappingProxyType({p.code: p for p in (KZ_94V, RU_152FZ)})


class UnknownLawProfile(KeyError):
    def __str__(self) -> str:
        return f"unknown law profile {self.args[0]!r}; profiles: {', '.join(PROFILES)}"


class UnknownAction(ValueError):
    """The law profile sets no term for this action."""

    def __init__(self, profile: str, action: str) -> None:
        super().__init__(profile, action)
        self.profile = profile
        self.action = action

    def __str__(self) -> str:
        found = PROFILES.get(self.profile)
        have = ", ".join(found.terms) if found else ""
        return (
            f"law profile {self.profile!r} sets no term for action {self.action!r}; "
            f"its actions: {have}"
        )


def profile(code: str) -> LawProfile:
    try:
        return PROFILES[code]
    except KeyError:
        raise UnknownLawProfile(code) from None


# -- localisation ---------------------------------------------------------------------------

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


def _law(law: LawProfile | str) -> LawProfile:
    return law if isinstance(law, LawProfile) else profile(law)


def localisation_problem(law: LawProfile | str, storage_location: str) -> str | None:
    """Why the configured storage location breaks the profile's localisation rule, as a
    plain sentence; None when it satisfies it (KZ Art. 12 p.2, RF Art. 18 p.5).

    ``law`` is a profile or its code (``UnknownLawProfile`` for an unknown code);
    ``storage_location`` the operator's ``storage_location`` (ISO 3166 alpha-2).
    """
    p = _law(law)
    rule = p.localisation
    where = storage_location.strip() if isinstance(storage_location, str) else ""
    if not _COUNTRY_CODE.fullmatch(where):
        return (
            f"The storage location {storage_location!r} is not an ISO 3166 alpha-2 country "
            f"code in capitals (e.g. {rule.country!r}); {p.short} {rule.article} requires "
            f"that {rule.rule} ({rule.country})."
        )
    if where != rule.country:
        return (
            f"The storage location {where!r} does not satisfy {p.short} {rule.article}: "
            f"{rule.rule} ({rule.country})."
        )
    return None


def localisation_ok(law: LawProfile | str, storage_location: str) -> bool:
    """Whether the storage location satisfies the profile's localisation rule."""
    return localisation_problem(law, storage_location) is None


# -- the profile as a document ------------------------------------------------------------


def describe(law: LawProfile | str) -> dict[str, object]:
    """Every figure and rule of the profile with its source, JSON-ready (``qorgau law
    show --json``): the calendar, each term, and the rules that are not terms."""
    p = _law(law)

    def cite(article: str | None) -> str | None:
        return None if article is None else f"{p.short} {article}"

    end = p.end_of_basis
    return {
        "profile": p.code,
        "name": p.name,
        "calendar": {"country": p.country, "timezone": p.timezone},
        "terms": [
            {
                "action": t.action.value,
                "amount": t.amount,
                "unit": t.unit.value,
                "extension": t.extension,
                "source": t.source,
                "note": t.note or None,
            }
            for t in p.terms.values()
        ],
        "rules": {
            "withdrawal": {
                "blocked_by_obligation": p.withdrawal_blocked_by_obligation,
                "source": cite(p.withdrawal_source),
            },
            "cross_border": {"source": cite(p.cross_border_source)},
            "localisation": {
                "country": p.localisation.country,
                "rule": p.localisation.rule,
                "source": cite(p.localisation.article),
            },
            "storage_limit": {"source": cite(p.storage_limit_source)},
            "end_of_basis": None
            if end is None
            else {"amount": end.amount, "unit": end.unit.value, "source": end.source},
            "consent_separate_document": {
                "required": p.consent_separate_document,
                "source": cite(p.consent_separate_document_source),
                "since": None
                if p.consent_separate_document_since is None
                else p.consent_separate_document_since.isoformat(),
            },
        },
    }
