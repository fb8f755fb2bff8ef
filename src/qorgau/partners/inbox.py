"""A partner's inbox (policy 6.6-6.7): the leads addressed to it, each opened by the gate as
a disclosure to it now (the rule refusing withholds it); its acknowledgement; the outcome
it reports, which recategorises the person (policy 3.3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.errors import DomainError
from qorgau.security import actors
from qorgau.transfers.delivery import payload_matches
from qorgau.transfers.model import OUTCOMES, InvalidOutcome, TransferView, refusal_code
from qorgau.transfers.queue import DeliveryQueue
from qorgau.transfers.rule import TransferRule
from qorgau.transfers.service import ROUTER, Transfers
from qorgau.transfers.store import OUTBOX_ROWS, outbox
from qorgau.transfers.store import deliveries as delivery_store
from qorgau.transfers.store.deliveries import PartnerTransfer
from qorgau.vault.gate import Gate
from qorgau.vault.model import Status


class NotAPartnerTransfer(DomainError):
    """A partner asked about a transfer that is not addressed to it (same answer as unknown)."""

    code = "transfer-not-found"
    kind = "not_found"
    title = "Not found"


class PartnerInbox:
    def __init__(
        self,
        *,
        gate: Gate,
        rule: TransferRule,
        transfers: Transfers,
        queue: DeliveryQueue,
        audit: AuditLog,
    ) -> None:
        self.gate = gate
        self.rule = rule
        self.transfers = transfers
        self.queue = queue
        self.audit = audit

    def _partner_row(self, conn: Connection, code: str, transfer_id: str) -> PartnerTransfer:
        row = delivery_store.partner_transfer(conn, code, transfer_id)
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
        rows = delivery_store.pending_pulls(conn, code, limit)
        now = datetime.now(UTC)
        out = []
        partner = actors.partner(code)
        with self.rule.prefetched(conn, [r.subject_id for r in rows], [code], now):
            for oid, tid, sid, payload, purpose, fields in rows:
                if payload is None:
                    continue
                try:
                    doc = orjson.loads(
                        self.gate.open_extra(
                            conn, partner, sid, f"outbox:{tid}", payload,
                            purpose=purpose, fields=orjson.loads(fields), recipient=code,
                        )
                    )  # fmt: skip
                except DomainError as exc:
                    self.queue.withhold(conn, partner, oid, tid, sid, code, refusal_code(exc), now)
                    continue
                wanted = orjson.loads(fields)
                if not payload_matches(doc, transfer_id=tid, recipient=code, purpose=purpose,
                                       fields=wanted):  # fmt: skip
                    self.queue.withhold(conn, partner, oid, tid, sid, code, "payload-mismatch", now)
                    continue
                out.append(doc)
                delivery_store.mark_fetched(conn, tid, now)
                self.audit.append(
                    conn,
                    Event("transfer.fetched", partner.id, subject_id=sid,
                          detail={"role": partner.role, "transfer": tid, "recipient": code,
                                  "outbox": oid}, at=now),
                )  # fmt: skip
        return out

    def acknowledge(self, conn: Connection, code: str, transfer_id: str) -> TransferView:
        """The partner confirms receipt: the lead leaves its queue (idempotent)."""
        row = self._partner_row(conn, code, transfer_id)
        if row.status not in ("acknowledged",):
            now = datetime.now(UTC)
            which = outbox.c.transfer_id == transfer_id
            before = OUTBOX_ROWS.digests(conn, which, lock=True)
            delivery_store.acknowledge(conn, transfer_id, now)
            rows = OUTBOX_ROWS.changes(conn, before, which)
            self.audit.append(
                conn,
                Event("transfer.acknowledged", actors.partner(code).id, subject_id=row.subject_id,
                      detail={"transfer": transfer_id, "recipient": code, "rows": rows},
                      at=now),
            )  # fmt: skip
        return self.transfers.get(conn, transfer_id)

    def report_outcome(
        self, conn: Connection, code: str, transfer_id: str, outcome: str
    ) -> TransferView:
        """The partner reports what came of the lead; a refusal makes the person a refused
        borrower, an issued loan a client through the operator (policy 3.3)."""
        if outcome not in OUTCOMES:
            raise InvalidOutcome(outcome)
        row = self._partner_row(conn, code, transfer_id)
        now = datetime.now(UTC)
        delivery_store.set_outcome(conn, transfer_id, outcome, now)
        self.audit.append(
            conn,
            Event("transfer.outcome", actors.partner(code).id, subject_id=row.subject_id,
                  detail={"transfer": transfer_id, "recipient": code, "outcome": outcome},
                  at=now),
        )  # fmt: skip
        category = OUTCOMES[outcome]
        sid = row.subject_id
        if category is not None and self.gate.subject_status(conn, sid) is Status.ACTIVE:
            self.gate.recategorise(conn, ROUTER, sid, category, f"outcome {outcome} from {code}")
        return self.transfers.get(conn, transfer_id)
