"""The delivery queue as staff see it (the outbox: no payload, no personal value), a retry
of a dead letter, and withholding a queued lead the transfer rule now refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.errors import DomainError
from qorgau.security.access import AccessPolicy
from qorgau.security.actors import Actor
from qorgau.transfers.delivery import withheld
from qorgau.transfers.model import TransferNotFound
from qorgau.transfers.registry import require_manager
from qorgau.transfers.store import OUTBOX_ROWS, outbox
from qorgau.transfers.store import deliveries as delivery_store


class InvalidDeliveryState(DomainError):
    code = "invalid-delivery-state"
    kind = "conflict"
    title = "Conflict"


class DeliveryQueue:
    def __init__(self, *, access: AccessPolicy, audit: AuditLog) -> None:
        self.access = access
        self.audit = audit

    def deliveries(
        self, conn: Connection, status: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        """The outbox as staff see it (no payload, no personal value): failures and dead
        letters first when no status is given."""
        return [r._asdict() for r in delivery_store.deliveries(conn, status, limit)]

    def retry(self, conn: Connection, actor: Actor, transfer_id: str) -> None:
        """Put a dead-lettered delivery back in the queue, due now (staff action, audited)."""
        require_manager(conn, self.access, self.audit, actor, "delivery.retry")
        which = outbox.c.transfer_id == transfer_id
        before = OUTBOX_ROWS.digests(conn, which, lock=True)
        row = delivery_store.outbox_state(conn, transfer_id)
        if row is None:
            raise TransferNotFound(transfer_id)
        if row.status != "dead":
            raise InvalidDeliveryState(f"delivery of {transfer_id} is {row.status}, not dead")
        now = datetime.now(UTC)
        delivery_store.requeue(conn, transfer_id, now)
        rows = OUTBOX_ROWS.changes(conn, before, which)
        self.audit.append(
            conn,
            Event("transfer.retry", actor.id, subject_id=row.subject_id,
                  detail={"role": actor.role, "transfer": transfer_id,
                          "recipient": row.recipient, "rows": rows}, at=now),
        )  # fmt: skip

    def withhold(
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
        which = outbox.c.transfer_id == tid
        before = OUTBOX_ROWS.digests(conn, which, lock=True)
        delivery_store.withhold(
            conn, oid, tid, reason, now, keep_payload=keep, transfer_status=status
        )
        rows = OUTBOX_ROWS.changes(conn, before, which)
        self.audit.append(
            conn,
            Event("transfer.dead", actor.id, subject_id=sid,
                  detail={"role": actor.role, "transfer": tid, "recipient": code,
                          "error": reason, "rows": rows}, at=now),
        )  # fmt: skip
