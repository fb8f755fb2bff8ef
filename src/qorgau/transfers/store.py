"""Transfer tables: the recipient registry and its versions, partner secrets, transfers,
the delivery outbox, transfer notices, and state-body requests; and every query on them,
each returning typed records (no decision is taken here).

It stays one module past 400 lines because it is the context's whole storage: seven tables
and the statements that touch them side by side, so a change to a column shows every query
it affects; it holds no rule.

Nothing here holds a personal value in clear: an outbox payload is sealed under the
subject's data key (so crypto-shredding the subject shreds its undelivered leads too), and
a partner's webhook secret is sealed under a key derived from the keyring.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    LargeBinary,
    RowMapping,
    String,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    update,
)

from qorgau.db import Instant, metadata
from qorgau.transfers.model import DeliveryMode, Kind, Recipient, agreement_doc, agreement_from

_ID = BigInteger().with_variant(Integer, "sqlite")

recipient = Table(
    "recipient",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("legal_name", String(300), nullable=False),
    Column("bin", String(12), nullable=True),
    Column("country", String(2), nullable=False),
    Column("contacts", Text, nullable=False),  # JSON object: the organisation's contacts
    Column("delivery", String(8), nullable=False),
    Column("endpoint", String(500), nullable=True),
    Column("agreement", Text, nullable=True),  # JSON: the policy 6.2 fields
    Column("valid_until", Date, nullable=True),  # the agreement's, for the expiry listing
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", Instant(), nullable=False),
)

# Every version of every registry entry, as it was (policy 6.2: agreements are evidence).
recipient_version = Table(
    "recipient_version",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("doc", Text, nullable=False),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
)

partner_secret = Table(
    "partner_secret",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("recipient", String(40), nullable=False, index=True),
    Column("kek_id", String(32), nullable=False),
    Column("sealed", LargeBinary, nullable=False),  # wrapped by the keyring's KEK
    Column("created_at", Instant(), nullable=False),
    # A rotated-out secret keeps signing until then, so the partner can switch over.
    Column("retires_at", Instant(), nullable=True),
)

transfer = Table(
    "transfer",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_id", String(32), nullable=False),
    Column("recipient", String(40), nullable=False),
    Column("recipient_version", Integer, nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("fields", Text, nullable=False),  # JSON list of field names, never values
    Column("basis_kind", String(8), nullable=False),  # consent | law
    Column("basis_ref", String(300), nullable=False),  # consent id or legal ground
    Column("lead", String(32), nullable=True),
    Column("state_request", String(32), nullable=True),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
    # queued -> delivered (webhook 2xx) | fetched (pull) -> acknowledged; dead after retries;
    # disclosed: handed over outside the outbox (a state body's request); withheld: the
    # rule stopped it before it left (subject destroyed, consent withdrawn).
    Column("status", String(12), nullable=False),
    Column("delivered_at", Instant(), nullable=True),
    Column("acknowledged_at", Instant(), nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("outcome_at", Instant(), nullable=True),
    Index("ix_transfer_subject", "subject_id", "at"),
    Index("ix_transfer_recipient_status", "recipient", "status"),
)

# The transactional outbox: written in the transaction that records the transfer.
outbox = Table(
    "outbox",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("transfer_id", String(32), nullable=False, unique=True),
    Column("recipient", String(40), nullable=False),
    Column("subject_id", String(32), nullable=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("payload", LargeBinary, nullable=True),  # sealed under the subject's key
    # pending -> delivered | dead; pull: pending until fetched.
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_at", Instant(), nullable=False),
    Column("last_error", String(200), nullable=True),  # a status code or error class only
    Column("created_at", Instant(), nullable=False),
    Column("done_at", Instant(), nullable=True),
    Index("ix_outbox_due", "status", "next_at"),
)

# Notices owed to subjects whose consent promises them (LAW.md Art. 19: 10 working days).
transfer_notice = Table(
    "transfer_notice",
    metadata,
    Column("transfer_id", String(32), primary_key=True),
    Column("subject_id", String(32), nullable=False),
    Column("due_at", Instant(), nullable=False),
    Column("sent_at", Instant(), nullable=True),
    Column("channel", String(8), nullable=True),
    Index("ix_transfer_notice_due", "sent_at", "due_at"),
)

state_request = Table(
    "state_request",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("recipient", String(40), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("legal_ground", String(500), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("at", Instant(), nullable=False),
    Column("actor", String(80), nullable=False),
)


def aware(dt: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back naive ones)."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# -- the recipient registry ---------------------------------------------------------------------


def _recipient(row: RowMapping) -> Recipient:
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


def _recipient_values(r: Recipient, now: datetime) -> dict[str, Any]:
    a = r.agreement
    return {
        "kind": r.kind.value,
        "legal_name": r.legal_name,
        "bin": r.bin,
        "country": r.country,
        "contacts": orjson.dumps(dict(r.contacts)).decode(),
        "delivery": r.delivery.value,
        "endpoint": r.endpoint,
        "agreement": orjson.dumps(agreement_doc(a)).decode() if a else None,
        "valid_until": a.valid_until if a else None,
        "active": r.active,
        "version": r.version,
        "updated_at": now,
    }


def recipient_version_of(conn: Connection, code: str) -> int | None:
    """The current version of a registry entry, or ``None`` for a new code."""
    got = conn.execute(
        select(recipient.c.version).where(recipient.c.code == code)
    ).scalar_one_or_none()
    return None if got is None else int(got)


def insert_recipient(conn: Connection, r: Recipient, now: datetime) -> None:
    conn.execute(insert(recipient).values(code=r.code, **_recipient_values(r, now)))


def update_recipient(conn: Connection, r: Recipient, now: datetime) -> None:
    conn.execute(
        update(recipient).where(recipient.c.code == r.code).values(**_recipient_values(r, now))
    )


def insert_recipient_version(
    conn: Connection, code: str, version: int, doc: str, at: datetime, actor: str
) -> None:
    conn.execute(
        insert(recipient_version).values(code=code, version=version, doc=doc, at=at, actor=actor)
    )


def recipient_by_code(conn: Connection, code: str) -> Recipient | None:
    row = conn.execute(select(recipient).where(recipient.c.code == code)).mappings().first()
    return None if row is None else _recipient(row)


def recipients_by_codes(conn: Connection, codes: Sequence[str]) -> list[Recipient]:
    """The registry entries of ``codes`` (pass them sorted: one statement for the batch)."""
    rows = conn.execute(select(recipient).where(recipient.c.code.in_(list(codes))))
    return [_recipient(r) for r in rows.mappings()]


def known_codes(conn: Connection, codes: Sequence[str]) -> set[str]:
    rows = conn.execute(select(recipient.c.code).where(recipient.c.code.in_(list(codes))))
    return {str(code) for (code,) in rows}


def all_recipients(conn: Connection) -> list[Recipient]:
    rows = conn.execute(select(recipient).order_by(recipient.c.code)).mappings()
    return [_recipient(r) for r in rows]


def recipients_ending_before(conn: Connection, limit: date) -> list[Recipient]:
    """Active entries whose agreement ends before ``limit``, soonest first."""
    rows = conn.execute(
        select(recipient)
        .where(recipient.c.active.is_(True), recipient.c.valid_until < limit)
        .order_by(recipient.c.valid_until)
    ).mappings()
    return [_recipient(r) for r in rows]


def recipient_names(conn: Connection) -> dict[str, str]:
    rows = conn.execute(select(recipient.c.code, recipient.c.legal_name))
    return {code: name for code, name in rows}


@dataclass(frozen=True, slots=True)
class RecipientVersion:
    version: int
    at: datetime | None
    actor: str
    doc: str  # the entry as it was, JSON


def recipient_versions(conn: Connection, code: str) -> list[RecipientVersion]:
    rows = conn.execute(
        select(recipient_version)
        .where(recipient_version.c.code == code)
        .order_by(recipient_version.c.version)
    ).mappings()
    return [RecipientVersion(r["version"], aware(r["at"]), r["actor"], r["doc"]) for r in rows]


# -- partner secrets ----------------------------------------------------------------------------


class SealedSecret(NamedTuple):
    id: str
    recipient: str
    kek_id: str
    sealed: bytes


class SigningSecret(NamedTuple):
    id: str
    kek_id: str
    sealed: bytes
    retires_at: datetime | None


def retire_secrets(conn: Connection, code: str, at: datetime) -> None:
    """Every live secret of ``code`` stops signing at ``at``."""
    s = partner_secret.c
    conn.execute(
        update(partner_secret)
        .where(s.recipient == code, s.retires_at.is_(None))
        .values(retires_at=at)
    )


def insert_secret(
    conn: Connection, sid: str, code: str, kek_id: str, sealed: bytes, now: datetime
) -> None:
    conn.execute(
        insert(partner_secret).values(
            id=sid, recipient=code, kek_id=kek_id, sealed=sealed, created_at=now
        )
    )


def secrets_not_under(conn: Connection, kek_id: str) -> list[SealedSecret]:
    s = partner_secret.c
    rows = conn.execute(select(s.id, s.recipient, s.kek_id, s.sealed).where(s.kek_id != kek_id))
    return [SealedSecret(sid, code, kek, bytes(sealed)) for sid, code, kek, sealed in rows]


def rewrap_secret(conn: Connection, sid: str, kek_id: str, sealed: bytes) -> None:
    conn.execute(
        update(partner_secret)
        .where(partner_secret.c.id == sid)
        .values(kek_id=kek_id, sealed=sealed)
    )


def secret_kek_usage(conn: Connection) -> dict[str, int]:
    s = partner_secret.c
    rows = conn.execute(select(s.kek_id, func.count()).group_by(s.kek_id))
    return {str(k): int(n) for k, n in rows}


def secrets_of(conn: Connection, code: str) -> list[SigningSecret]:
    """Every secret of ``code``, newest first."""
    s = partner_secret.c
    rows = conn.execute(
        select(s.id, s.kek_id, s.sealed, s.retires_at)
        .where(s.recipient == code)
        .order_by(s.created_at.desc())
    )
    return [
        SigningSecret(sid, kek, bytes(sealed), aware(until)) for sid, kek, sealed, until in rows
    ]


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
) -> None:
    """The delivery row of a transfer, pending and due now (its idempotency key: the id)."""
    conn.execute(
        insert(outbox).values(
            transfer_id=tid,
            recipient=code,
            subject_id=subject_id,
            idempotency_key=tid,
            payload=sealed,
            status="pending",
            attempts=0,
            next_at=now,
            created_at=now,
        )
    )


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
