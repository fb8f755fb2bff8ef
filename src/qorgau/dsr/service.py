"""Data-subject requests: receive, verify, act, answer or refuse, close (policy 4.2.1, 4.2.2).

The deadline clock starts at receipt (the law profile's term for the kind, in working days on
the country's calendar, in the operator's time zone). A request whose contact the operator
does not hold gets the same answer as one it does, and costs the same work, so the answer
never reveals whether a person is known. Every step is an audit event.

The access report is ``access_report.py``'s, the deadline watch's rules
``deadline_watch.py``'s, the queries ``store.py``'s. What stays here (about 450 lines) stays
whole on purpose: it is one request's life, receipt and verification through the staff
actions, every state change going through the same locked transition check (``_move``,
``_bind``) and the same event (``_event``); cutting it would spread that one invariant.

A one-time code goes only to a contact the subject itself confirmed with a code before and
that is still their current one (``Gate.find_confirmed``): a contact someone merely typed
into a form opens nothing (policy 6.6, 7.3.8). Subjects imported or entered by staff verify
through staff (``verify_by_staff``). Codes per contact are limited in the database
(``intake/limits.py``), counted whether the contact is known or not.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue
from qorgau.consent import documents
from qorgau.consent.ledger import Ledger
from qorgau.consent.model import BasisKind, WithdrawalRefused
from qorgau.dsr import deadline_watch, notices, store
from qorgau.dsr.access_report import AuditTrail, TransferLog, access_report
from qorgau.dsr.model import (
    DEADLINE_ACTION,
    EXTENDABLE,
    Channel,
    ExtensionRefused,
    InvalidRequestTransition,
    Kind,
    PayloadRequired,
    RequestNotFound,
    RequestNotVerified,
    Status,
    check_transition,
    destruction_act,
    is_open,
)
from qorgau.dsr.restriction import RequestNotOpen, Restriction
from qorgau.dsr.restrictions import Restrictions
from qorgau.dsr.store import RequestRow
from qorgau.dsr.views import RequestView, view_of
from qorgau.intake import limits
from qorgau.intake.limits import CodeLimits
from qorgau.intake.otp import code_matches, hash_code, new_code
from qorgau.law.calendar import CalendarOverrides, calendar_for, deadline
from qorgau.law.deadlines import Term, term
from qorgau.security.actors import Actor
from qorgau.vault import sources
from qorgau.vault.gate import SUBJECT_REQUEST, Gate
from qorgau.vault.sources import SourceKind

CODE_TTL = timedelta(minutes=10)
#: How long a verified request grounds reads under the subject-request purpose.
BASIS_DAYS = 45
MAX_ATTEMPTS = 5
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class Received:
    request_id: str
    reference: str
    due_at: datetime
    #: The code to send to ``contact`` when the contact is known; None otherwise. The
    #: caller answers the requester identically in both cases.
    code: str | None


@dataclass(frozen=True, slots=True)
class Extended:
    """An extended term: the new deadline, the extension with its article, and the channel
    the motivated notice went by."""

    due_at: datetime
    term: Term
    notice_channel: str


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
        transfer_log: TransferLog | None = None,
        audit_trail: AuditTrail | None = None,
        notifier: notices.Notifier | None = None,
        operator_name: str = "",
        recipient_names: Callable[[Connection], Mapping[str, str]] | None = None,
    ) -> None:
        self.gate = gate
        self.ledger = ledger
        self.catalogue = catalogue
        self.audit = audit
        self.law_profile = law_profile
        #: The subject's transfer log for the access report (the transfers context's).
        self.transfer_log = transfer_log
        #: The subject's audit events with their inclusion proofs (the audit context's).
        self.audit_trail = audit_trail
        #: Where notices to the person go (the transfer notices' notifier), and who sends them.
        self.notifier = notifier
        self.operator_name = operator_name
        #: Recipient code -> name (the transfers registry's), for consent documents.
        self.recipient_names = recipient_names
        self.overrides = overrides
        #: Restrictions of a person's access (policy 4.2.2), applied by every report.
        self.restrictions = Restrictions(gate=gate, audit=audit, law_profile=law_profile)
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
        ref = store.insert_request(
            conn,
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
        )
        self._event(conn, actor, rid, None, "received", f"{kind.value} via {channel.value}", now)
        return Received(rid, ref, due, code if known else None)

    def verify(self, conn: Connection, actor: Actor, request_id: str, code: str) -> bool:
        """Check the one-time code; on success the request is bound to its subject.

        An attempt is spent first, in one statement that also enforces the cap, so parallel
        guesses can never make more than ``MAX_ATTEMPTS`` (DESIGN 10); the caller commits a
        ``False`` (the attempt must count)."""
        row = self._row(conn, request_id)
        now = datetime.now(UTC)
        if store.spend_attempt(conn, request_id, MAX_ATTEMPTS) is None:
            return False
        expires = row.code_expires_at
        good = (
            row.code_hash is not None
            and expires is not None
            and now < expires
            and code_matches(self._secret, request_id, code, row.code_hash)
        )
        if not good:
            return False
        self._bind(conn, actor, request_id, str(row.candidate_id), "one-time code", now)
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
            conn, str(row.subject_id), f"dsr:{request_id}", orjson.dumps(dict(payload))
        )
        store.set_payload(conn, request_id, sealed)

    def payload(self, conn: Connection, actor: Actor, request_id: str) -> dict[str, Any]:
        """What the requester asked for (opened through the gate), or ``{}``."""
        row = self._verified(conn, request_id)
        if row.payload_sealed is None:
            return {}
        plain = self.gate.open_extra(
            conn, actor, str(row.subject_id), f"dsr:{request_id}",
            row.payload_sealed, purpose=SUBJECT_REQUEST,
        )  # fmt: skip
        return dict(orjson.loads(plain))

    # -- staff actions -----------------------------------------------------------------

    def start(self, conn: Connection, actor: Actor, request_id: str) -> None:
        self._move(conn, actor, request_id, Status.IN_PROGRESS, "started", None)

    def restrict(
        self,
        conn: Connection,
        actor: Actor,
        request_id: str,
        ground: str,
        reference: str,
        fields: Iterable[str] | None = None,
    ) -> Restriction:
        """Restrict the requester's access, from an open, verified request (policy 4.2.2):
        a restriction of the person (``restrictions.py``), standing for this request and
        every later one until lifted."""
        row = self._row(conn, request_id, lock=True)
        if not is_open(Status(row.status)):
            raise RequestNotOpen(request_id, row.status)
        if row.subject_id is None:
            raise RequestNotVerified(request_id)
        r = self.restrictions.set(
            conn, actor, row.subject_id, ground, reference, fields=fields, request_id=request_id
        )
        store.insert_event(conn, request_id, r.set_at, actor.id, "restricted", r.ground)
        return r

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
        check_transition(request_id, Status(row.status), Status.ANSWERED)
        if not payload:
            payload = self.payload(conn, actor, request_id)
        sid = str(row.subject_id)
        kind = Kind(row.kind)
        ground = f"subject request {row.reference}"
        done: dict[str, Any] = {"kind": kind.value}
        if kind is Kind.ACCESS:
            done["report"] = self.access_report(conn, actor, request_id)
        elif kind is Kind.RECTIFY:
            values = dict(payload or {}).get("values") or {}
            if not values:
                raise PayloadRequired(request_id, "the corrected values")
            done["fields"] = self._rectify(conn, actor, sid, values, row.reference)
        elif kind is Kind.BLOCK:
            self.gate.block(conn, actor, sid, ground)
        elif kind is Kind.UNBLOCK:
            self.gate.unblock(conn, actor, sid, ground)
        elif kind is Kind.DESTROY:
            fields = self.gate.destroy(conn, actor, sid, ground)
            done["act"] = destruction_act(
                actor.id, actor.role, sid, fields, ground, datetime.now(UTC)
            )
        elif kind is Kind.WITHDRAW_CONSENT:
            purpose = dict(payload or {}).get("purpose")
            if not purpose:
                raise PayloadRequired(request_id, "the consent purpose")
            self.ledger.withdraw(conn, actor, sid, str(purpose), ground)
            done["purpose"] = purpose
        outcome = orjson.dumps({k: v for k, v in done.items() if k != "report"}).decode()
        self._move(conn, actor, request_id, Status.ANSWERED, "answered", outcome[:2000])
        return done

    def withdraw_now(
        self, conn: Connection, actor: Actor, request_id: str, purpose: str
    ) -> WithdrawalRefused | None:
        """Withdraw the consent for ``purpose`` at once (policy 6.5): the request records
        what was asked (sealed payload), the ledger withdraws, the request is answered and
        closed, no staff queue. Where the law profile forbids it (an unfulfilled obligation,
        Art. 8 p.2) the request is refused with that reason and closed, and the refusal is
        returned. For a verified request of kind ``withdraw_consent`` only."""
        row = self._verified(conn, request_id, lock=True)
        if Kind(row.kind) is not Kind.WITHDRAW_CONSENT:
            raise InvalidRequestTransition(request_id, Status(row.status), Status.ANSWERED)
        self.set_payload(conn, actor, request_id, {"purpose": purpose})
        try:
            self.answer(conn, actor, request_id, {"purpose": purpose})
        except WithdrawalRefused as exc:
            why = f"withdrawal refused ({exc.ground}): {exc.source}"
            self.refuse(conn, actor, request_id, why)
            self.close(conn, actor, request_id)
            return exc
        self.close(conn, actor, request_id)
        return None

    def consent_document(
        self, conn: Connection, actor: Actor, request_id: str, consent_id: str
    ) -> dict[str, Any]:
        """The document of one of the requester's consents (LAW.md Art. 8 p.4), its full
        name opened under the subject-request purpose, as the access report is read."""
        row = self._verified(conn, request_id)
        names = self.recipient_names(conn) if self.recipient_names else {}
        return documents.produce(
            conn, actor, ledger=self.ledger, gate=self.gate, subject_id=str(row.subject_id),
            consent_id=consent_id, purpose=SUBJECT_REQUEST, recipient_names=names,
        )  # fmt: skip

    def refuse(self, conn: Connection, actor: Actor, request_id: str, reason: str) -> None:
        """A motivated refusal, within the law profile's ``refuse`` term."""
        self._move(conn, actor, request_id, Status.REFUSED, "refused", reason[:2000])

    def close(self, conn: Connection, actor: Actor, request_id: str) -> None:
        self._move(conn, actor, request_id, Status.CLOSED, "closed", None)

    # -- the motivated extension --------------------------------------------------------

    def term_of(self, conn: Connection, request_id: str) -> Term:
        """The term the request runs under: its law profile's term for its kind."""
        row = self._row(conn, request_id)
        return term(row.law_profile, DEADLINE_ACTION[Kind(row.kind)])

    def extension(self, conn: Connection, request_id: str) -> Term | None:
        """The term the request may still be extended to (its law profile's term with the
        extension, e.g. RF 152-FZ Art. 20: 10 + 5 working days), or None: the profile allows
        none for this kind, it was extended already, or the request is no longer open."""
        row = self._row(conn, request_id)
        t = term(row.law_profile, DEADLINE_ACTION[Kind(row.kind)])
        if t.extension is None or Kind(row.kind) not in EXTENDABLE:
            return None
        if not is_open(Status(row.status)):
            return None
        return None if store.has_event(conn, request_id, "extended") else t

    def extend(
        self,
        conn: Connection,
        actor: Actor,
        request_id: str,
        reason: str,
        *,
        now: datetime | None = None,
    ) -> Extended:
        """Extend the answer's term once, by the law profile's extension counted from
        receipt, with a motivated notice to the person giving ``reason`` (RF 152-FZ Art. 20).

        The new deadline and the notice (through the notifier, to the person's first
        reachable contact) are recorded as the request's events ``extended`` and
        ``extension_notice``. Refused (:class:`ExtensionRefused`, nothing changes) where the
        profile allows no extension of this kind's term, it was extended already, the
        request is closed or its term has run out, no reason is given, or no contact of the
        person can be reached: an extension nobody was told of is none."""
        now = now or datetime.now(UTC)
        row = self._verified(conn, request_id, lock=True)
        why = " ".join(reason.split())
        kind = Kind(row.kind)
        t = term(row.law_profile, DEADLINE_ACTION[kind])
        if t.extension is None:
            raise ExtensionRefused(
                request_id, f"{row.law_profile} allows no extension of this term ({t.source})"
            )
        if kind not in EXTENDABLE:
            raise ExtensionRefused(request_id, f"a {kind.value} request's term is not extended")
        if not is_open(Status(row.status)):
            raise ExtensionRefused(request_id, f"the request is {row.status}")
        if store.has_event(conn, request_id, "extended"):
            raise ExtensionRefused(request_id, "it was extended already")
        if row.due_at < now:
            raise ExtensionRefused(request_id, "the term has run out; the notice comes before")
        if not why:
            raise ExtensionRefused(request_id, "a motivated notice gives its reasons")
        sid = str(row.subject_id)
        # Read first: a refusal by the gate leaves before anything changed.
        to = notices.contacts(conn, self.gate, actor, sid)
        cal = calendar_for(row.law_profile, self.overrides)
        due = cal.due(row.received_at, t.extended())
        store.set_due(conn, request_id, due)
        note = f"+{t.extension} {t.unit.value} ({t.source}): {why}"
        self._event(conn, actor, request_id, sid, "extended", note[:300], now)
        text = notices.extension_text(
            row.language, operator=self.operator_name, reference=row.reference, term=t,
            due=due, reason=why,
        )  # fmt: skip
        channel = notices.deliver(
            self.notifier, to, text, row.language, reference=row.reference,
            kind="request_extension",
        )  # fmt: skip
        if channel is None:
            raise ExtensionRefused(request_id, "no contact of the person could be notified")
        self._event(conn, actor, request_id, sid, "extension_notice", channel, now)
        return Extended(due, t, channel)

    # -- the access report -------------------------------------------------------------

    def access_report(self, conn: Connection, actor: Actor, request_id: str) -> dict[str, Any]:
        """Everything held about the subject, read through the gate under the
        subject-request purpose (policy 4.2.1), or a statement that access is restricted."""
        return access_report(
            conn,
            actor,
            self._verified(conn, request_id),
            gate=self.gate,
            ledger=self.ledger,
            catalogue=self.catalogue,
            law_profile=self.law_profile,
            transfer_log=self.transfer_log,
            trail=self.audit_trail,
            restrictions=self.restrictions,
        )

    # -- deadline watch and compliance --------------------------------------------------

    def queue(
        self, conn: Connection, *, due_within_days: int | None = None, open_only: bool = True
    ) -> list[RequestView]:
        deadline_watch.check_horizon(due_within_days)
        rows = store.all_requests(conn, by_due=True)
        restricted = store.restricted_subjects(conn, [r.subject_id for r in rows if r.subject_id])
        views = [view_of(r, self._zone, r.subject_id in restricted) for r in rows]
        return deadline_watch.queue(
            views,
            calendar_for(self.law_profile, self.overrides),
            datetime.now(UTC),
            due_within_days=due_within_days,
            open_only=open_only,
        )

    def watch(self, conn: Connection, actor: Actor, now: datetime | None = None) -> int:
        """Mark open requests due within one working day, and overdue ones (idempotent)."""
        now = now or datetime.now(UTC)
        cal = calendar_for(self.law_profile, self.overrides)
        soon = cal.due(now, deadline_watch.days(1))
        marked = 0
        for r in store.deadline_rows(conn):
            mark = deadline_watch.mark(r, now, soon)
            if mark == "overdue":
                store.mark_overdue(conn, r.id, now)
            elif mark == "due_soon":
                store.mark_due_soon(conn, r.id, now)
            else:
                continue
            self._event(conn, actor, r.id, None, mark, None, now)
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
        stale = store.ids_received_before(conn, Status.RECEIVED.value, cutoff)
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
        return deadline_watch.compliance(
            store.all_requests(conn),
            calendar_for(self.law_profile, self.overrides),
            datetime.now(UTC),
            self.law_profile,
        )

    def get(self, conn: Connection, request_id: str) -> RequestView:
        row = self._row(conn, request_id)
        sid = row.subject_id
        return view_of(row, self._zone, bool(sid and store.restricted_subjects(conn, [sid])))

    def events(self, conn: Connection, request_id: str) -> list[dict[str, Any]]:
        self._row(conn, request_id)
        return [
            {"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "note": e.note}
            for e in store.events_of(conn, request_id)
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
            # The person is the source, through this request (policy 4.2.2).
            source = sources.typed(SourceKind.SUBJECT, reference)
            changed += self.gate.clarify(conn, actor, sid, purpose, vals, source)
        return sorted(changed)

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
        check_transition(request_id, Status(row.status), Status.VERIFIED)
        store.bind_subject(conn, request_id, subject_id, Status.VERIFIED.value, now)
        self._event(conn, actor, request_id, subject_id, "verified", how, now)
        self.restrictions.attach(conn, actor, request_id, subject_id)
        # The verified request is the legal ground for reading under the subject-request
        # purpose (Art. 25), for as long as answering may take.
        self.ledger.record_basis(
            conn,
            actor,
            subject_id,
            SUBJECT_REQUEST,
            BasisKind.LAW,
            f"request {row.reference}",
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
        check_transition(request_id, Status(row.status), target)
        now = datetime.now(UTC)
        store.set_status(
            conn,
            request_id,
            target.value,
            answered=(now, outcome) if target in (Status.ANSWERED, Status.REFUSED) else None,
            closed_at=now if target is Status.CLOSED else None,
        )
        self._event(conn, actor, request_id, row.subject_id, event, None, now)

    def _verified(self, conn: Connection, request_id: str, *, lock: bool = False) -> RequestRow:
        row = self._row(conn, request_id, lock=lock)
        if row.subject_id is None:
            raise RequestNotVerified(request_id)
        return row

    def _row(self, conn: Connection, request_id: str, *, lock: bool = False) -> RequestRow:
        """The request's row; ``lock`` holds it until the transaction ends (PostgreSQL), for
        a state change: two staff actions, or a verification racing the expiry of
        unverified requests, cannot both pass the transition check (DESIGN 10)."""
        row = store.request_by_id(conn, request_id, lock=lock)
        if row is None:
            raise RequestNotFound(request_id)
        return row

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
        store.insert_event(conn, request_id, at, actor.id, kind, note)
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
