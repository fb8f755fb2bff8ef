"""The registry's queries: recipients as they are now, every version as it was, and the
partners' webhook secrets (sealed; unwrapped by the registry, never here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, RowMapping, func, insert, select, update

from qorgau.db import aware
from qorgau.transfers.model import DeliveryMode, Kind, Recipient, agreement_doc, agreement_from
from qorgau.transfers.store import (
    partner_secret,
    recipient,
    recipient_version,
)

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
