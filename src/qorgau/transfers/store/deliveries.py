"""The outbox's queries: the delivery queue as staff see it (no payload), a partner's pull
inbox, and the dispatcher's batch statements (claim and lease, then record in bulk with
``executemany``: a statement per kind of outcome, whatever the batch size)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, select, update

from qorgau.db import aware
from qorgau.transfers.model import DeliveryMode
from qorgau.transfers.store import (
    outbox,
    recipient,
    transfer,
)

# -- the delivery queue as staff see it ----------------------------------------------------------


class DeliveryRow(NamedTuple):
    """An outbox row without its payload, with its transfer's lead and status."""

    id: int
    transfer_id: str
    recipient: str
    status: str
    attempts: int
    next_at: datetime | None
    last_error: str | None
    created_at: datetime | None
    done_at: datetime | None
    lead: str | None
    transfer_status: str


def deliveries(conn: Connection, status: str | None, limit: int) -> list[DeliveryRow]:
    """Failures and dead letters first, then the newest."""
    o = outbox.c
    q = select(
        o.id, o.transfer_id, o.recipient, o.status, o.attempts, o.next_at, o.last_error,
        o.created_at, o.done_at, transfer.c.lead, transfer.c.status.label("transfer_status"),
    ).join(transfer, transfer.c.id == o.transfer_id)  # fmt: skip
    if status is not None:
        q = q.where(o.status == status)
    q = q.order_by((o.status == "dead").desc(), o.attempts.desc(), o.id.desc()).limit(limit)
    return [
        DeliveryRow(oid, tid, code, st, attempts, aware(next_at), error, aware(created),
                    aware(done), lead, tst)
        for oid, tid, code, st, attempts, next_at, error, created, done, lead, tst
        in conn.execute(q)
    ]  # fmt: skip


class OutboxState(NamedTuple):
    status: str
    subject_id: str
    recipient: str


def outbox_state(conn: Connection, tid: str) -> OutboxState | None:
    o = outbox.c
    row = conn.execute(
        select(o.status, o.subject_id, o.recipient).where(o.transfer_id == tid)
    ).first()
    if row is None:
        return None
    status, subject_id, code = row
    return OutboxState(status, subject_id, code)


def requeue(conn: Connection, tid: str, now: datetime) -> None:
    """A delivery back in the queue, due ``now``, attempts from zero; its transfer queued."""
    conn.execute(
        update(outbox)
        .where(outbox.c.transfer_id == tid)
        .values(status="pending", attempts=0, next_at=now, last_error=None)
    )
    conn.execute(update(transfer).where(transfer.c.id == tid).values(status="queued"))


def withhold(
    conn: Connection,
    oid: int,
    tid: str,
    error: str,
    now: datetime,
    *,
    keep_payload: bool,
    transfer_status: str,
) -> None:
    """A pending delivery dead-lettered (its payload cleared unless kept) and its queued or
    fetched transfer given ``transfer_status``."""
    values: dict[str, Any] = {"status": "dead", "last_error": error, "done_at": now}
    if not keep_payload:
        values["payload"] = None
    conn.execute(
        update(outbox).where(outbox.c.id == oid, outbox.c.status == "pending").values(**values)
    )
    conn.execute(
        update(transfer)
        .where(transfer.c.id == tid, transfer.c.status.in_(("queued", "fetched")))
        .values(status=transfer_status)
    )


# -- a partner's pull inbox -----------------------------------------------------------------------


class PullRow(NamedTuple):
    oid: int
    transfer_id: str
    subject_id: str
    payload: bytes | None
    purpose: str
    fields: str  # JSON list of field names


def pending_pulls(conn: Connection, code: str, limit: int) -> list[PullRow]:
    """Pending outbox rows addressed to ``code`` whose transfer is queued or fetched."""
    t = transfer.c
    rows = conn.execute(
        select(outbox.c.id, outbox.c.transfer_id, outbox.c.subject_id, outbox.c.payload,
               t.purpose, t.fields)
        .join(transfer, t.id == outbox.c.transfer_id)
        .where(outbox.c.recipient == code, outbox.c.status == "pending",
               t.status.in_(("queued", "fetched")))
        .order_by(outbox.c.id)
        .limit(limit)
    )  # fmt: skip
    return [
        PullRow(oid, tid, sid, None if payload is None else bytes(payload), purpose, fields)
        for oid, tid, sid, payload, purpose, fields in rows
    ]


def mark_fetched(conn: Connection, tid: str, now: datetime) -> None:
    conn.execute(
        update(transfer)
        .where(transfer.c.id == tid, transfer.c.status == "queued")
        .values(status="fetched", delivered_at=now)
    )


class PartnerTransfer(NamedTuple):
    id: str
    subject_id: str
    status: str
    outcome: str | None


