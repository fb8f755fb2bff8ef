"""Deadline terms, read from the law profiles (LAW.md, DESIGN invariant 7).

A term says how long the operator has for an action once the triggering event (a subject's
request, the detection of a breach, a consent withdrawal) has happened: an amount and a unit.
The figures themselves are in :mod:`qorgau.law.profiles` (each profile's ``terms``), and
nowhere else; this module looks them up by profile and action. Nothing here counts days:
:mod:`qorgau.law.calendar` does that on each country's working calendar.

Pure: no I/O, no clock, no third-party imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from qorgau.law.profiles import (
    PROFILES,
    Action,
    Term,
    Unit,
    UnknownAction,
    UnknownLawProfile,
)

__all__ = [
    "TERMS",
    "Action",
    "Term",
    "Unit",
    "UnknownAction",
    "actions",
    "term",
]

#: The terms of each law profile (a view of ``PROFILES[code].terms``). A profile has only
#: the actions its law sets a term for; :func:`term` refuses the others.
TERMS: Mapping[str, Mapping[Action, Term]] = MappingProxyType(
    {code: p.terms for code, p in PROFILES.items()}
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
    found = PROFILES.get(profile)
    if found is None:
        raise UnknownLawProfile(profile)
    return found.term(action)
