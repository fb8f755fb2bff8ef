"""API keys: 128-bit random bearer tokens, stored only as keyed digests (policy 7.3.8).

A fast hash suits a 128-bit random secret (no dictionary to attack); passwords, which people
choose, get argon2 elsewhere. The digest is HMAC-SHA256 under a key derived from the site
secret, which lives outside the database (issue 13): someone who can write to the database
but holds no key cannot insert a row for a token of their choice, since they cannot compute
its digest.

Every row also carries a tag, HMAC(secret, scheme, id, digest, role, recipient), so that
an existing key cannot be given another role or recipient by editing its row either.

Keys issued before issue 13 are stored as plain SHA-256 (scheme ``sha256``). They keep
working until re-issued, but only when their row carries the tag, which the server writes
once, right after the migration (:meth:`ApiKeys.tag_legacy_once`); an untagged or wrongly
tagged row is refused. ``keys list`` shows them as needing re-issue.

Every change of a key's row (created, revoked, tagged) is audited here, in the caller's
transaction, with the row's digests (``audit/rows.py``), so ``audit verify`` names a row
inserted or edited behind the server's back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.audit.rows import inserted
from qorgau.errors import DomainError
from qorgau.security import store

PREFIX = "qg_"
#: Who changes keys when the caller names no one: the ``keys`` command.
KEYS_ACTOR = "cli:keys"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    kind = "unauthenticated"
    title = "Authentication required"


class UnknownRole(DomainError):
    code = "unknown-role"

    def __init__(self, role: str, roles: list[str]) -> None:
        super().__init__(f"unknown role '{role}'; roles: {', '.join(roles)}")


class KeyNotFound(DomainError):
    code = "key-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self, key_id: str) -> None:
        super().__init__(f"no API key '{key_id}'")


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    role: str
    name: str
    recipient: str | None = None


@dataclass(frozen=True, slots=True)
class KeyView:
    """A key as staff see it: never its token, nor its digest."""

    id: str
    role: str
    name: str
    recipient: str | None
    created_at: datetime
    revoked_at: datetime | None
    #: A legacy (unkeyed SHA-256) key: it works, but should be re-issued.
    reissue: bool = False


class ApiKeys:
    """Issues, checks, lists and revokes API keys, with digests keyed by ``secret`` (derived
    from the site secret, never stored in the database); every change audited."""

    def __init__(self, secret: bytes, audit: AuditLog) -> None:
        self._key = secret
        self.audit = audit

    def _digest(self, token: str) -> bytes:
        return hmac.digest(self._key, f"api-key\x00{token}".encode(), "sha256")

    def _tag(
        self, scheme: str, key_id: str, digest: bytes, role: str, recipient: str | None
    ) -> bytes:
        """Binds a row's scheme, id, digest, role and recipient (none of which holds NUL)."""
        fields = (scheme, key_id, digest.hex(), role, recipient or "")
        return hmac.digest(self._key, b"api-key-row\x00" + "\x00".join(fields).encode(), "sha256")

    def create_key(
        self,
        conn: Connection,
        role: str,
        name: str,
        recipient: str | None = None,
        *,
        actor: str = KEYS_ACTOR,
    ) -> tuple[ApiKey, str]:
        """Returns the key record and the token, which is shown once and never stored."""
        key_id = secrets.token_hex(4)
        token = PREFIX + key_id + "_" + secrets.token_urlsafe(16)
        digest = self._digest(token)
        tag = self._tag(store.SCHEME_HMAC, key_id, digest, role, recipient)
        row = store.insert_key(conn, key_id, digest, tag, role, name, datetime.now(UTC), recipient)
        detail: dict[str, object] = {"key": key_id, "role": role}
        if recipient is not None:
            detail["recipient"] = recipient
        detail["rows"] = inserted(row)
        self.audit.append(conn, Event("key.create", actor, detail=detail))
        return ApiKey(key_id, role, name, recipient), token

    def authenticate(self, conn: Connection, token: str) -> ApiKey:
        if not token.startswith(PREFIX):
            raise Unauthenticated("missing or malformed API key")
        keyed = self._digest(token)
        legacy = hashlib.sha256(token.encode()).digest()
        expected = {store.SCHEME_HMAC: keyed, store.SCHEME_SHA256: legacy}
        for key in store.keys_by_digest(conn, (keyed, legacy)):
            want = expected.get(key.scheme)
            if (
                key.revoked_at is None
                and want is not None
                and hmac.compare_digest(key.digest, want)
                and key.tag is not None
                and hmac.compare_digest(
                    key.tag, self._tag(key.scheme, key.id, key.digest, key.role, key.recipient)
                )
            ):
                return ApiKey(key.id, key.role, key.name, key.recipient)
        raise Unauthenticated("unknown or revoked API key")

    def list_keys(self, conn: Connection) -> list[KeyView]:
        return [
            KeyView(
                k.id, k.role, k.name, k.recipient, k.created_at, k.revoked_at,
                reissue=k.scheme != store.SCHEME_HMAC,
            )
            for k in store.keys(conn)
        ]  # fmt: skip

    def revoke_key(self, conn: Connection, key_id: str, *, actor: str = KEYS_ACTOR) -> bool:
        """Revoke a key (every process refuses it from the next request on: keys are not
        cached). False when it was revoked already; ``KeyNotFound`` for an unknown id."""
        which = store.api_key.c.id == key_id
        before = store.API_KEY_ROWS.digests(conn, which, lock=True)
        status = store.key_status(conn, key_id)
        if status is None:
            raise KeyNotFound(key_id)
        if status.revoked_at is not None:
            return False
        store.revoke_key(conn, key_id, datetime.now(UTC))
        rows = store.API_KEY_ROWS.changes(conn, before, which)
        self.audit.append(conn, Event("key.revoke", actor, detail={"key": key_id, "rows": rows}))
        return True

    def tag_legacy(self, conn: Connection, *, actor: str = KEYS_ACTOR) -> int:
        """Tag every untagged legacy (``sha256``) row so that it keeps working; the number
        tagged, audited (``key.legacy-tag``). Only :meth:`tag_legacy_once` should call it:
        tagging again later would bless rows an insider inserted since."""
        legacy = store.api_key.c.scheme == store.SCHEME_SHA256
        before = store.API_KEY_ROWS.digests(conn, legacy, lock=True)
        rows = store.untagged_legacy_keys(conn)
        for key_id, digest, role, recipient in rows:
            tag = self._tag(store.SCHEME_SHA256, key_id, digest, role, recipient)
            store.tag_key(conn, key_id, tag)
        changed = store.API_KEY_ROWS.changes(conn, before, legacy)
        detail = {"keys": len(rows), "rows": changed}
        self.audit.append(conn, Event("key.legacy-tag", actor, detail=detail))
        return len(rows)

    def tag_legacy_once(
        self, conn: Connection, marker: Path, *, actor: str = KEYS_ACTOR
    ) -> int | None:
        """Tag the legacy keys the first time the server runs after migration 0011, and
        never again: ``marker`` (a file next to the keyring, outside the database) records
        that it was done. None when it was done already.

        Residual window: a row an insider inserts between the migration and this first
        tagging (normally the same ``qorgau init`` run, seconds apart) would be tagged too.
        Once the marker exists, a later-inserted legacy row stays untagged and is refused.
        The marker is written before the transaction commits; should the commit fail, the
        legacy keys stay untagged (refused: re-issue them), never the other way round."""
        if marker.exists():
            return None
        tagged = self.tag_legacy(conn, actor=actor)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"legacy API keys tagged: {tagged}\n", encoding="utf-8")
        return tagged
