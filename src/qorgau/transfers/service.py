"""Transfers (policy 6.2-6.4): each disclosure to a recipient through the gate (the whole
decision, the transfer rule last), recorded with its basis, its outbox row in the same
transaction for a partner that takes deliveries (the payload sealed under the subject's
data key, so shredding the subject shreds it too), and its notice due; confirmed leads
routed to the partners the person consented to; the transfer log of a subject.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.audit.rows import RowChanges, inserted
from qorgau.catalog import Catalogue
from qorgau.errors import Refusal
from qorgau.law.calendar import WorkingCalendar
from qorgau.security import actors
from qorgau.security.access import AccessPolicy
from qorgau.security.actors import Actor
from qorgau.transfers.model import (
    Basis,
    DeliveryMode,
    Recipient,
    TransferNotFound,
    TransferView,
    refusal_code,
)
from qorgau.transfers.registry import Registry, require_manager
from qorgau.transfers.rule import TransferRule
from qorgau.transfers.store import recipients as recipient_store
from qorgau.transfers.store import transfers as transfer_store
from qorgau.vault.gate import Gate

#: The purpose leads are passed to partners under: concluding a loan contract (P1).
LEAD_PURPOSE = "contract"
#: The actor the lead router reads and transfers as.
ROUTER = actors.ROUTER


@dataclass(frozen=True, slots=True)
class RoutedLead:
    transfers: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]  # (recipient, reason code)


def _view(row: transfer_store.TransferRow, names: dict[str, str]) -> TransferView:
    return TransferView(
        id=row.id,
        subject_id=row.subject_id,
        recipient=row.recipient,
        recipient_name=names.get(row.recipient, row.recipient),
        purpose=row.purpose,
        fields=row.fields,
        basis_kind=row.basis_kind,
        basis_reference=row.basis_ref,
        at=row.at,
        status=row.status,
        delivered_at=row.delivered_at,
        acknowledged_at=row.acknowledged_at,
        outcome=row.outcome,
        lead=row.lead,
    )


class Transfers:
    def __init__(
        self,
        *,
        gate: Gate,
        registry: Registry,
        rule: TransferRule,
        catalogue: Catalogue,
        access: AccessPolicy,
        audit: AuditLog,
        calendar: WorkingCalendar,
        # The law profile's term (``LawProfile.transfer_notice_working_days``); None: none.
        notice_working_days: int | None = None,
        notices: bool = True,
    ) -> None:
        self.gate = gate
        self.registry = registry
        self.rule = rule
        self.catalogue = catalogue
        self.access = access
        self.audit = audit
        self.calendar = calendar
        self.notice_days = notice_working_days
        self.notices = notices

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
        require_manager(conn, self.access, self.audit, actor, "transfer")
        return self.disclose(
            conn, actor, subject_id, self.registry.recipient(conn, recipient_code), purpose,
            tuple(fields), legal_ground=legal_ground, now=now or datetime.now(UTC),
        )  # fmt: skip

    def disclose(
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
        rows: RowChanges = {}
        queued = to.delivery is not DeliveryMode.NONE and state_request_id is None
        status = "queued" if queued else "disclosed"
        transfer_store.insert_transfer(
            conn, tid=tid, subject_id=subject_id, to=to, purpose=purpose, fields=fields,
            basis_kind=basis.kind, basis_ref=basis.reference, lead=lead,
            state_request_id=state_request_id, at=now, actor=actor.id, status=status,
        )  # fmt: skip
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
            rows = inserted(
                transfer_store.insert_outbox(conn, tid, to.code, subject_id, sealed, now)
            )
        if basis.kind == "consent" and self.notices and self.notice_days is not None:
            local = self.calendar.local(now).date()
            due = self.calendar.add_working_days(local, self.notice_days)
            transfer_store.insert_notice(conn, tid, subject_id, self.calendar.end_of_day(due))
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
                    **({"rows": rows} if rows else {}),
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
        consent = self.rule.consent(conn, subject_id, at)
        if consent is None or not consent.recipients:
            return RoutedLead((), ())
        codes = sorted(consent.recipients)
        known = {r.code: r for r in recipient_store.recipients_by_codes(conn, codes)}
        purpose = self.catalogue.purpose(LEAD_PURPOSE)
        done: list[str] = []
        refused: list[tuple[str, str]] = []
        with self.rule.prefetched(conn, [subject_id], codes, at):
            for code in codes:
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
                    view = self.disclose(
                        conn, actor, subject_id, to, LEAD_PURPOSE, fields,
                        legal_ground=None, now=at, lead=lead, held_only=True,
                    )  # fmt: skip
                except Refusal as exc:
                    refused.append((code, refusal_code(exc)))
                    continue
                done.append(view.id)
        return RoutedLead(tuple(done), tuple(refused))

    # -- the transfer log (policy 6.4) ------------------------------------------------------

    def log(self, conn: Connection, subject_id: str) -> list[TransferView]:
        """Every transfer of the subject's data: recipient, purpose, field names, time,
        basis, delivery status and acknowledgement (policy 6.4)."""
        names = self.registry.names(conn)
        return [_view(r, names) for r in transfer_store.transfers_of(conn, subject_id)]

    def get(self, conn: Connection, transfer_id: str) -> TransferView:
        row = transfer_store.transfer_by_id(conn, transfer_id)
        if row is None:
            raise TransferNotFound(transfer_id)
        return _view(row, self.registry.names(conn))
