"""Restrictions of a person's access to their own data (policy 4.2.2). Pure.

A restriction is a fact about the person, not about one request: staff set it with a
typed legal ground from a closed list and a reference (the document it rests on, e.g. the
number of the authorised body's request), it lasts until staff lift it, and every access
report made while it stands applies it (``access_report.py``): either the whole report is
withheld, or the values of the data categories it covers, every transfer naming only them
and every audit entry naming any of them. The report tells the person that access is
restricted and, where the law allows telling it, on which ground; where telling would
itself be what the law forbids (AML/CFT: no tipping-off; defence, security and
investigations: secrecy) it cites only the general provision (:data:`GENERAL`). The
reference is never shown to the person.

The grounds and their legal sources per law profile: policy 4.2.2 names AML/CFT law and
third parties' rights; RF 152-FZ Art. 14 p.8 lists five. Where a Kazakh ground rests on
"other cases in law", the reference must name that law. ``unspecified`` is only the
migration's (revision 0018: free-text grounds of request-level restrictions carried over
for staff review); staff never set it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from qorgau.errors import DomainError


class Ground(StrEnum):
    AML_CFT = "aml_cft"
    THIRD_PARTY_RIGHTS = "third_party_rights"
    DEFENCE_SECURITY = "defence_security"
    INVESTIGATION = "investigation"
    TRANSPORT_SECURITY = "transport_security"
    #: Only the migration's: a request-level free-text ground, to be reviewed.
    UNSPECIFIED = "unspecified"


@dataclass(frozen=True, slots=True)
class GroundRule:
    """A ground under one law profile: its legal source and whether the person may be
    told it (else the notice cites only :data:`GENERAL`)."""

    ground: Ground
    source: str
    disclosed: bool


_KZ_AML = (
    "Law of the RK No. 191-IV of 28 Aug 2009 on countering the legalisation (laundering) of "
    "proceeds of crime and the financing of terrorism; policy 4.2.2"
)

#: The grounds each law profile offers, in the order staff see them.
GROUNDS: dict[str, tuple[GroundRule, ...]] = {
    "kz_94v": (
        GroundRule(Ground.AML_CFT, _KZ_AML, disclosed=False),
        GroundRule(
            Ground.THIRD_PARTY_RIGHTS,
            "Constitution of the RK Art. 12 p.5 (the rights and freedoms of others); policy 4.2.2",
            disclosed=True,
        ),
        GroundRule(
            Ground.DEFENCE_SECURITY,
            "a law of the RK on national security or defence (named in the reference); "
            "policy 4.2.2",
            disclosed=False,
        ),
        GroundRule(
            Ground.INVESTIGATION,
            "the Criminal Procedure Code of the RK (secrecy of a pre-trial investigation, "
            "named in the reference); policy 4.2.2",
            disclosed=False,
        ),
    ),
    "ru_152fz": (
        GroundRule(Ground.DEFENCE_SECURITY, "152-FZ Art. 14 p.8 sub.1", disclosed=False),
        GroundRule(Ground.INVESTIGATION, "152-FZ Art. 14 p.8 sub.2", disclosed=False),
        GroundRule(Ground.AML_CFT, "152-FZ Art. 14 p.8 sub.3 (115-FZ)", disclosed=False),
        GroundRule(Ground.THIRD_PARTY_RIGHTS, "152-FZ Art. 14 p.8 sub.4", disclosed=True),
        GroundRule(Ground.TRANSPORT_SECURITY, "152-FZ Art. 14 p.8 sub.5", disclosed=False),
    ),
}
#: The provision a notice cites when its ground may not be told.
GENERAL: dict[str, str] = {"kz_94v": "policy 4.2.2", "ru_152fz": "152-FZ Art. 14 p.8"}
#: What a migrated restriction's ground reads as, under any profile.
MIGRATED = GroundRule(
    Ground.UNSPECIFIED, "unspecified (migrated from a request, revision 0018)", disclosed=False
)

_REFERENCE = re.compile(r"[^\x00-\x1f\x7f]{3,200}")
_ALNUM = re.compile(r"\w")


class UnknownGround(DomainError):
    """The ground is not one of the law profile's restriction grounds (policy 4.2.2)."""

    code = "restriction-ground-unknown"

    def __init__(self, law_profile: str) -> None:
        codes = ", ".join(r.ground.value for r in GROUNDS.get(law_profile, ()))
        super().__init__(f"a restriction's ground is one of: {codes} ({law_profile})")


