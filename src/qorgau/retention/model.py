"""Retention rules and the decision for each stored value. Pure (policy 4.1, 6.5).

A value is kept while at least one purpose that may use it has a live basis, counted with
that purpose's retention period from its anchor event, or while a legal hold covers it;
otherwise it is due. A subject whose every value is due is due as a whole: its facts for
statistics are depersonalised, then it is destroyed (crypto-shredding).

Anchors, per purpose basis:

- consent: the consent's own term (granted for the purpose's retention period, policy 6.5);
  a withdrawn or expired consent justifies nothing;
- contract or law with a live recorded basis (e.g. an active loan agreement): kept;
- contract or law recorded as ended: the end, plus the retention period (contract end);
- contract or law implied by collection: the last time a value was collected or clarified
  under that purpose (last contact), plus the retention period.

Where the law profile sets a term to destroy once a basis ends (:class:`EndOfBasis`; RF
152-FZ Art. 21 p.4-5: stop and destroy within 30 days of the consent's withdrawal or of the
purpose's achievement), a withdrawn consent and an ended contract or legal basis are
counted from that moment with that term instead: the values stay (unused: the gate finds no
live basis) until the term, less one sweep interval so the sweep that destroys them runs
within it. Without one (KZ 94-V), a withdrawn consent justifies nothing and an ended basis
keeps its purpose's retention period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol


class Action(StrEnum):
    KEEP = "keep"
    DESTROY_VALUE = "destroy_value"
    DEPERSONALISE_AND_DESTROY = "depersonalise_and_destroy"


@dataclass(frozen=True, slots=True)
class PurposeRule:
    code: str
    basis: str  # consent | contract | law
    retention_days: int
    fields: frozenset[str]


@dataclass(frozen=True, slots=True)
class BasisRow:
    purpose: str
    kind: str  # consent | contract | law
    state: str  # live | withdrawn | expired | ended (effective at as_of)
    since: datetime
    until: datetime | None


@dataclass(frozen=True, slots=True)
class EndOfBasis:
    """A law profile's term to destroy values once their basis ended (withdrawal, purpose
    achieved), in calendar days from that moment, with its source; ``lead``: the values
    fall due that much earlier (one sweep interval), so they are gone within the term."""

    days: int
    source: str
    lead: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"the end-of-basis term is at least one day, not {self.days}")
        if self.lead < timedelta(0) or self.lead >= timedelta(days=self.days):
            raise ValueError("the sweep lead must be shorter than the end-of-basis term")

    def until(self, ended: datetime) -> datetime:
        """When values kept after ``ended`` fall due."""
        return ended + timedelta(days=self.days) - self.lead


@dataclass(frozen=True, slots=True)
class Hold:
    """A law or contract that requires keeping data longer, with its ground (policy 4.1)."""

    ground: str
    until: datetime | None
    subject_id: str | None = None  # None: every subject
    purpose: str | None = None  # None: every purpose

    def covers(self, subject_id: str, purposes: Iterable[str], at: datetime) -> bool:
        if self.until is not None and self.until <= at:
            return False
        if self.subject_id is not None and self.subject_id != subject_id:
            return False
        return self.purpose is None or self.purpose in set(purposes)


class Stored(Protocol):
    """What the decision needs of a stored value (the vault's ``ValueMeta`` is one)."""

    @property
    def field(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def collected_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    due_fields: tuple[str, ...]
    kept_until: Mapping[str, datetime | None]  # per field; None: kept indefinitely (a hold)
    ground: str


#: (justifies at all, until when; ``None`` = while the basis lasts, e.g. a live contract)
Justification = tuple[bool, datetime | None]
NOT_AT_ALL: Justification = (False, None)


def _purpose_until(
    rule: PurposeRule,
    bases: list[BasisRow],
    last_contact: datetime | None,
    end: EndOfBasis | None = None,
) -> Justification:
    if not bases:  # the common case: no consent or basis recorded, only collection
        if rule.basis == "consent" or last_contact is None:
            return NOT_AT_ALL
        return (True, last_contact + timedelta(days=rule.retention_days))
    rows = [b for b in bases if b.purpose == rule.code]
    live_consents = [b for b in rows if b.kind == "consent" and b.state == "live"]
    if rule.basis == "consent":
        if not live_consents:
            withdrawn = [b.since for b in rows if b.kind == "consent" and b.state == "withdrawn"]
            if end is not None and withdrawn:
                return (True, end.until(max(withdrawn)))
            return NOT_AT_ALL
        if any(b.until is None for b in live_consents):
            return (True, None)
        return (True, max(b.until for b in live_consents if b.until is not None))
    own = [b for b in rows if b.kind == rule.basis]
    if any(b.state == "live" for b in own):
        return (True, None)
    days = timedelta(days=rule.retention_days)
    ended = [b.since for b in own if b.state == "ended"]
    if ended:
        return (True, end.until(max(ended)) if end is not None else max(ended) + days)
    if live_consents:
        untils = [b.until for b in live_consents if b.until is not None]
        return (True, max(untils)) if untils else (True, None)
    if last_contact is None:
        return NOT_AT_ALL
    return (True, last_contact + days)


_USES: dict[int, tuple[Mapping[str, PurposeRule], dict[str, tuple[str, ...]]]] = {}


def _field_purposes(rules: Mapping[str, PurposeRule]) -> dict[str, tuple[str, ...]]:
    """field -> the purposes that may use it, in rule order; computed once per rule set."""
    cached = _USES.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    out: dict[str, list[str]] = {}
    for code, rule in rules.items():
        for f in rule.fields:
            out.setdefault(f, []).append(code)
    uses = {f: tuple(codes) for f, codes in out.items()}
    _USES[id(rules)] = (rules, uses)
    return uses


def decide(
    subject_id: str,
    values: Iterable[Stored],
    rules: Mapping[str, PurposeRule],
    bases: list[BasisRow],
    holds: Iterable[Hold],
    as_of: datetime,
    end: EndOfBasis | None = None,
) -> Decision:
    """Keep or destroy ``subject_id``'s values at ``as_of`` (see the module); ``end``: the
    law profile's term after a withdrawal or an achieved purpose, if it sets one."""
    stored = list(values)
    if not stored:
        return Decision(Action.KEEP, (), {}, "nothing stored")
    holds = list(holds)
    last_contact: dict[str, datetime] = {}
    for v in stored:
        if v.purpose not in last_contact or v.collected_at > last_contact[v.purpose]:
            last_contact[v.purpose] = v.collected_at
    uses = _field_purposes(rules)
    # Each purpose's verdict, worked out only for the purposes a stored value may serve.
    per_purpose: dict[str, Justification] = {}
    kept: dict[str, datetime | None] = {}
    due: list[str] = []
    for v in stored:
        purposes = uses.get(v.field, ())
        if holds and any(h.covers(subject_id, purposes, as_of) for h in holds):
            kept[v.field] = None
            continue
        justified, best = False, None  # best: the latest "until" among justifying purposes
        indefinite = False
        for code in purposes:
            verdict = per_purpose.get(code)
            if verdict is None:
                verdict = _purpose_until(rules[code], bases, last_contact.get(code), end)
                per_purpose[code] = verdict
            ok, until = verdict
            if not ok:
                continue
            justified = True
            if until is None:
                indefinite = True
                break
            if best is None or until > best:
                best = until
        if indefinite:
            kept[v.field] = None
        elif not justified or best is None or best <= as_of:
            due.append(v.field)
        else:
            kept[v.field] = best
    if len(due) == len(stored):
        return Decision(
            Action.DEPERSONALISE_AND_DESTROY,
            tuple(sorted(due)),
            kept,
            "no purpose justifies keeping the data any longer (policy 4.1, 6.5)",
        )
    if due:
        return Decision(
            Action.DESTROY_VALUE,
            tuple(sorted(due)),
            kept,
            "no purpose that may use these values still justifies them (policy 4.1)",
        )
    return Decision(Action.KEEP, (), kept, "kept")


def destruction_act(
    rid: str,
    actor_id: str,
    role: str,
    as_of: datetime,
    counts: dict[str, int],
    chained: str,
    started: datetime,
    at: datetime,
    *,
    law_source: str,
) -> dict[str, Any]:
    """The destruction act of run ``rid`` finished ``at``: date, ground per group (citing
    ``law_source``, the law profile's storage-limit articles), categories, counts, method,
    the responsible role, the run id and the hash of the destroyed subjects' ids."""
    groups: dict[str, dict[str, int]] = {}
    for key, n in counts.items():
        if "|" not in key:
            continue
        left, right = key.split("|", 1)
        if left == "category":
            continue
        groups.setdefault(right, {})[left] = n
    return {
        "act": "destruction",
        "run": rid,
        "date": at.isoformat(),
        "as_of": as_of.isoformat(),
        "responsible_role": role,
        "actor": actor_id,
        "grounds": {
            Action.DEPERSONALISE_AND_DESTROY.value: "no purpose justifies keeping the data "
            f"(policy 4.1, 6.5; {law_source})",
            Action.DESTROY_VALUE.value: "no purpose that may use these values justifies "
            "them any longer (policy 4.1)",
        },
        "method": {
            Action.DEPERSONALISE_AND_DESTROY.value: "facts depersonalised for statistics, "
            "then crypto-shredding (data key revoked and deleted; values, history and "
            "blind indexes deleted)",
            Action.DESTROY_VALUE.value: "values and their history deleted",
        },
        "categories": groups,
        "subjects_destroyed": counts.get("subjects", 0),
        "subject_categories": {
            k.removeprefix("category|"): n for k, n in counts.items() if k.startswith("category|")
        },
        "subjects_hash": chained,
        "started": started.isoformat(),
    }
