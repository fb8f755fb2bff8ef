"""The recipient registry (policy 6.2): every entry versioned, kept and audited, with its
agreement; and the partners' webhook secrets (wrapped by the keyring, rotated with an
overlap so deliveries keep signing)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select, update

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.catalog import Catalogue
from qorgau.crypto.keyring import KeyProvider
from qorgau.security.access import AccessPolicy, Capability, OperationNotPermitted
from qorgau.security.actors import Actor
from qorgau.transfers.model import (
    Agreement,
    DeliveryMode,
    InvalidRecipient,
    Kind,
    Recipient,
    RecipientNotFound,
    validate_recipient,
)
from qorgau.transfers.store import partner_secret, recipient, recipient_version
from qorgau.vault.keys import hold_kek

#: How long a rotated-out webhook secret keeps signing.
SECRET_OVERLAP = timedelta(hours=24)


def require_manager(
    conn: Connection, access: AccessPolicy, audit: AuditLog, actor: Actor, what: str
) -> None:
    """Registry changes, manual transfers, state-body requests and delivery retries need a
    role that may manage the policy (DPO, admin); a refusal is audited."""
    if access.may(actor.role, Capability.MANAGE_RECIPIENTS):
        return
    audit.append(
        conn,
        Event("refuse", actor.id, detail={"role": actor.role, "op": what,
                                          "code": "operation-not-permitted"}),
    )  # fmt: skip
    raise OperationNotPermitted(actor.role, what)


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


def recipient_row(row: Any) -> Recipient:
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


class Registry:
    """Recipients as they are now and as they were (every version), and their secrets."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        access: AccessPolicy,
        audit: AuditLog,
        keys: KeyProvider,
        home_country: str,
        allow_loopback_webhooks: bool = False,
    ) -> None:
        self.catalogue = catalogue
        self.access = access
        self.audit = audit
        self._keys = keys
        self.home_country = home_country
        self.allow_loopback_webhooks = allow_loopback_webhooks

    def _require(self, conn: Connection, actor: Actor, what: str) -> None:
        require_manager(conn, self.access, self.audit, actor, what)

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
        return recipient_row(row)

    def known(self, conn: Connection, codes: Sequence[str]) -> set[str]:
        """Which of ``codes`` are in the registry."""
        rows = conn.execute(select(recipient.c.code).where(recipient.c.code.in_(list(codes))))
        return {str(r[0]) for r in rows}

    def recipients(self, conn: Connection) -> list[Recipient]:
        rows = conn.execute(select(recipient).order_by(recipient.c.code)).mappings()
        return [recipient_row(r) for r in rows]

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
        return [recipient_row(r) for r in rows]

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

    def names(self, conn: Connection) -> dict[str, str]:
        return {r[0]: r[1] for r in conn.execute(select(recipient.c.code, recipient.c.legal_name))}


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
