"""Deadline terms as data: every figure with its source article (LAW.md, DESIGN invariant 7).

A term says how long the operator has for an action once the triggering event (a subject's
request, the detection of a breach, a consent withdrawal) has happened: an amount and a unit.
Nothing here counts days; :mod:`qorgau.law.calendar` does that on each country's working
calendar. When a later law changes a figure, the change is made in :data:`TERMS` and nowhere
else (LAW.md: "keep every figure below as data with its source, never as a literal in code").

Pure: no I/O, no clock, no third-party imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType

from qorgau.law.profiles import UnknownLawProfile

__all__ = [
    "TERMS",
    "Action",
    "Term",
    "Unit",
    "UnknownAction",
    "actions",
    "term",
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
    #: Lift a block when the breach is not confirmed.
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


@dataclass(frozen=True, slots=True)
class Term:
    """A legal term: ``amount`` ``unit`` s for ``action``, as set by ``source``.

    ``extension`` is how much longer the term may be made, in the same unit, where the law
    allows it (RF 152-FZ Art. 20 p.2: access answer +5 working days with a motivated notice).
    """

    action: Action
    amount: int
    unit: Unit
    source: str
    extension: int | None = None

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"term for {self.action}: amount must be >= 0, not {self.amount}")
        if self.extension is not None and self.extension <= 0:
            raise ValueError(f"term for {self.action}: extension must be > 0, not {self.extension}")

    def extended(self) -> Term:
        """The term with its extension added (the extension is then spent).

        Raises ``ValueError`` when the law allows no extension for this term.
        """
        if self.extension is None:
            raise ValueError(f"the term for {self.action} ({self.source}) cannot be extended")
        return replace(self, amount=self.amount + self.extension, extension=None)


def _terms(*items: Term) -> Mapping[Action, Term]:
    table = {t.action: t for t in items}
    if len(table) != len(items):
        raise ValueError("an action appears twice in one profile's terms")
    return MappingProxyType(table)


_WD = Unit.WORKING_DAYS

#: The terms of each law profile (keys as in :data:`qorgau.law.profiles.PROFILES`).
#: A profile has only the actions its law sets a term for; :func:`term` refuses the others.
TERMS: Mapping[str, Mapping[Action, Term]] = MappingProxyType(
    {
        # Law of the Republic of Kazakhstan No. 94-V "On personal data and their protection".
        "kz_94v": _terms(
            Term(Action.ACCESS, 3, _WD, "KZ 94-V Art. 25 p.2 sub.6"),
            Term(Action.REFUSE, 3, _WD, "KZ 94-V Art. 25 p.2 sub.7"),
            Term(Action.RECTIFY, 1, _WD, "KZ 94-V Art. 25 p.2 sub.8"),
            Term(Action.BLOCK, 1, _WD, "KZ 94-V Art. 25 p.2 sub.8"),
            Term(Action.UNBLOCK, 1, _WD, "KZ 94-V Art. 25 p.2 sub.8"),
            Term(Action.DESTROY, 1, _WD, "KZ 94-V Art. 25 p.2 sub.8"),
            Term(Action.TRANSFER_NOTICE, 10, _WD, "KZ 94-V Art. 19"),
            # To the authorised body (Ministry of Digital Development), from detection;
            # in force since 1 Jul 2024.
            Term(Action.BREACH_NOTICE, 1, _WD, "KZ 94-V as amended by Law 44-VIII"),
        ),
        # Federal Law of the Russian Federation No. 152-FZ "On personal data".
        "ru_152fz": _terms(
            Term(Action.ACCESS, 10, _WD, "RF 152-FZ Art. 14 p.3, Art. 20", extension=5),
            # The motivated refusal answers the same request, on the same term.
            Term(Action.REFUSE, 10, _WD, "RF 152-FZ Art. 20 p.2", extension=5),
            Term(Action.RECTIFY, 7, _WD, "RF 152-FZ Art. 21 p.2"),
            Term(Action.STOP_UNLAWFUL, 3, _WD, "RF 152-FZ Art. 21 p.3"),
            Term(Action.DESTROY, 10, _WD, "RF 152-FZ Art. 21 p.3"),
            Term(Action.WITHDRAWN_DESTROY, 30, Unit.DAYS, "RF 152-FZ Art. 21 p.4-5"),
            # First notice; the investigation results follow within 72 hours.
            Term(Action.BREACH_NOTICE, 24, Unit.HOURS, "RF 152-FZ Art. 21 p.3.1"),
        ),
    }
)


class UnknownAction(ValueError):
    """The law profile sets no term for this action."""

    def __init__(self, profile: str, action: str) -> None:
        super().__init__(profile, action)
        self.profile = profile
        self.action = action

    def __str__(self) -> str:
        have = ", ".join(actions(self.profile))
        return (
            f"law profile {self.profile!r} sets no term for action {self.action!r}; "
            f"its actions: {have}"
        )


def actions(profile: str) -> tuple[Action, ...]:
    """The actions ``profile`` sets a term for, in table order.

    Raises :class:`~qorgau.law.profiles.UnknownLawProfile` for a profile without terms.
    """
    try:
        return tuple(TERMS[profile])
    except KeyError:
        raise UnknownLawProfile(profile) from None


def term(profile: str, action: Action | str) -> Term:
    """The term ``profile`` sets for ``action`` (LAW.md tables).

    ``action`` may be an :class:`Action` or its value (``"access"``), as a CLI passes it.
    Raises :class:`UnknownAction` (a ``ValueError``) naming the profile and the actions it
    has, and :class:`~qorgau.law.profiles.UnknownLawProfile` for an unknown profile.
    """
    table = TERMS.get(profile)
    if table is None:
        raise UnknownLawProfile(profile)
    try:
        return table[Action(action)]
    except (ValueError, KeyError):
        raise UnknownAction(profile, str(action)) from None
