"""Transfers' queries: a transfer recorded with its outbox row and its notice, the
transfer log, the notices due, state-body requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

import orjson
from sqlalchemy import Connection, RowMapping, insert, select, update

from qorgau.db import aware
from qorgau.transfers.model import Recipient
from qorgau.transfers.store import (
    OUTBOX_ROWS,
    outbox,
    state_request,
    transfer,
    transfer_notice,
)

# -- transfers, their outbox rows and notices ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransferRow:
    id: str
    subject_id: str
    recipient: str
    recipient_version: int
    purpose: str
    fields: tuple[str, ...]
    basis_kind: str
    basis_ref: str
    lead: str | None
    state_request: str | None
    at: datetime
    actor: str
    status: str
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    outcome: str | None
    outcome_at: datetime | None


def _transfer(row: RowMapping) -> TransferRow:
    return TransferRow(
        id=row["id"],
        subject_id=row["subject_id"],
        recipient=row["recipient"],
        recipient_version=int(row["recipient_version"]),
        purpose=row["purpose"],
        fields=tuple(orjson.loads(row["fields"])),
        basis_kind=row["basis_kind"],
        basis_ref=row["basis_ref"],
        lead=row["lead"],
        state_request=row["state_request"],
        at=aware(row["at"]) or datetime.now(UTC),
        actor=row["actor"],
        status=row["status"],
        delivered_at=aware(row["delivered_at"]),
        acknowledged_at=aware(row["acknowledged_at"]),
        outcome=row["outcome"],
        outcome_at=aware(row["outcome_at"]),
    )


def insert_transfer(
    conn: Connection,
    *,
    tid: str,
    subject_id: str,
    to: Recipient,
    purpose: str,
    fields: Sequence[str],
    basis_kind: str,
    basis_ref: str,
    lead: str | None,
    state_request_id: str | None,
    at: datetime,
    actor: str,
    status: str,
) -> None:
    conn.execute(
        insert(transfer).values(
            id=tid,
            subject_id=subject_id,
            recipient=to.code,
            recipient_version=to.version,
            purpose=purpose,
            fields=orjson.dumps(list(fields)).decode(),
            basis_kind=basis_kind,
            basis_ref=basis_ref,
            lead=lead,
            state_request=state_request_id,
            at=at,
            actor=actor,
            status=status,
        )
    )


def insert_outbox(
    conn: Connection, tid: str, code: str, subject_id: str, sealed: bytes, now: datetime
) -> tuple[str, str]:
    """The delivery row of a transfer, pending and due now (its idempotency key: the id);
    returns its key and digest (:data:`OUTBOX_ROWS`), for its audit event."""
    values = {
        "transfer_id": tid,
        "recipient": code,
        "subject_id": subject_id,
        "idempotency_key": tid,
        "payload": sealed,
        "status": "pending",
        "created_at": now,
        "done_at": None,
    }
    conn.execute(insert(outbox).values(attempts=0, next_at=now, **values))
    return OUTBOX_ROWS.entry(values)


def insert_notice(conn: Connection, tid: str, subject_id: str, due_at: datetime) -> None:
    conn.execute(insert(transfer_notice).values(transfer_id=tid, subject_id=subject_id,
                                                due_at=due_at))  # fmt: skip


def transfers_of(conn: Connection, subject_id: str) -> list[TransferRow]:
    rows = conn.execute(
        select(transfer).where(transfer.c.subject_id == subject_id).order_by(transfer.c.at)
    ).mappings()
    return [_transfer(r) for r in rows]


def transfer_by_id(conn: Connection, tid: str) -> TransferRow | None:
    row = conn.execute(select(transfer).where(transfer.c.id == tid)).mappings().first()
    return None if row is None else _transfer(row)


def insert_state_request(
    conn: Connection,
    rid: str,
    *,
    body: str,
    reference: str,
    legal_ground: str,
    received_on: date,
    at: datetime,
    actor: str,
) -> None:
    conn.execute(
        insert(state_request).values(
            id=rid, recipient=body, reference=reference, legal_ground=legal_ground,
            received_on=received_on, at=at, actor=actor,
        )
    )  # fmt: skip


class NoticeDue(NamedTuple):
    transfer_id: str
    subject_id: str


def notices_due(conn: Connection, limit: int) -> list[NoticeDue]:
    """Notices not sent yet, earliest deadline first."""
    n = transfer_notice.c
    rows = conn.execute(
        select(n.transfer_id, n.subject_id)
        .where(n.sent_at.is_(None))
        .order_by(n.due_at)
        .limit(limit)
    )
    return [NoticeDue(str(tid), str(sid)) for tid, sid in rows]


def mark_notice_sent(conn: Connection, tid: str, at: datetime, channel: str | None) -> None:
    conn.execute(
        update(transfer_notice)
        .where(transfer_notice.c.transfer_id == tid)
        .values(sent_at=at, channel=channel)
    )