class InvalidReference(DomainError):
    """A restriction needs the reference of the document it rests on."""

    code = "restriction-reference-invalid"

    def __init__(self) -> None:
        super().__init__(
            "a restriction's reference names the document it rests on (3 to 200 "
            "characters, letters or digits among them)"
        )


class RestrictionNotFound(DomainError):
    code = "restriction-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, restriction_id: str) -> None:
        super().__init__(f"no restriction '{restriction_id}'")


class AlreadyLifted(DomainError):
    """The restriction was lifted already."""

    code = "restriction-lifted"
    kind = "conflict"
    title = "Conflict"

    def __init__(self, restriction_id: str) -> None:
        super().__init__(f"restriction {restriction_id} is lifted already")


class RequestNotOpen(DomainError):
    """A restriction is set through an open request only (or on the person directly)."""

    code = "request-not-open"
    kind = "conflict"
    title = "Conflict"

    def __init__(self, request_id: str, status: str) -> None:
        super().__init__(
            f"request {request_id} is {status}: restrict the person instead of the request"
        )


def rule(law_profile: str, ground: str) -> GroundRule:
    """The rule of ``ground`` under ``law_profile`` (the migrated ground's for it)."""
    if ground == Ground.UNSPECIFIED:
        return MIGRATED
    for r in GROUNDS.get(law_profile, ()):
        if r.ground == ground:
            return r
    raise UnknownGround(law_profile)


def rule_of(law_profile: str, ground: str) -> GroundRule:
    """:func:`rule`, never raising: a ground set under another profile (the operator
    changed it) keeps that profile's source, never told to the person."""
    try:
        return rule(law_profile, ground)
    except UnknownGround:
        pass
    for rules in GROUNDS.values():
        for r in rules:
            if r.ground == ground:
                return GroundRule(r.ground, r.source, disclosed=False)
    return GroundRule(Ground.UNSPECIFIED, f"unknown ground '{ground}'"[:80], disclosed=False)


def settable(law_profile: str, ground: str) -> Ground:
    """``ground`` if staff may set it under ``law_profile``, else :class:`UnknownGround`."""
    if ground == Ground.UNSPECIFIED:
        raise UnknownGround(law_profile)
    return rule(law_profile, ground).ground


def reference(text: str) -> str:
    """The reference, whitespace collapsed; :class:`InvalidReference` if it names nothing."""
    clean = " ".join(text.split())
    if not _REFERENCE.fullmatch(clean) or len(_ALNUM.findall(clean)) < 2:
        raise InvalidReference()
    return clean


@dataclass(frozen=True, slots=True)
class Restriction:
    id: str
    #: None only for one migrated from a request not yet verified (attached when it is).
    subject_id: str | None
    ground: str
    reference: str
    #: The data categories it covers; None: the whole report.
    fields: frozenset[str] | None
    set_at: datetime
    set_by: str
    request_id: str | None
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    @property
    def review(self) -> bool:
        """Migrated with a free-text ground: staff give it a typed one (or lift it)."""
        return self.ground == Ground.UNSPECIFIED


@dataclass(frozen=True, slots=True)
class Applied:
    """What the standing restrictions withhold from a report: everything (``all``), or
    the values of ``fields``; and what the notice may say (``grounds``: the rules the
    person may be told, ``general``: whether a ground is withheld)."""

    all: bool
    fields: frozenset[str]
    grounds: tuple[GroundRule, ...]
    general: str | None


def applied(law_profile: str, restrictions: list[Restriction]) -> Applied | None:
    """The effect of the person's active ``restrictions`` on an access report, or None."""
    active = [r for r in restrictions if r.active]
    if not active:
        return None
    everything = any(r.fields is None for r in active)
    fields = frozenset().union(*(r.fields or () for r in active))
    rules = [rule_of(law_profile, r.ground) for r in active]
    told = tuple(dict.fromkeys(r for r in rules if r.disclosed))
    withheld = any(not r.disclosed for r in rules)
    general = GENERAL.get(law_profile, "policy 4.2.2") if withheld else None
    return Applied(everything, fields, told, general)


def notice(effect: Applied) -> dict[str, object]:
    """The report's statement of the restriction, as the person gets it: no reference, no
    covered category named, a ground only where it may be told."""
    return {
        "scope": "all" if effect.all else "partial",
        "grounds": [{"ground": r.ground.value, "source": r.source} for r in effect.grounds],
        "general": effect.general,
    }
