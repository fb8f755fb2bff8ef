"""The recipient registry, the transfer rule applied, the outbox, partner acknowledgements
and outcomes, state-body requests, and transfer notices (policy 4.2.2, 6.2-6.4, 6.6-6.7).

Every registry change is a new version, kept, and an audit event. Every transfer (and every
refusal) is an audit event naming recipient, purpose, fields and basis. A transfer to a
partner that takes deliveries writes its outbox row in the same transaction; the payload is
sealed under the subject's data key by the gate, so shredding the subject shreds it too.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select, update

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue
from qorgau.consent.ledger import Ledger
from qorgau.crypto.keyring import KeyProvider
from qorgau.errors import DomainError, Refusal
from qorgau.law.calendar import WorkingCalendar
from qorgau.security import actors
from qorgau.security.access import AccessPolicy, Operation
from qorgau.security.actors import Actor
from qorgau.transfers.model import (
    OUTCOMES,
    Agreement,
    Basis,
    DeliveryMode,
    InvalidOutcome,
    InvalidRecipient,
    Kind,
    Reason,
    Recipient,
    RecipientNotFound,
    TransferConsent,
    TransferNotFound,
    TransferRefused,
    TransferView,
    check_transfer,
    payload_matches,
    refusal_code,
    validate_recipient,
    withheld,
)
from qorgau.transfers.store import (
    outbox,
    partner_secret,
    recipient,
    recipient_version,
    state_request,
    transfer,
    transfer_notice,
)
from qorgau.vault.gate import Gate
from qorgau.vault.keys import hold_kek
from qorgau.vault.model import OperationNotPermitted, Status

#: The purpose leads are passed to partners under: concluding a loan contract (P1).
LEAD_PURPOSE = "contract"
#: The actor the lead router reads and transfers as.
ROUTER = actors.ROUTER
#: How long a rotated-out webhook secret keeps signing.
SECRET_OVERLAP = timedelta(hours=24)


_PREFETCH = "qorgau.transfer-rule.prefetch"


@dataclass(frozen=True, slots=True)
class _Prefetched:
    recipients: dict[str, Recipient]
    subjects: frozenset[str]
    consents: dict[str, TransferConsent]


class NotAPartnerTransfer(DomainError):
    """A partner asked about a transfer that is not addressed to it (same answer as unknown)."""

    code = "transfer-not-found"
    kind = "not_found"
    title = "Not found"


class InvalidDeliveryState(DomainError):
    code = "invalid-delivery-state"
    kind = "conflict"
    title = "Conflict"


class InvalidStateRequest(DomainError):
    code = "invalid-state-request"


@dataclass(frozen=True, slots=True)
class RoutedLead:
    transfers: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]  # (recipient, reason code)


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _agreement_doc(a: Agreement | None) -> dict[str, Any] | None:
    if a is None:
        return None
    doc = asdict(a)
    doc["operations"] = sorted(a.operations)
    doc["purposes"] = sorted(a.purposes)
    doc["fields"] = sorted(a.fields)
    doc["valid_from"] = a.valid_from.isoformat()
    doc["valid_until"] = a.valid_until.isoformat()
    return doc


def agreement_from(doc: dict[str, Any] | None) -> Agreement | None:
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


def recipient_doc(r: Recipient) -> dict[str, Any]:
    """The registry entry as a JSON-ready document (what a version keeps)."""
    return {
        "code": r.code,
        "kind": r.kind.value,
        "legal_name": r.legal_name,
        "bin": r.bin,
        "country": r.country,
        "contacts": dict(r.contacts),
        "delivery": r.delivery.value,
        "endpoint": r.endpoint,
        "agreement": _agreement_doc(r.agreement),
        "active": r.active,
        "version": r.version,
    }


def _recipient_row(row: Any) -> Recipient:
    return Recipient(
        code=row["code"],
        kind=Kind(row["kind"]),
        legal_name=row["legal_name"],
        bin=row["bin"],
        country=row["country"],
        contacts=orjson.loads(row["contacts"]),
        delivery=DeliveryMode(row["delivery"]),
        endpoint=row["endpoint"],
        agreement=agreement_from(orjson.loads(row["agreement"]) if row["agreement"] else None),
        active=bool(row["active"]),
        version=int(row["version"]),
    )


def _view(row: Any, names: dict[str, str]) -> TransferView:
    return TransferView(
        id=row["id"],
        subject_id=row["subject_id"],
        recipient=row["recipient"],
        recipient_name=names.get(row["recipient"], row["recipient"]),
        purpose=row["purpose"],
        fields=tuple(orjson.loads(row["fields"])),
        basis_kind=row["basis_kind"],
        basis_reference=row["basis_ref"],
        at=_aware(row["at"]) or datetime.now(UTC),
        status=row["status"],
        delivered_at=_aware(row["delivered_at"]),
        acknowledged_at=_aware(row["acknowledged_at"]),
        outcome=row["outcome"],
        lead=row["lead"],
    )


class TransferService:
    def __init__(
        self,
        *,
        gate: Gate,
        ledger: Ledger,
        catalogue: Catalogue,
        access: AccessPolicy,
        audit: AuditLog,
        calendar: WorkingCalendar,
        home_country: str,
        keys: KeyProvider,
        notice_working_days: int | None = 10,
        notices: bool = True,
        allow_loopback_webhooks: bool = False,
    ) -> None:
        self.gate = gate
        self.ledger = ledger
        self.catalogue = catalogue
        self.access = access
        self.audit = audit
        self.calendar = calendar
        self.home_country = home_country
        self._keys = keys
        self.notice_days = notice_working_days
        self.notices = notices
        self.allow_loopback_webhooks = allow_loopback_webhooks

    # -- registry ---------------------------------------------------------------------------

    def _require(self, conn: Connection, actor: Actor, what: str) -> None:
        """Registry changes and manual transfers need a role that may manage the policy
        (DPO, admin); a refusal is audited."""
        if self.access.may(actor.role, Operation.POLICY):
            return
        self.audit.append(
            conn,
            Event("refuse", actor.id, detail={"role": actor.role, "op": what,
                                              "code": "operation-not-permitted"}),
        )  # fmt: skip
        raise OperationNotPermitted(actor.role, what)

    def register(self, conn: Connection, actor: Actor, entry: Recipient) -> Recipient:
        """Add a recipient or change one: a new version, kept, and audited (policy 6.2)."""
        self._require(conn, actor, "recipients")
        validate_recipient(
            entry, self.catalogue.purposes, self.catalogue.fields,
            allow_loopback=self.allow_loopback_webhooks,
        )  # fmt: skip
        now = datetime.now(UTC)
        current = conn.execute(
            select(recipient.c.version).where(recipient.c.code == entry.code)
        ).scalar_one_or_none()
        version = 1 if current is None else int(current) + 1
        saved = Recipient(**{**_fields_of(entry), "version": version})
        doc = recipient_doc(saved)
        values = {
            "kind": saved.kind.value,
            "legal_name": saved.legal_name,
            "bin": saved.bin,
            "country": saved.country,
            "contacts": orjson.dumps(dict(saved.contacts)).decode(),
            "delivery": saved.delivery.value,
            "endpoint": saved.endpoint,
            "agreement": orjson.dumps(doc["agreement"]).decode() if saved.agreement else None,
            "valid_until": saved.agreement.valid_until if saved.agreement else None,
            "active": saved.active,
            "version": version,
            "updated_at": now,
        }
        if current is None:
            conn.execute(insert(recipient).values(code=saved.code, **values))
        else:
            conn.execute(update(recipient).where(recipient.c.code == saved.code).values(**values))
        raw = orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
        conn.execute(
            insert(recipient_version).values(
                code=saved.code, version=version, doc=raw.decode(), at=now, actor=actor.id
            )
        )
        self.audit.append(
            conn,
            Event(
                "recipient.register" if current is None else "recipient.update",
                actor.id,
                detail={
                    "role": actor.role,
                    "recipient": saved.code,
                    "version": version,
                    "digest": hashlib.sha256(raw).hexdigest()[:32],
                },
                at=now,
            ),
        )
        return saved

    def recipient(self, conn: Connection, code: str) -> Recipient:
        row = conn.execute(select(recipient).where(recipient.c.code == code)).mappings().first()
        if row is None:
            raise RecipientNotFound(code)
        return _recipient_row(row)

    def known(self, conn: Connection, codes: Sequence[str]) -> set[str]:
        """Which of ``codes`` are in the registry."""
        rows = conn.execute(select(recipient.c.code).where(recipient.c.code.in_(list(codes))))
        return {str(r[0]) for r in rows}

    def recipients(self, conn: Connection) -> list[Recipient]:
        rows = conn.execute(select(recipient).order_by(recipient.c.code)).mappings()
        return [_recipient_row(r) for r in rows]

    def versions(self, conn: Connection, code: str) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(recipient_version)
            .where(recipient_version.c.code == code)
            .order_by(recipient_version.c.version)
        ).mappings()
        out = [
            {"version": r["version"], "at": _aware(r["at"]), "actor": r["actor"],
             "entry": orjson.loads(r["doc"])}
            for r in rows
        ]  # fmt: skip
        if not out:
            raise RecipientNotFound(code)
        return out

    def expiring(self, conn: Connection, on: date, days: int = 30) -> list[Recipient]:
        """Active recipients whose agreement ends within ``days`` of ``on`` (or has ended)."""
        limit = on + timedelta(days=days)
        rows = conn.execute(
            select(recipient)
            .where(recipient.c.active.is_(True), recipient.c.valid_until < limit)
            .order_by(recipient.c.valid_until)
        ).mappings()
        return [_recipient_row(r) for r in rows]

    def home(self) -> str:
        """Where the operator stores personal data (configured; shown in the registry)."""
        return self.home_country

    # -- webhook secrets --------------------------------------------------------------------

    def rotate_secret(
        self, conn: Connection, actor: Actor, code: str, overlap: timedelta = SECRET_OVERLAP
    ) -> str:
        """A new webhook secret for ``code``, returned once (base64url). Secrets it replaces
        keep signing for ``overlap`` so the partner can switch without losing deliveries."""
        self._require(conn, actor, "recipients")
        self.recipient(conn, code)
        now = datetime.now(UTC)
        conn.execute(
            update(partner_secret)
            .where(partner_secret.c.recipient == code, partner_secret.c.retires_at.is_(None))
            .values(retires_at=now + overlap)
        )
        raw = secrets.token_bytes(32)
        sid = secrets.token_hex(8)
        hold_kek(conn)  # rotation does not retire the KEK before this commits
        kek_id, sealed = self._keys.wrap(raw, f"partner-secret:{code}:{sid}")
        conn.execute(
            insert(partner_secret).values(
                id=sid, recipient=code, kek_id=kek_id, sealed=sealed, created_at=now
            )
        )
        self.audit.append(
            conn,
            Event("recipient.secret", actor.id, detail={"role": actor.role, "recipient": code,
                                                        "secret": sid}, at=now),
        )  # fmt: skip
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def rewrap_secrets(self, conn: Connection) -> int:
        """Move every webhook secret to the keyring's active KEK (``qorgau keys rotate``):
        after the old KEK retires, deliveries still sign."""
        s = partner_secret.c
        active = self._keys.active_kek_id
        rows = conn.execute(
            select(s.id, s.recipient, s.kek_id, s.sealed).where(s.kek_id != active)
        ).all()
        for sid, code, kek_id, sealed in rows:
            raw = self._keys.unwrap(kek_id, bytes(sealed), f"partner-secret:{code}:{sid}")
            new_kek, new_sealed = self._keys.wrap(raw, f"partner-secret:{code}:{sid}")
            conn.execute(
                update(partner_secret).where(s.id == sid).values(kek_id=new_kek, sealed=new_sealed)
            )
        return len(rows)

    def secret_kek_usage(self, conn: Connection) -> dict[str, int]:
        s = partner_secret.c
        rows = conn.execute(select(s.kek_id, func.count()).group_by(s.kek_id))
        return {str(k): int(n) for k, n in rows}

    def signing_secrets(self, conn: Connection, code: str, at: datetime) -> list[bytes]:
        """The secrets that sign deliveries to ``code`` at ``at``, newest first."""
        s = partner_secret.c
        rows = conn.execute(
            select(s.id, s.kek_id, s.sealed, s.retires_at)
            .where(s.recipient == code)
            .order_by(s.created_at.desc())
        ).all()
        out = []
        for sid, kek_id, sealed, retires in rows:
            until = _aware(retires)
            if until is None or until > at:
                out.append(self._keys.unwrap(kek_id, bytes(sealed), f"partner-secret:{code}:{sid}"))
        return out

    # -- transfers --------------------------------------------------------------------------

    def _consent(self, conn: Connection, subject_id: str, at: datetime) -> TransferConsent | None:
        batch: _Prefetched | None = conn.info.get(_PREFETCH)
        if batch is not None and subject_id in batch.subjects:
            return batch.consents.get(subject_id)
        got = self.ledger.transfer_consent(conn, subject_id, at)
        return None if got is None else TransferConsent(*got)

    def _entry(self, conn: Connection, code: str) -> Recipient:
        batch: _Prefetched | None = conn.info.get(_PREFETCH)
        if batch is not None and code in batch.recipients:
            return batch.recipients[code]
        return self.recipient(conn, code)

    @contextmanager
    def prefetched(
        self, conn: Connection, subject_ids: Sequence[str], codes: Sequence[str], at: datetime
    ) -> Iterator[None]:
        """For a batch that opens many leads in one transaction (the dispatcher, a partner's
        pull, a lead routed to several partners): the registry entries and the transfer
        consents the rule needs are read once, in this transaction, and :meth:`check` uses
        them for each lead. Outside the block nothing is kept."""
        rows = conn.execute(select(recipient).where(recipient.c.code.in_(sorted(set(codes)))))
        consents = self.ledger.transfer_consents(conn, subject_ids, at)
        conn.info[_PREFETCH] = _Prefetched(
            recipients={r.code: r for r in map(_recipient_row, rows.mappings())},
            subjects=frozenset(subject_ids),
            consents={sid: TransferConsent(*got) for sid, got in consents.items()},
        )
        try:
            yield
        finally:
            conn.info.pop(_PREFETCH, None)

    def check(
        self,
        conn: Connection,
        subject_id: str,
        recipient: str,
        purpose: str,
        fields: tuple[str, ...],
        at: datetime,
        *,
        subject_active: bool,
        legal_ground: str | None,
    ) -> tuple[str, str]:
        """The gate's last step for every disclosure to a recipient (``vault.TransferRule``):
        the rule of :func:`~qorgau.transfers.model.check_transfer` on the registry entry and
        the subject's transfer consent as they are at ``at``."""
        try:
            to = self._entry(conn, recipient)
        except RecipientNotFound:
            # Consented to, but not (or no longer) in the registry: no agreement to pass under.
            raise TransferRefused(Reason.NO_AGREEMENT, recipient) from None
        consent = None if legal_ground else self._consent(conn, subject_id, at)
        basis = check_transfer(
            to,
            purpose=purpose,
            fields=fields,
            purpose_fields=self.catalogue.purpose(purpose).fields,
            subject_active=subject_active,
            consent=consent,
            legal_ground=legal_ground,
            home_country=self.home_country,
            on=self.calendar.local(at).date(),
        )
        return basis.kind, basis.reference

    def transfer(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        recipient_code: str,
        purpose: str,
        fields: Sequence[str],
        *,
        legal_ground: str | None = None,
        now: datetime | None = None,
    ) -> TransferView:
        """Pass ``fields`` of a subject to a recipient under ``purpose``, if the gate's
        decision and the transfer rule allow; else the refusal, audited. ``legal_ground``
        is for state bodies only (use :meth:`state_request`)."""
        self._require(conn, actor, "transfer")
        return self._transfer(
            conn, actor, subject_id, self.recipient(conn, recipient_code), purpose,
            tuple(fields), legal_ground=legal_ground, now=now or datetime.now(UTC),
        )  # fmt: skip

    def _transfer(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        to: Recipient,
        purpose: str,
        fields: tuple[str, ...],
        *,
        legal_ground: str | None,
        now: datetime,
        lead: str | None = None,
        state_request_id: str | None = None,
        held_only: bool = False,
    ) -> TransferView:
        """One disclosure through the gate (the whole decision, the transfer rule last),
        then the record; ``held_only`` records only the fields the subject holds."""
        got = self.gate.disclose(
            conn, actor, subject_id, to.code, purpose, fields, legal_ground=legal_ground
        )
        values = got.result.values
        if held_only:
            fields = tuple(f for f in fields if f in values)
        basis = Basis(got.basis_kind, got.basis_reference)
        return self._record(
            conn, actor, subject_id, to, purpose, fields, basis, now,
            lead=lead, state_request_id=state_request_id, values=values,
        )  # fmt: skip

    def _record(
        self,
        conn: Connection,
        actor: Actor,
        subject_id: str,
        to: Recipient,
        purpose: str,
        fields: tuple[str, ...],
        basis: Basis,
        now: datetime,
        *,
        lead: str | None,
        state_request_id: str | None,
        values: dict[str, str],
    ) -> TransferView:
        tid = secrets.token_hex(16)
        queued = to.delivery is not DeliveryMode.NONE and state_request_id is None
        status = "queued" if queued else "disclosed"
        conn.execute(
            insert(transfer).values(
                id=tid,
                subject_id=subject_id,
                recipient=to.code,
                recipient_version=to.version,
                purpose=purpose,
                fields=orjson.dumps(list(fields)).decode(),
                basis_kind=basis.kind,
                basis_ref=basis.reference,
                lead=lead,
                state_request=state_request_id,
                at=now,
                actor=actor.id,
                status=status,
            )
        )
        if queued:
            doc = {
                "transfer_id": tid,
                "lead": lead,
                "recipient": to.code,
                "purpose": purpose,
                "basis": basis.kind,
                "at": now.isoformat(),
                "data": {f: values[f] for f in fields if f in values},
            }
            sealed = self.gate.seal_extra(conn, subject_id, f"outbox:{tid}", orjson.dumps(doc))
            conn.execute(
                insert(outbox).values(
                    transfer_id=tid,
                    recipient=to.code,
                    subject_id=subject_id,
                    idempotency_key=tid,
                    payload=sealed,
                    status="pending",
                    attempts=0,
                    next_at=now,
                    created_at=now,
                )
            )
        if basis.kind == "consent" and self.notices and self.notice_days is not None:
            conn.execute(
                insert(transfer_notice).values(
                    transfer_id=tid,
                    subject_id=subject_id,
                    due_at=self.calendar.end_of_day(
                        self.calendar.add_working_days(self.calendar.local(now).date(),
                                                       self.notice_days)
                    ),
                )
            )  # fmt: skip
        self.audit.append(
            conn,
            Event(
                "transfer",
                actor.id,
                subject_id=subject_id,
                purpose=purpose,
                fields=fields,
                detail={
                    "role": actor.role,
                    "transfer": tid,
                    "recipient": to.code,
                    "version": to.version,
                    "basis": basis.kind,
                    "ground": basis.reference,
                },
                at=now,
            ),
        )
        return TransferView(
            id=tid, subject_id=subject_id, recipient=to.code, recipient_name=to.legal_name,
            purpose=purpose, fields=fields, basis_kind=basis.kind,
            basis_reference=basis.reference, at=now, status=status, lead=lead,
        )  # fmt: skip

    def route_lead(
        self,
        conn: Connection,
        subject_id: str,
        lead: str | None,
        *,
        now: datetime | None = None,
        actor: Actor = ROUTER,
    ) -> RoutedLead:
        """Pass a confirmed lead to every partner the subject consented to that takes leads
        (policy 6.2): one disclosure through the gate per partner, each under the transfer
        rule; a partner the rule refuses is skipped, its refusal audited by the gate."""
        at = now or datetime.now(UTC)
        consent = self._consent(conn, subject_id, at)
        if consent is None or not consent.recipients:
            return RoutedLead((), ())
        known = {
            r.code: r
            for r in (
                _recipient_row(row)
                for row in conn.execute(
                    select(recipient).where(recipient.c.code.in_(sorted(consent.recipients)))
                ).mappings()
            )
        }
        purpose = self.catalogue.purpose(LEAD_PURPOSE)
        done: list[str] = []
        refused: list[tuple[str, str]] = []
        with self.prefetched(conn, [subject_id], sorted(consent.recipients), at):
            for code in sorted(consent.recipients):
                to = known.get(code)
                if to is not None and to.delivery is DeliveryMode.NONE:
                    continue
                allowed = purpose.fields
                if to is not None and to.agreement and to.agreement.fields:
                    allowed = allowed & to.agreement.fields
                fields = tuple(sorted(allowed))
                try:
                    if to is None:
                        # Not (or no longer) in the registry: the rule refuses (no agreement).
                        self.gate.disclose(conn, actor, subject_id, code, LEAD_PURPOSE, fields)
                        continue
                    view = self._transfer(
                        conn, actor, subject_id, to, LEAD_PURPOSE, fields,
                        legal_ground=None, now=at, lead=lead, held_only=True,
                    )  # fmt: skip
                except Refusal as exc:
                    refused.append((code, refusal_code(exc)))
                    continue
                done.append(view.id)
        return RoutedLead(tuple(done), tuple(refused))

    # -- state bodies (policy 6.3) ----------------------------------------------------------

    def state_request(
        self,
        conn: Connection,
        actor: Actor,
        *,
        body: str,
        reference: str,
        legal_ground: str,
        received_on: date,
        subjects: Sequence[str],
        fields: Sequence[str],
        purpose: str = LEAD_PURPOSE,
    ) -> tuple[str, list[TransferView]]:
        """Record a state body's request (its reference and legal ground) and the disclosure
        made under it: one transfer per subject, with the law as basis."""
        self._require(conn, actor, "state_request")
        to = self.recipient(conn, body)
        problems = []
        if to.kind is not Kind.STATE_BODY:
            problems.append(f"recipient '{body}' is not a state body")
        if not reference.strip() or len(reference) > 200:
            problems.append("reference: the request's number and date, 1-200 characters")
        if not legal_ground.strip() or len(legal_ground) > 500:
            problems.append("legal_ground: the law and article, 1-500 characters")
        if not subjects:
            problems.append("subjects: at least one")
        if not fields:
            problems.append("fields: at least one")
        if problems:
            raise InvalidStateRequest("; ".join(problems))
        now = datetime.now(UTC)
        ground = f"{legal_ground.strip()} ({reference.strip()})"[:300]
        wanted = tuple(fields)
        # Every subject first: one refusal leaves nothing recorded but its audit event.
        for sid in dict.fromkeys(subjects):
            self.gate.may_disclose(conn, actor, sid, to.code, purpose, wanted, legal_ground=ground)
        rid = secrets.token_hex(16)
        conn.execute(
            insert(state_request).values(
                id=rid, recipient=body, reference=reference.strip(),
                legal_ground=legal_ground.strip(), received_on=received_on, at=now,
                actor=actor.id,
            )
        )  # fmt: skip
        self.audit.append(
            conn,
            Event("state_request", actor.id, detail={"role": actor.role, "request": rid,
                                                     "recipient": body,
                                                     "subjects": len(subjects)}, at=now),
        )  # fmt: skip
        views = [
            self._transfer(
                conn, actor, sid, to, purpose, wanted, legal_ground=ground, now=now,
                state_request_id=rid,
            )
            for sid in dict.fromkeys(subjects)
        ]  # fmt: skip
        return rid, views

    # -- the transfer log (policy 6.4) ------------------------------------------------------

    def _names(self, conn: Connection) -> dict[str, str]:
        return {r[0]: r[1] for r in conn.execute(select(recipient.c.code, recipient.c.legal_name))}

    def log(self, conn: Connection, subject_id: str) -> list[TransferView]:
        """Every transfer of the subject's data: recipient, purpose, field names, time,
        basis, delivery status and acknowledgement (policy 6.4)."""
        names = self._names(conn)
        rows = conn.execute(
            select(transfer).where(transfer.c.subject_id == subject_id).order_by(transfer.c.at)
        ).mappings()
        return [_view(r, names) for r in rows]

    def get(self, conn: Connection, transfer_id: str) -> TransferView:
        row = conn.execute(select(transfer).where(transfer.c.id == transfer_id)).mappings().first()
        if row is None:
            raise TransferNotFound(transfer_id)
        return _view(row, self._names(conn))

    # -- the delivery queue (staff) ---------------------------------------------------------

    def deliveries(
        self, conn: Connection, status: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The outbox as staff see it (no payload, no personal value): failures and dead
        letters first when no status is given."""
        o = outbox.c
        q = select(
            o.id, o.transfer_id, o.recipient, o.status, o.attempts, o.next_at, o.last_error,
            o.created_at, o.done_at, transfer.c.lead, transfer.c.status.label("transfer_status"),
        ).join(transfer, transfer.c.id == o.transfer_id)  # fmt: skip
        if status is not None:
            q = q.where(o.status == status)
        q = q.order_by((o.status == "dead").desc(), o.attempts.desc(), o.id.desc()).limit(limit)
        out = []
        for r in conn.execute(q).mappings():
            doc = dict(r)
            for key in ("next_at", "created_at", "done_at"):
                doc[key] = _aware(doc[key])
            out.append(doc)
        return out

    def retry(self, conn: Connection, actor: Actor, transfer_id: str) -> None:
        """Put a dead-lettered delivery back in the queue, due now (staff action, audited)."""
        self._require(conn, actor, "delivery.retry")
        row = conn.execute(
            select(outbox.c.status, outbox.c.subject_id, outbox.c.recipient).where(
                outbox.c.transfer_id == transfer_id
            )
        ).first()
        if row is None:
            raise TransferNotFound(transfer_id)
        if row[0] != "dead":
            raise InvalidDeliveryState(f"delivery of {transfer_id} is {row[0]}, not dead")
        now = datetime.now(UTC)
        conn.execute(
            update(outbox)
            .where(outbox.c.transfer_id == transfer_id)
            .values(status="pending", attempts=0, next_at=now, last_error=None)
        )
        conn.execute(update(transfer).where(transfer.c.id == transfer_id).values(status="queued"))
        self.audit.append(
            conn,
            Event("transfer.retry", actor.id, subject_id=row[1],
                  detail={"role": actor.role, "transfer": transfer_id, "recipient": row[2]},
                  at=now),
        )  # fmt: skip

    # -- partner side -----------------------------------------------------------------------

    def _partner_row(self, conn: Connection, code: str, transfer_id: str) -> Any:
        row = conn.execute(
            select(
                transfer.c.id, transfer.c.subject_id, transfer.c.status, transfer.c.outcome
            ).where(transfer.c.id == transfer_id, transfer.c.recipient == code)
        ).first()
        if row is None:
            raise NotAPartnerTransfer(f"no transfer {transfer_id} addressed to you")
        return row

    def fetch(self, conn: Connection, code: str, limit: int = 100) -> list[dict[str, Any]]:
        """Leads addressed to a pull partner and not yet acknowledged, with their data.

        Each is opened by the gate as a disclosure to this partner, so the whole decision
        and the transfer rule run again now (policy 6.2, 6.5-6.7): a lead the rule refuses is
        withheld, never handed out, its refusal audited (kept for staff to retry when the
        refusal may lift, see :func:`~qorgau.transfers.model.withheld`). Each lead handed
        out is marked fetched."""
        t = transfer.c
        rows = conn.execute(
            select(outbox.c.id, outbox.c.transfer_id, outbox.c.subject_id, outbox.c.payload,
                   t.purpose, t.fields)
            .join(transfer, t.id == outbox.c.transfer_id)
            .where(outbox.c.recipient == code, outbox.c.status == "pending",
                   t.status.in_(("queued", "fetched")))
            .order_by(outbox.c.id)
            .limit(limit)
        ).all()  # fmt: skip
        now = datetime.now(UTC)
        out = []
        partner = actors.partner(code)
        with self.prefetched(conn, [r[2] for r in rows], [code], now):
            for oid, tid, sid, payload, purpose, fields in rows:
                if payload is None:
                    continue
                try:
                    doc = orjson.loads(
                        self.gate.open_extra(
                            conn, partner, sid, f"outbox:{tid}", bytes(payload),
                            purpose=purpose, fields=orjson.loads(fields), recipient=code,
                        )
                    )  # fmt: skip
                except DomainError as exc:
                    self._withhold(conn, partner, oid, tid, sid, code, refusal_code(exc), now)
                    continue
                wanted = orjson.loads(fields)
                if not payload_matches(doc, transfer_id=tid, recipient=code, purpose=purpose,
                                       fields=wanted):  # fmt: skip
                    self._withhold(conn, partner, oid, tid, sid, code, "payload-mismatch", now)
                    continue
                out.append(doc)
                conn.execute(
                    update(transfer)
                    .where(transfer.c.id == tid, transfer.c.status == "queued")
                    .values(status="fetched", delivered_at=now)
                )
                self.audit.append(
                    conn,
                    Event("transfer.fetched", partner.id, subject_id=sid,
                          detail={"role": partner.role, "transfer": tid, "recipient": code,
                                  "outbox": oid}, at=now),
                )  # fmt: skip
        return out

    def _withhold(
        self,
        conn: Connection,
        actor: Actor,
        oid: int,
        tid: str,
        sid: str,
        code: str,
        reason: str,
        now: datetime,
    ) -> None:
        """A queued lead the rule now refuses: dead-lettered (payload kept only when the
        refusal may lift) and its transfer marked; audited beside the gate's refusal."""
        keep, status = withheld(reason)
        values: dict[str, Any] = {"status": "dead", "last_error": reason, "done_at": now}
        if not keep:
            values["payload"] = None
        conn.execute(
            update(outbox).where(outbox.c.id == oid, outbox.c.status == "pending").values(**values)
        )
        conn.execute(
            update(transfer)
            .where(transfer.c.id == tid, transfer.c.status.in_(("queued", "fetched")))
            .values(status=status)
        )
        self.audit.append(
            conn,
            Event("transfer.dead", actor.id, subject_id=sid,
                  detail={"role": actor.role, "transfer": tid, "recipient": code,
                          "error": reason}, at=now),
        )  # fmt: skip

    def acknowledge(self, conn: Connection, code: str, transfer_id: str) -> TransferView:
        """The partner confirms receipt: the lead leaves its queue (idempotent)."""
        row = self._partner_row(conn, code, transfer_id)
        if row[2] not in ("acknowledged",):
            now = datetime.now(UTC)
            conn.execute(
                update(transfer)
                .where(transfer.c.id == transfer_id)
                .values(status="acknowledged", acknowledged_at=now)
            )
            conn.execute(
                update(outbox)
                .where(outbox.c.transfer_id == transfer_id, outbox.c.status == "pending")
                .values(status="delivered", done_at=now, payload=None)
            )
            self.audit.append(
                conn,
                Event("transfer.acknowledged", actors.partner(code).id, subject_id=row[1],
                      detail={"transfer": transfer_id, "recipient": code}, at=now),
            )  # fmt: skip
        return self.get(conn, transfer_id)

    def report_outcome(
        self, conn: Connection, code: str, transfer_id: str, outcome: str
    ) -> TransferView:
        """The partner reports what came of the lead; a refusal makes the person a refused
        borrower, an issued loan a client through the operator (policy 3.3)."""
        if outcome not in OUTCOMES:
            raise InvalidOutcome(outcome)
        row = self._partner_row(conn, code, transfer_id)
        now = datetime.now(UTC)
        conn.execute(
            update(transfer)
            .where(transfer.c.id == transfer_id)
            .values(outcome=outcome, outcome_at=now)
        )
        self.audit.append(
            conn,
            Event("transfer.outcome", actors.partner(code).id, subject_id=row[1],
                  detail={"transfer": transfer_id, "recipient": code, "outcome": outcome},
                  at=now),
        )  # fmt: skip
        category = OUTCOMES[outcome]
        if category is not None and self.gate.subject_status(conn, row[1]) is Status.ACTIVE:
            self.gate.recategorise(conn, ROUTER, row[1], category, f"outcome {outcome} from {code}")
        return self.get(conn, transfer_id)

    # -- notices (LAW.md Art. 19) -----------------------------------------------------------

    def notices_due(self, conn: Connection, limit: int = 500) -> list[tuple[str, str]]:
        """(transfer id, subject id) of notices not sent yet, earliest deadline first."""
        rows = conn.execute(
            select(transfer_notice.c.transfer_id, transfer_notice.c.subject_id)
            .where(transfer_notice.c.sent_at.is_(None))
            .order_by(transfer_notice.c.due_at)
            .limit(limit)
        ).all()
        return [(str(a), str(b)) for a, b in rows]

    def consent_language(self, conn: Connection, consent_id: str) -> str:
        return self.ledger.language_of(conn, consent_id)

    def mark_noticed(
        self, conn: Connection, transfer_id: str, subject_id: str, channel: str | None
    ) -> None:
        now = datetime.now(UTC)
        conn.execute(
            update(transfer_notice)
            .where(transfer_notice.c.transfer_id == transfer_id)
            .values(sent_at=now, channel=channel)
        )
        self.audit.append(
            conn,
            Event("transfer.notice", actors.WORKER.id, subject_id=subject_id,
                  detail={"transfer": transfer_id, "channel": channel or "none"}, at=now),
        )  # fmt: skip


def _fields_of(r: Recipient) -> dict[str, Any]:
    return {name: getattr(r, name) for name in Recipient.__dataclass_fields__}


def parse_recipient(doc: dict[str, Any]) -> Recipient:
    """A registry entry from a JSON document (API, CLI); clear errors for a bad one."""
    try:
        agreement = doc.get("agreement")
        return Recipient(
            code=str(doc["code"]),
            kind=Kind(doc["kind"]),
            legal_name=str(doc["legal_name"]),
            bin=doc.get("bin"),
            country=str(doc.get("country", "KZ")),
            contacts={str(k): str(v) for k, v in dict(doc.get("contacts") or {}).items()},
            delivery=DeliveryMode(doc.get("delivery", "none")),
            endpoint=doc.get("endpoint"),
            agreement=agreement_from(agreement) if agreement else None,
            active=bool(doc.get("active", True)),
        )
    except KeyError as exc:
        raise InvalidRecipient(f"missing {exc.args[0]}") from None
    except (ValueError, TypeError) as exc:
        raise InvalidRecipient(str(exc)) from None
