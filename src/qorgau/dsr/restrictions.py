"""Setting, lifting and listing restrictions of a person's access (policy 4.2.2).

The rules are ``restriction.py``'s, the queries ``store.py``'s; each change is an audit
event (``restriction.set``, ``restriction.lift``) about the person, in the caller's
transaction. Those events never appear in the person's own audit trail in the access
report: telling that a restriction was set may be what the law forbids.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.dsr import store
from qorgau.dsr.restriction import (
    AlreadyLifted,
    Restriction,
    RestrictionNotFound,
    reference,
    rule_of,
    settable,
)
from qorgau.errors import DomainError
from qorgau.security.actors import Actor
from qorgau.vault.gate import Gate

#: The audit actions of restrictions (withheld from the person's trail).
ACTIONS = ("restriction.set", "restriction.lift")


class LiftReasonRequired(DomainError):
    """Lifting a restriction records why."""

    code = "restriction-lift-reason"

    def __init__(self) -> None:
        super().__init__("lifting a restriction needs a reason (1 to 300 characters)")


class Restrictions:
    def __init__(self, *, gate: Gate, audit: AuditLog, law_profile: str) -> None:
        self.gate = gate
        self.audit = audit
        self.law_profile = law_profile

    def set(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        ground: str,
        ref: str,
        *,
        fields: Iterable[str] | None = None,
        request_id: str | None = None,
    ) -> Restriction:
        """Restrict the person's access on ``ground`` (one of the law profile's) with the
        reference of the document it rests on; ``fields``: only those data categories."""
        typed = settable(self.law_profile, ground)
        clean = reference(ref)
        covered = None if fields is None else frozenset(fields)
        if covered is not None:
            if not covered:
                covered = None
            else:
                for f in sorted(covered):
                    self.gate.catalogue.field(f)  # UnknownField for anything else
        self.gate.require_subject(conn, subject_id)
        now = datetime.now(UTC)
        r = Restriction(
            id=secrets.token_hex(16),
            subject_id=subject_id,
            ground=typed.value,
            reference=clean,
            fields=covered,
            set_at=now,
            set_by=actor.id,
            request_id=request_id,
        )
        store.insert_restriction(conn, r)
        self._audit(conn, "restriction.set", actor, r, now)
        return r

    def lift(self, conn: Connection, actor: Actor, restriction_id: str, reason: str) -> Restriction:
        """Lift a standing restriction, recording by whom, when and why."""
        why = " ".join(reason.split())
        if not why or len(why) > 300:
            raise LiftReasonRequired()
        r = self.get(conn, restriction_id, lock=True)
        now = datetime.now(UTC)
        if not r.active or not store.lift_restriction(conn, r.id, now, actor.id, why):
            raise AlreadyLifted(restriction_id)
        self._audit(conn, "restriction.lift", actor, r, now)
        return self.get(conn, restriction_id)

    def get(self, conn: Connection, restriction_id: str, *, lock: bool = False) -> Restriction:
        r = store.restriction_by_id(conn, restriction_id, lock=lock)
        if r is None:
            raise RestrictionNotFound(restriction_id)
        return r

    def of_subject(
        self, conn: Connection, subject_id: str, *, active_only: bool = False
    ) -> list[Restriction]:
        return store.restrictions(conn, subject_id=subject_id, active_only=active_only)

    def listing(
        self, conn: Connection, *, active_only: bool = True, review_only: bool = False
    ) -> list[Restriction]:
        """Restrictions (standing ones by default); ``review_only``: those migrated with a
        free-text ground, for staff to type or lift."""
        return store.restrictions(conn, active_only=active_only, review_only=review_only)

    def attach(self, conn: Connection, actor: Actor, request_id: str, subject_id: str) -> None:
        """A migrated restriction waiting on its request's verification now stands for the
        person it was verified as."""
        now = datetime.now(UTC)
        for rid in store.attach_restrictions(conn, request_id, subject_id):
            self._audit(conn, "restriction.set", actor, self.get(conn, rid), now)

    def _audit(
        self, conn: Connection, action: str, actor: Actor, r: Restriction, at: datetime
    ) -> None:
        # The ground's code and the ids only: the reference and the reason stay in the
        # restriction's row.
        detail: dict[str, Any] = {"role": actor.role, "restriction": r.id, "ground": r.ground}
        if r.request_id is not None:
            detail["request"] = r.request_id
        self.audit.append(
            conn,
            Event(
                action,
                actor.id,
                subject_id=r.subject_id,
                fields=tuple(sorted(r.fields or ())),
                detail=detail,
                at=at,
            ),
        )


def as_dict(r: Restriction, law_profile: str) -> dict[str, Any]:
    """A restriction as staff see it (the API, the CLI): everything, the reference too."""
    return {
        "id": r.id,
        "subject_id": r.subject_id,
        "ground": r.ground,
        "legal_source": rule_of(law_profile, r.ground).source,
        "reference": r.reference,
        "fields": None if r.fields is None else sorted(r.fields),
        "set_at": r.set_at.isoformat(),
        "set_by": r.set_by,
        "request_id": r.request_id,
        "lifted_at": r.lifted_at.isoformat() if r.lifted_at else None,
        "lifted_by": r.lifted_by,
        "lift_reason": r.lift_reason,
        "active": r.active,
        "review": r.review,
    }
