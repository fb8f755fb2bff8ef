"""The delivery queue as staff see it (the outbox: no payload, no personal value), a retry
of a dead letter, and withholding a queued lead the transfer rule now refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.errors import DomainError
from qorgau.security.access import AccessPolicy
from qorgau.security.actors import Actor
from qorgau.transfers.model import TransferNotFound, withheld
from qorgau.transfers.registry import require_manager
from qorgau.transfers.store import outbox, transfer


class InvalidDeliveryState(DomainError):
    code = "invalid-delivery-state"
    kind = "conflict"
    title = "Conflict"


def _aware(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class DeliveryQueue:
    def __init__(self, *, access: AccessPolicy, audit: AuditLog) -> None:
        self.access = access
        self.audit = audit

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
        require_manager(conn, self.access, self.audit, actor, "delivery.retry")
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