def partner_transfer(conn: Connection, code: str, tid: str) -> PartnerTransfer | None:
    """The transfer ``tid`` if it is addressed to ``code``."""
    t = transfer.c
    row = conn.execute(
        select(t.id, t.subject_id, t.status, t.outcome).where(t.id == tid, t.recipient == code)
    ).first()
    if row is None:
        return None
    got_id, subject_id, status, outcome = row
    return PartnerTransfer(got_id, subject_id, status, outcome)


def acknowledge(conn: Connection, tid: str, now: datetime) -> None:
    """The transfer acknowledged; its delivery, if still pending, done (payload cleared)."""
    conn.execute(
        update(transfer)
        .where(transfer.c.id == tid)
        .values(status="acknowledged", acknowledged_at=now)
    )
    conn.execute(
        update(outbox)
        .where(outbox.c.transfer_id == tid, outbox.c.status == "pending")
        .values(status="delivered", done_at=now, payload=None)
    )


def set_outcome(conn: Connection, tid: str, outcome: str, now: datetime) -> None:
    conn.execute(
        update(transfer).where(transfer.c.id == tid).values(outcome=outcome, outcome_at=now)
    )


# -- the dispatcher's batch statements -------------------------------------------------------------


class Claimed(NamedTuple):
    oid: int
    transfer_id: str
    subject_id: str
    recipient: str
    idempotency_key: str
    attempts: int
    payload: bytes | None
    endpoint: str | None
    purpose: str
    fields: str  # JSON list of field names


def due_webhook_rows(conn: Connection, at: datetime, limit: int) -> list[Claimed]:
    """Pending outbox rows of webhook partners due at ``at``, oldest first; locked (``FOR
    UPDATE SKIP LOCKED`` on PostgreSQL) so several workers share the queue."""
    o = outbox.c
    q = (
        select(o.id, o.transfer_id, o.subject_id, o.recipient, o.idempotency_key,
               o.attempts, o.payload, recipient.c.endpoint, transfer.c.purpose,
               transfer.c.fields)
        .join(recipient, recipient.c.code == o.recipient)
        .join(transfer, transfer.c.id == o.transfer_id)
        .where(o.status == "pending", o.next_at <= at,
               recipient.c.delivery == DeliveryMode.WEBHOOK.value)
        .order_by(o.next_at, o.id)
        .limit(limit)
    )  # fmt: skip
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(of=outbox, skip_locked=True)
    return [Claimed._make(r) for r in conn.execute(q)]


def lease(conn: Connection, oids: Iterable[int], until: datetime) -> None:
    """Claimed rows: one more attempt, invisible to other workers until ``until``."""
    conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(list(oids)))
        .values(attempts=outbox.c.attempts + 1, next_at=until)
    )


def mark_delivered(
    conn: Connection, oids: Sequence[int], tids: Sequence[str], at: datetime
) -> None:
    """Delivered rows lose their payload; their queued transfers become delivered."""
    o = outbox.c
    conn.execute(
        update(outbox)
        .where(o.id == bindparam("oid"), o.status == "pending")
        .values(status="delivered", done_at=at, payload=None, last_error=None),
        [{"oid": oid} for oid in oids],
    )
    conn.execute(
        update(transfer)
        .where(transfer.c.id == bindparam("tid"), transfer.c.status == "queued")
        .values(status="delivered", delivered_at=at),
        [{"tid": tid} for tid in tids],
    )


class Retry(NamedTuple):
    oid: int
    attempt: int
    next_at: datetime
    error: str


def reschedule(conn: Connection, retries: Sequence[Retry]) -> None:
    """Failed rows due again later; only the lease holder's attempt is recorded (a re-claim
    after the lease expired bumped ``attempts``)."""
    o = outbox.c
    conn.execute(
        update(outbox)
        .where(o.id == bindparam("oid"), o.status == "pending", o.attempts == bindparam("att"))
        .values(next_at=bindparam("next"), last_error=bindparam("err")),
        [{"oid": r.oid, "att": r.attempt, "next": r.next_at, "err": r.error} for r in retries],
    )


def mark_dead(conn: Connection, rows: Sequence[tuple[int, str]], *, clear_payload: bool) -> None:
    """Pending rows (outbox id, error code) dead-lettered, their payload cleared or kept."""
    o = outbox.c
    values: dict[str, Any] = {"payload": None} if clear_payload else {}
    conn.execute(
        update(outbox)
        .where(o.id == bindparam("oid"), o.status == "pending")
        .values(status="dead", last_error=bindparam("err"), **values),
        [{"oid": oid, "err": err} for oid, err in rows],
    )


def set_queued_status(conn: Connection, rows: Sequence[tuple[str, str]]) -> None:
    """Queued transfers (transfer id, new status) given their new status."""
    conn.execute(
        update(transfer)
        .where(transfer.c.id == bindparam("tid"), transfer.c.status == "queued")
        .values(status=bindparam("st")),
        [{"tid": tid, "st": st} for tid, st in rows],
    )
