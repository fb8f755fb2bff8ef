"""The recipient registry (policy 6.2): every entry versioned, kept and audited, with its
agreement; and the partners' webhook secrets (wrapped by the keyring, rotated with an
overlap so deliveries keep signing)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.audit.rows import changes
from qorgau.catalog import Catalogue
from qorgau.crypto.keyring import KeyProvider
from qorgau.security.access import AccessPolicy, Capability, OperationNotPermitted
from qorgau.security.actors import Actor
from qorgau.transfers.model import (
    DeliveryMode,
    InvalidRecipient,
    Kind,
    Recipient,
    RecipientNotFound,
    agreement_doc,
    agreement_from,
    validate_recipient,
)
from qorgau.transfers.store import (
    PARTNER_SECRET_ROWS,
    RECIPIENT_ROWS,
    partner_secret,
    recipient,
)
from qorgau.transfers.store import recipients as recipient_store
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
        "agreement": agreement_doc(r.agreement) if r.agreement else None,
        "active": r.active,
        "version": r.version,
    }


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
        which = recipient.c.code == entry.code
        before = RECIPIENT_ROWS.digests(conn, which, lock=True)
        current = recipient_store.recipient_version_of(conn, entry.code)
        version = 1 if current is None else current + 1
        saved = Recipient(**{**_fields_of(entry), "version": version})
        if current is None:
            recipient_store.insert_recipient(conn, saved, now)
        else:
            recipient_store.update_recipient(conn, saved, now)
        raw = orjson.dumps(recipient_doc(saved), option=orjson.OPT_SORT_KEYS)
        recipient_store.insert_recipient_version(
            conn, saved.code, version, raw.decode(), now, actor.id
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
                    "rows": RECIPIENT_ROWS.changes(conn, before, which),
                },
                at=now,
            ),
        )
        return saved

    def recipient(self, conn: Connection, code: str) -> Recipient:
        got = recipient_store.recipient_by_code(conn, code)
        if got is None:
            raise RecipientNotFound(code)
        return got

    def known(self, conn: Connection, codes: Sequence[str]) -> set[str]:
        """Which of ``codes`` are in the registry."""
        return recipient_store.known_codes(conn, codes)

    def recipients(self, conn: Connection) -> list[Recipient]:
        return recipient_store.all_recipients(conn)

    def versions(self, conn: Connection, code: str) -> list[dict[str, Any]]:
        out = [
            {"version": v.version, "at": v.at, "actor": v.actor, "entry": orjson.loads(v.doc)}
            for v in recipient_store.recipient_versions(conn, code)
        ]
        if not out:
            raise RecipientNotFound(code)
        return out

    def expiring(self, conn: Connection, on: date, days: int = 30) -> list[Recipient]:
        """Active recipients whose agreement ends within ``days`` of ``on`` (or has ended)."""
        return recipient_store.recipients_ending_before(conn, on + timedelta(days=days))

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
        which = partner_secret.c.recipient == code
        before = PARTNER_SECRET_ROWS.digests(conn, which, lock=True)
        recipient_store.retire_secrets(conn, code, now + overlap)
        raw = secrets.token_bytes(32)
        sid = secrets.token_hex(8)
        hold_kek(conn)  # rotation does not retire the KEK before this commits
        kek_id, sealed = self._keys.wrap(raw, f"partner-secret:{code}:{sid}")
        recipient_store.insert_secret(conn, sid, code, kek_id, sealed, now)
        rows = PARTNER_SECRET_ROWS.changes(conn, before, which)
        self.audit.append(
            conn,
            Event("recipient.secret", actor.id, detail={"role": actor.role, "recipient": code,
                                                        "secret": sid, "rows": rows}, at=now),
        )  # fmt: skip
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def rewrap_secrets(self, conn: Connection, actor_id: str = "cli:keys") -> int:
        """Move every webhook secret to the keyring's active KEK (``qorgau keys rotate``):
        after the old KEK retires, deliveries still sign. Audited (``key.rotate``) when
        any moved."""
        active = self._keys.active_kek_id
        which = partner_secret.c.kek_id != active
        before = PARTNER_SECRET_ROWS.digests(conn, which, lock=True)
        rows = recipient_store.secrets_not_under(conn, active)
        for sid, code, kek_id, sealed in rows:
            raw = self._keys.unwrap(kek_id, sealed, f"partner-secret:{code}:{sid}")
            new_kek, new_sealed = self._keys.wrap(raw, f"partner-secret:{code}:{sid}")
            recipient_store.rewrap_secret(conn, sid, new_kek, new_sealed)
        if rows:
            moved = partner_secret.c.id.in_([r.id for r in rows])
            detail = {
                "secrets": len(rows),
                "kek": active,
                "rows": changes(before, PARTNER_SECRET_ROWS.digests(conn, moved)),
            }
            self.audit.append(conn, Event("key.rotate", actor_id, detail=detail))
        return len(rows)

    def secret_kek_usage(self, conn: Connection) -> dict[str, int]:
        return recipient_store.secret_kek_usage(conn)

    def signing_secrets(self, conn: Connection, code: str, at: datetime) -> list[bytes]:
        """The secrets that sign deliveries to ``code`` at ``at``, newest first."""
        return [
            self._keys.unwrap(s.kek_id, s.sealed, f"partner-secret:{code}:{s.id}")
            for s in recipient_store.secrets_of(conn, code)
            if s.retires_at is None or s.retires_at > at
        ]

    def names(self, conn: Connection) -> dict[str, str]:
        return recipient_store.recipient_names(conn)


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
