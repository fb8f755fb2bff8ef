"""Data-subject requests: receive, verify, act, answer or refuse, close (policy 4.2.1, 4.2.2).

The deadline clock starts at receipt (the law profile's term for the kind, in working days on
the country's calendar, in the operator's time zone). A request whose contact the operator
does not hold gets the same answer as one it does, and costs the same work, so the answer
never reveals whether a person is known. Every step is an audit event.

A one-time code goes only to a contact the subject itself confirmed with a code before and
that is still their current one (``Gate.find_confirmed``): a contact someone merely typed
into a form opens nothing (policy 6.6, 7.3.8). Subjects imported or entered by staff verify
through staff (``verify_by_staff``). Codes per contact are limited in the database
(``intake/limits.py``), counted whether the contact is known or not.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue
from qorgau.consent.ledger import Ledger
from qorgau.consent.model import BasisKind
from qorgau.dsr.model import (
    DEADLINE_ACTION,
    Channel,
    InvalidRequestTransition,
    Kind,
    Status,
    check_transition,
    is_open,
)
from qorgau.dsr.store import dsr_event, dsr_request
from qorgau.errors import DomainError
from qorgau.intake import limits
from qorgau.intake.limits import CodeLimits
from qorgau.intake.otp import code_matches, hash_code, new_code
from qorgau.law.calendar import CalendarOverrides, calendar_for, deadline
from qorgau.security.actors import Actor
from qorgau.transfers.model import TransferView
from qorgau.vault.gate import SUBJECT_REQUEST, Gate

CODE_TTL = timedelta(minutes=10)
#: How long a verified request grounds reads under the subject-request purpose.
BASIS_DAYS = 45
MAX_ATTEMPTS = 5
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


class RequestNotFound(DomainError):
    code = "request-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, request_id: str) -> None:
        super().__init__(f"no data-subject request '{request_id}'")


#: The farthest ``due_within_days`` a queue may look ahead (a year of working days is more
#: than any legal term; an unbounded one made the calendar walk for seconds).
MAX_HORIZON_DAYS = 366


class InvalidHorizon(DomainError):
    code = "invalid-horizon"

    def __init__(self, days: int) -> None:
        super().__init__(f"due_within_days must be 0-{MAX_HORIZON_DAYS}, not {days}")


class RequestNotVerified(DomainError):
    code = "request-not-verified"
    kind = "conflict"
    title = "Conflict"

    def __init__(self, request_id: str) -> None:
        super().__init__(f"request {request_id}: the requester's identity is not verified yet")


class PayloadRequired(DomainError):
    code = "request-payload-required"

    def __init__(self, request_id: str, what: str) -> None:
        super().__init__(f"request {request_id} needs {what} before it can be answered")


@dataclass(frozen=True, slots=True)
class Received:
    request_id: str
    reference: str
    due_at: datetime
    #: The code to send to ``contact`` when the contact is known; None otherwise. The
    #: caller answers the requester identically in both cases.
    code: str | None


@dataclass(frozen=True, slots=True)
class RequestView:
    id: str
    reference: str
    kind: str
    channel: str
    status: str
    language: str
    received_at: datetime
    due_at: datetime
    subject_id: str | None
    verified_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    restriction_ground: str | None
    due_soon: bool
    overdue: bool


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class RequestService:
    def __init__(
        self,
        *,
        gate: Gate,
        ledger: Ledger,
        catalogue: Catalogue,
        audit: AuditLog,
        law_profile: str,
        overrides: CalendarOverrides,
        secret: bytes,
        code_limits: CodeLimits | None = None,
        transfer_log: Callable[[Connection, str], Sequence[TransferView]] | None = None,
    ) -> None:
        self.gate = gate
        self.ledger = ledger
        self.catalogue = catalogue
        self.audit = audit
        self.law_profile = law_profile
        #: The subject's transfer log for the access report (the transfers context's).
        self.transfer_log = transfer_log
        self.overrides = overrides
        self._zone = calendar_for(law_profile, overrides).tz
        self._secret = secret
        #: One-time codes per contact, shared with the loan form (``intake/limits.py``).
        self.code_limits = code_limits or CodeLimits()

    # -- receipt and verification ------------------------------------------------------

    def receive(
        self,
        conn: Connection,
        actor: Actor,
        kind: Kind,
        channel: Channel,
        contact_kind: str,
        contact: str,
        language: str,
        *,
        now: datetime | None = None,
        send_code: bool = True,
    ) -> Received:
        """Record a request; match the contact to the one subject that confirmed it and still
        has it (blind index, no decryption), and make a code for it. The contact's codes are
        counted (``TooManyCodes`` over the limit, known or not). ``send_code=False``: staff
        entered the request and verify the requester themselves; no code, nothing counted."""
        now = now or datetime.now(UTC)
        due = deadline(self.law_profile, DEADLINE_ACTION[kind], now, self.overrides)
        if send_code:
            normalised = self.catalogue.normalise(contact_kind, contact)
            digest = limits.contact_digest(self.gate.indexer, contact_kind, normalised)
            limits.admit(conn, digest, self.code_limits, now)
        matches = self.gate.find_confirmed(conn, actor, contact_kind, contact, SUBJECT_REQUEST)
        rid = secrets.token_hex(16)
        code = new_code()
        # The code's HMAC is computed whether or not it will be used: the same work either way.
        code_hash = hash_code(self._secret, rid, code)
        known = send_code and len(matches) == 1
        conn.execute(
            insert(dsr_request).values(
                id=rid,
                reference=self._reference(),
                kind=kind.value,
                channel=channel.value,
                status=Status.RECEIVED.value,
                language=language,
                law_profile=self.law_profile,
                received_at=now,
                due_at=due,
                candidate_id=matches[0] if known else None,
                code_hash=code_hash if known else None,
                code_expires_at=now + CODE_TTL if known else None,
                code_attempts=0,
            )
        )
        ref = conn.execute(
            select(dsr_request.c.reference).where(dsr_request.c.id == rid)
        ).scalar_one()
        self._event(conn, actor, rid, None, "received", f"{kind.value} via {channel.value}", now)
        return Received(rid, ref, due, code if known else None)

    def verify(self, conn: Connection, actor: Actor, request_id: str, code: str) -> bool:
        """Check the one-time code; on success the request is bound to its subject.

        An attempt is spent first, in one statement that also enforces the cap, so parallel
        guesses can never make more than ``MAX_ATTEMPTS`` (DESIGN 10); the caller commits a
        ``False`` (the attempt must count)."""
        row = self._row(conn, request_id)
        now = datetime.now(UTC)
        r = dsr_request.c
        spent = conn.execute(
            update(dsr_request)
            .where(r.id == request_id, r.code_attempts < MAX_ATTEMPTS)
            .values(code_attempts=r.code_attempts + 1)
            .returning(r.code_attempts)
        ).scalar_one_or_none()
        if spent is None:
            return False
        expires = _aware(row["code_expires_at"])
        good = (
            row["code_hash"] is not None
            and expires is not None
            and now < expires
            and code_matches(self._secret, request_id, code, bytes(row["code_hash"]))
        )
        if not good:
            return False
        self._bind(conn, actor, request_id, str(row["candidate_id"]), "one-time code", now)
        return True

    def verify_by_staff(
        self, conn: Connection, actor: Actor, request_id: str, subject_id: str, how: str
    ) -> None:
        """Identity checked by staff (a document shown, a signed paper request)."""
        self.gate.require_subject(conn, subject_id)
        self._row(conn, request_id)
        self._bind(conn, actor, request_id, subject_id, f"staff: {how}"[:300], datetime.now(UTC))

    def set_payload(
        self, conn: Connection, actor: Actor, request_id: str, payload: Mapping[str, Any]
    ) -> None:
        """What the request asks for (new values, a consent purpose), sealed under the
        subject's key: it is personal data."""
        row = self._verified(conn, request_id)
        sealed = self.gate.seal_extra(
            conn, str(row["subject_id"]), f"dsr:{request_id}", orjson.dumps(dict(payload))
        )
        conn.execute(
            update(dsr_request).where(dsr_request.c.id == request_id).values(payload_sealed=sealed)
        )

    def payload(self, conn: Connection, actor: Actor, request_id: str) -> dict[str, Any]:
        """What the requester asked for (opened through the gate), or ``{}``."""
        row = self._verified(conn, request_id)
        if row["payload_sealed"] is None:
            return {}
        plain = self.gate.open_extra(
            conn, actor, str(row["subject_id"]), f"dsr:{request_id}",
            bytes(row["payload_sealed"]), purpose=SUBJECT_REQUEST,
        )  # fmt: skip
        return dict(orjson.loads(plain))

    # -- staff actions -----------------------------------------------------------------

    def start(self, conn: Connection, actor: Actor, request_id: str) -> None:
        self._move(conn, actor, request_id, Status.IN_PROGRESS, "started", None)

    def restrict(self, conn: Connection, actor: Actor, request_id: str, ground: str) -> None:
        """Restrict the subject's access under AML/CFT law or third parties' rights
        (policy 4.2.2): the report then says access is restricted, not what was withheld."""
        self._row(conn, request_id)
        conn.execute(
            update(dsr_request)
            .where(dsr_request.c.id == request_id)
            .values(restriction_ground=ground[:200])
        )
        self._event(conn, actor, request_id, None, "restricted", ground[:300], datetime.now(UTC))

    def answer(
        self,
        conn: Connection,
        actor: Actor,
        request_id: str,
        payload: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Carry out what the request asks and mark it answered. ``payload`` (rectification
        values, or the consent purpose to withdraw) comes from staff or from ``set_payload``."""
        row = self._verified(conn, request_id, lock=True)
        check_transition(request_id, Status(row["status"]), Status.ANSWERED)
        if not payload:
            payload = self.payload(conn, actor, request_id)
        sid = str(row["subject_id"])
        kind = Kind(row["kind"])
        ground = f"subject request {row['reference']}"
        done: dict[str, Any] = {"kind": kind.value}
        if kind is Kind.ACCESS:
            done["report"] = self.access_report(conn, actor, request_id)
        elif kind is Kind.RECTIFY:
            values = dict(payload or {}).get("values") or {}
            if not values:
                raise PayloadRequired(request_id, "the corrected values")
            done["fields"] = self._rectify(conn, actor, sid, values, str(row["reference"]))
        elif kind is Kind.BLOCK:
            self.gate.block(conn, actor, sid, ground)
        elif kind is Kind.UNBLOCK:
            self.gate.unblock(conn, actor, sid, ground)
        elif kind is Kind.DESTROY:
            fields = self.gate.destroy(conn, actor, sid, ground)
            done["act"] = destruction_act(actor, sid, fields, ground, datetime.now(UTC))
        elif kind is Kind.WITHDRAW_CONSENT:
            purpose = dict(payload or {}).get("purpose")
            if not purpose:
                raise PayloadRequired(request_id, "the consent purpose")
            self.ledger.withdraw(conn, actor, sid, str(purpose), ground)
            done["purpose"] = purpose
        outcome = orjson.dumps({k: v for k, v in done.items() if k != "report"}).decode()
        self._move(conn, actor, request_id, Status.ANSWERED, "answered", outcome[:2000])
        return done

    def refuse(self, conn: Connection, actor: Actor, request_id: str, reason: str) -> None:
        """A motivated refusal (KZ: within 3 working days, Art. 25 p.2 sub.7)."""
        self._move(conn, actor, request_id, Status.REFUSED, "refused", reason[:2000])

    def close(self, conn: Connection, actor: Actor, request_id: str) -> None:
        self._move(conn, actor, request_id, Status.CLOSED, "closed", None)

    # -- the access report -------------------------------------------------------------

    def access_report(self, conn: Connection, actor: Actor, request_id: str) -> dict[str, Any]:
        """Everything held about the subject, read through the gate under the
        subject-request purpose (policy 4.2.1), or a statement that access is restricted."""
        row = self._verified(conn, request_id)
        sid = str(row["subject_id"])
        now = datetime.now(UTC)
        report: dict[str, Any] = {
            "request": row["reference"],
            "generated_at": now.isoformat(),
            "law_profile": self.law_profile,
            "operator": {"name": self.ledger.operator.name, "bin": self.ledger.operator.bin},
        }
        if row["restriction_ground"]:
            report["restricted"] = {"ground": row["restriction_ground"]}
            return report
        result = self.gate.read(conn, actor, sid, SUBJECT_REQUEST)
        values = []
        for field, value in sorted(result.values.items()):
            meta = result.meta[field]
            purpose = self.catalogue.purpose(meta.purpose)
            values.append(
                {
                    "field": field,
                    "label": dict(self.catalogue.field(field).labels),
                    "value": value,
                    "purpose": meta.purpose,
                    "legal_basis": purpose.legal_basis.value,
                    "source": meta.source,
                    "collected_at": meta.collected_at.isoformat(),
                    "retained_until": (
                        meta.collected_at + timedelta(days=purpose.retention_days)
                    ).isoformat(),
                }
            )
        report["values"] = values
        report["consents"] = [
            {
                "purpose": c.purpose,
                "state": c.state.value,
                "granted_at": c.granted_at.isoformat(),
                "expires_at": c.expires_at.isoformat(),
                "recipients": list(c.recipients),
                "channel": c.channel,
                "policy_version": c.policy_version,
            }
            for c in self.ledger.consents(conn, sid)
        ]
        transfers = self.transfer_log(conn, sid) if self.transfer_log else []
        report["transfers"] = [
            {
                "recipient": t.recipient_name,
                "recipient_code": t.recipient,
                "purpose": t.purpose,
                "fields": list(t.fields),
                "at": t.at.isoformat(),
                "basis": t.basis_kind,
                "status": t.status,
                "acknowledged_at": t.acknowledged_at.isoformat() if t.acknowledged_at else None,
            }
            for t in transfers
        ]
        # Who received the data (policy 4.2.2, 6.4): each organisation once, in order.
        report["recipients"] = list(dict.fromkeys(t.recipient_name for t in transfers))
        report["rights"] = self._rights()
        return report

    # -- deadline watch and compliance --------------------------------------------------

    def queue(
        self, conn: Connection, *, due_within_days: int | None = None, open_only: bool = True
    ) -> list[RequestView]:
        if due_within_days is not None and not 0 <= due_within_days <= MAX_HORIZON_DAYS:
            raise InvalidHorizon(due_within_days)
        q = select(dsr_request).order_by(dsr_request.c.due_at)
        rows = [self._view(dict(r)) for r in conn.execute(q).mappings()]
        if open_only:
            rows = [r for r in rows if is_open(Status(r.status))]
        if due_within_days is not None:
            cal = calendar_for(self.law_profile, self.overrides)
            limit = datetime.now(UTC)
            horizon = cal.due(limit, _days(due_within_days)) if due_within_days > 0 else limit
            rows = [r for r in rows if r.due_at <= horizon]
        # Overdue first, then due soon, then by deadline (the console's order).
        return sorted(rows, key=lambda r: (not r.overdue, not r.due_soon, r.due_at))

    def watch(self, conn: Connection, actor: Actor, now: datetime | None = None) -> int:
        """Mark open requests due within one working day, and overdue ones (idempotent)."""
        now = now or datetime.now(UTC)
        cal = calendar_for(self.law_profile, self.overrides)
        soon = cal.due(now, _days(1))
        marked = 0
        for r in conn.execute(
            select(
                dsr_request.c.id,
                dsr_request.c.status,
                dsr_request.c.due_at,
                dsr_request.c.due_soon_at,
                dsr_request.c.overdue_at,
            )
        ).all():
            if not is_open(Status(r[1])):
                continue
            due = _aware(r[2])
            assert due is not None
            if due < now and r[4] is None:
                conn.execute(
                    update(dsr_request).where(dsr_request.c.id == r[0]).values(overdue_at=now)
                )
                self._event(conn, actor, r[0], None, "overdue", None, now)
                marked += 1
            elif due <= soon and r[3] is None and due >= now:
                conn.execute(
                    update(dsr_request).where(dsr_request.c.id == r[0]).values(due_soon_at=now)
                )
                self._event(conn, actor, r[0], None, "due_soon", None, now)
                marked += 1
        return marked

    def expire_unverified(
        self, conn: Connection, actor: Actor, now: datetime | None = None, *, hours: int = 24
    ) -> int:
        """Refuse and close requests whose requester never proved who they are (the code
        expired, or the contact was unknown) after ``hours``: the reason is recorded and the
        queue keeps only requests someone can act on."""
        now = now or datetime.now(UTC)
        cutoff = now - timedelta(hours=hours)
        stale = (
            conn.execute(
                select(dsr_request.c.id).where(
                    dsr_request.c.status == Status.RECEIVED.value,
                    dsr_request.c.received_at < cutoff,
                )
            )
            .scalars()
            .all()
        )
        done = 0
        for rid in stale:
            try:
                self._move(conn, actor, rid, Status.REFUSED, "refused", "identity not verified")
            except InvalidRequestTransition:
                continue  # verified meanwhile: no longer stale
            self._move(conn, actor, rid, Status.CLOSED, "closed", None)
            done += 1
        return done

    def compliance(self, conn: Connection) -> dict[str, Any]:
        """Requests per kind: answered on time, late and by how many working days."""
        cal = calendar_for(self.law_profile, self.overrides)
        out: dict[str, dict[str, Any]] = {}
        now = datetime.now(UTC)
        for r in conn.execute(select(dsr_request)).mappings():
            k = out.setdefault(
                r["kind"],
                {
                    "total": 0,
                    "open": 0,
                    "on_time": 0,
                    "late": 0,
                    "max_late_working_days": 0,
                    "open_overdue": 0,
                },
            )
            k["total"] += 1
            due = _aware(r["due_at"])
            assert due is not None
            done = _aware(r["answered_at"]) or (
                _aware(r["closed_at"]) if r["status"] == Status.REFUSED.value else None
            )
            if r["status"] == Status.REFUSED.value and done is None:
                done = _aware(r["closed_at"]) or now
            if done is None:
                k["open"] += 1
                if due < now:
                    k["open_overdue"] += 1
                continue
            if done <= due:
                k["on_time"] += 1
            else:
                k["late"] += 1
                k["max_late_working_days"] = max(
                    k["max_late_working_days"], cal.working_days_between(due, done)
                )
        total = {"total": sum(v["total"] for v in out.values())}
        return {"by_kind": out, **total, "law_profile": self.law_profile}

    def get(self, conn: Connection, request_id: str) -> RequestView:
        return self._view(self._row(conn, request_id))

    def events(self, conn: Connection, request_id: str) -> list[dict[str, Any]]:
        self._row(conn, request_id)
        return [
            {"at": (_aware(r[0]) or r[0]).isoformat(), "actor": r[1], "kind": r[2], "note": r[3]}
            for r in conn.execute(
                select(dsr_event.c.at, dsr_event.c.actor, dsr_event.c.kind, dsr_event.c.note)
                .where(dsr_event.c.request_id == request_id)
                .order_by(dsr_event.c.id)
            )
        ]

    # -- internals ---------------------------------------------------------------------

    def _rectify(
        self, conn: Connection, actor: Actor, sid: str, values: Mapping[str, str], reference: str
    ) -> list[str]:
        """Clarify each value under the purpose it was collected for; the old versions stay
        in encrypted history (policy 7.3.7)."""
        current = self.gate.read(conn, actor, sid, SUBJECT_REQUEST, sorted(values))
        by_purpose: dict[str, dict[str, str]] = {}
        for field, value in values.items():
            meta = current.meta.get(field)
            purpose = meta.purpose if meta else "contract"
            by_purpose.setdefault(purpose, {})[field] = value
        changed: list[str] = []
        for purpose, vals in by_purpose.items():
            changed += self.gate.clarify(conn, actor, sid, purpose, vals, f"dsr:{reference}")
        return sorted(changed)

    def _rights(self) -> list[dict[str, Any]]:
        from qorgau.law.deadlines import TERMS

        return [
            {"action": a.value, "amount": t.amount, "unit": t.unit.value, "source": t.source}
            for a, t in TERMS[self.law_profile].items()
        ]

    def _bind(
        self,
        conn: Connection,
        actor: Actor,
        request_id: str,
        subject_id: str,
        how: str,
        now: datetime,
    ) -> None:
        row = self._row(conn, request_id, lock=True)
        check_transition(request_id, Status(row["status"]), Status.VERIFIED)
        conn.execute(
            update(dsr_request)
            .where(dsr_request.c.id == request_id)
            .values(
                status=Status.VERIFIED.value,
                subject_id=subject_id,
                verified_at=now,
                code_hash=None,
                candidate_id=None,
            )
        )
        self._event(conn, actor, request_id, subject_id, "verified", how, now)
        # The verified request is the legal ground for reading under the subject-request
        # purpose (Art. 25), for as long as answering may take.
        self.ledger.record_basis(
            conn,
            actor,
            subject_id,
            SUBJECT_REQUEST,
            BasisKind.LAW,
            f"request {row['reference']}",
            until=now + timedelta(days=BASIS_DAYS),
        )

    def _move(
        self,
        conn: Connection,
        actor: Actor,
        request_id: str,
        target: Status,
        event: str,
        outcome: str | None,
    ) -> None:
        row = self._row(conn, request_id, lock=True)
        check_transition(request_id, Status(row["status"]), target)
        now = datetime.now(UTC)
        values: dict[str, Any] = {"status": target.value}
        if target in (Status.ANSWERED, Status.REFUSED):
            values["answered_at"] = now
            values["outcome"] = outcome
        if target is Status.CLOSED:
            values["closed_at"] = now
        conn.execute(update(dsr_request).where(dsr_request.c.id == request_id).values(**values))
        self._event(conn, actor, request_id, row["subject_id"], event, None, now)

    def _verified(
        self, conn: Connection, request_id: str, *, lock: bool = False
    ) -> Mapping[str, Any]:
        row = self._row(conn, request_id, lock=lock)
        if row["subject_id"] is None:
            raise RequestNotVerified(request_id)
        return row

    def _row(self, conn: Connection, request_id: str, *, lock: bool = False) -> Mapping[str, Any]:
        """The request's row; ``lock`` holds it until the transaction ends (PostgreSQL), for
        a state change: two staff actions, or a verification racing the expiry of
        unverified requests, cannot both pass the transition check (DESIGN 10)."""
        q = select(dsr_request).where(dsr_request.c.id == request_id)
        if lock and conn.dialect.name == "postgresql":
            q = q.with_for_update()
        row = conn.execute(q).mappings().one_or_none()
        if row is None:
            raise RequestNotFound(request_id)
        return dict(row)

    def _view(self, r: Mapping[str, Any]) -> RequestView:
        # Instants, shown in the operator's zone: the deadline reads 23:59 on its day there.
        zone = self._zone
        received = _aware(r["received_at"])
        due = _aware(r["due_at"])
        assert received is not None
        assert due is not None
        received, due = received.astimezone(zone), due.astimezone(zone)
        return RequestView(
            id=r["id"],
            reference=r["reference"],
            kind=r["kind"],
            channel=r["channel"],
            status=r["status"],
            language=r["language"],
            received_at=received,
            due_at=due,
            subject_id=r["subject_id"],
            verified_at=_aware(r["verified_at"]),
            answered_at=_aware(r["answered_at"]),
            closed_at=_aware(r["closed_at"]),
            outcome=r["outcome"],
            restriction_ground=r["restriction_ground"],
            due_soon=r["due_soon_at"] is not None,
            overdue=r["overdue_at"] is not None,
        )

    def _event(
        self,
        conn: Connection,
        actor: Actor,
        request_id: str,
        subject_id: str | None,
        kind: str,
        note: str | None,
        at: datetime,
    ) -> None:
        conn.execute(
            insert(dsr_event).values(
                request_id=request_id, at=at, actor=actor.id, kind=kind, note=note
            )
        )
        self.audit.append(
            conn,
            Event(
                f"request.{kind}",
                actor.id,
                subject_id=subject_id,
                detail={"role": actor.role, "request": request_id},
                at=at,
            ),
        )

    @staticmethod
    def _reference() -> str:
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        return f"RQ-{raw[:4]}-{raw[4:]}"


def _days(n: int) -> Any:
    from qorgau.law.deadlines import Action, Term, Unit

    return Term(Action.ACCESS, n, Unit.WORKING_DAYS, "deadline watch")


def destruction_act(
    actor: Actor, subject_id: str, fields: list[str], ground: str, at: datetime
) -> dict[str, Any]:
    """Who destroyed what categories of whose data, when, on what ground and how; it names no
    destroyed value (policy 4.1, appendix: destruction)."""
    return {
        "act": "destruction",
        "at": at.isoformat(),
        "by": actor.id,
        "role": actor.role,
        "subject": subject_id,
        "categories": sorted(fields),
        "ground": ground,
        "method": "crypto-shredding: data key, values, history and blind indexes deleted",
        "digest": hashlib.sha256(
            f"{subject_id}|{','.join(sorted(fields))}|{at.isoformat()}".encode()
        ).hexdigest(),
    }
