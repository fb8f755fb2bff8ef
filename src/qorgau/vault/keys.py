"""Key rotation: re-wrap data keys under a new key-encryption key (DESIGN 4, 10).

Values are never re-encrypted and never decrypted here: only the small data keys are
unwrapped and wrapped again. Reads keep working throughout, because the keyring keeps the
old KEK until every data key has moved; batches are short transactions. The data keys of
submissions still waiting for their one-time code (``vault/pending.py``) move too.

No KEK is retired while an uncommitted transaction may have wrapped a key under it: every
transaction that wraps holds :func:`hold_kek` (a shared advisory lock on PostgreSQL) until it
ends, and rotation takes the same lock exclusively (:func:`drain_kek_users`) before its last
sweep. On SQLite the single writer lock already excludes every other transaction. A revoked
(crypto-shredded) subject, e.g. in a restored copy of the database, is skipped: its key can
no longer be unwrapped, and it must not stop a rotation.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.crypto.keyring import KeyProvider
from qorgau.vault import pending
from qorgau.vault.store import keys as store

#: ``pg_advisory_xact_lock(space, 1)``: ASCII "QgKK", apart from the other advisory locks.
_SPACE = 0x51674B4B


def hold_kek(conn: Connection) -> None:
    """Called by a transaction before it wraps a key: rotation waits for it to end."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock_shared(:s, 1)"), {"s": _SPACE})


def drain_kek_users(conn: Connection) -> None:
    """Wait until every transaction that holds :func:`hold_kek` has ended (held until this
    one ends; new wrapping transactions wait meanwhile)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:s, 1)"), {"s": _SPACE})


@dataclass(frozen=True, slots=True)
class Batch:
    moved: int
    skipped: int  # revoked subjects
    last: str | None  # the cursor for the next batch; None when the sweep is through


def rewrap_batch(
    conn: Connection,
    keys: KeyProvider,
    audit: AuditLog,
    actor_id: str,
    limit: int = 2000,
    after: str = "",
) -> Batch:
    """Move up to ``limit`` data keys (subjects after ``after`` in id order, then pending
    submissions) to the active KEK."""
    moved = pending.rewrap_batch(conn, keys, limit)
    active = keys.active_kek_id
    rows = store.subject_keys_to_move(conn, active, after, limit)
    params = []
    skipped = 0
    for sid, kek_id, wrapped in rows:
        if keys.is_revoked(sid):
            skipped += 1
            continue
        dk = keys.unwrap(kek_id, wrapped, sid)
        new_kek, new_wrapped = keys.wrap(dk, sid)
        params.append({"sid": sid, "k": new_kek, "w": new_wrapped})
    if params:
        store.set_subject_keys(conn, params)
    if params or moved:
        detail = {"rewrapped": len(params), "kek": active}
        if moved:
            detail["pending"] = moved
        audit.append(conn, Event("key.rotate", actor_id, detail=detail))
    last = rows[-1].id if len(rows) == limit else None
    return Batch(moved + len(params), skipped, last)


def kek_usage(conn: Connection, keys: KeyProvider | None = None) -> dict[str, int]:
    """Data keys per KEK (pending ones included); with ``keys``, revoked subjects left out
    (their keys are shredded: nothing needs their KEK)."""
    usage = pending.kek_usage(conn)
    rows: list[tuple[str, int]]
    if keys is None:
        rows = list(store.subject_kek_counts(conn).items())
    else:
        counted: dict[str, int] = {}
        for sid, k in store.subjects_not_under(conn, keys.active_kek_id):
            if not keys.is_revoked(sid):
                counted[k] = counted.get(k, 0) + 1
        active = store.subjects_under(conn, keys.active_kek_id)
        rows = [*counted.items(), (keys.active_kek_id, active)]
    for k, n in rows:
        usage[str(k)] = usage.get(str(k), 0) + int(n)
    return usage
