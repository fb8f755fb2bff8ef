"""Key rotation: re-wrap data keys under a new key-encryption key (DESIGN 4).

Values are never re-encrypted and never decrypted here: only the small data keys are
unwrapped and wrapped again. Reads keep working throughout, because the keyring keeps the
old KEK until every data key has moved; batches are short transactions. The data keys of
submissions still waiting for their one-time code (``vault/pending.py``) move too.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select, update

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.crypto.keyring import KeyProvider
from qorgau.vault import pending
from qorgau.vault.store import subject


def rewrap_batch(
    conn: Connection, keys: KeyProvider, audit: AuditLog, actor_id: str, limit: int = 2000
) -> int:
    """Move up to ``limit`` data keys to the active KEK; returns how many moved."""
    moved = pending.rewrap_batch(conn, keys, limit)
    active = keys.active_kek_id
    q = (
        select(subject.c.id, subject.c.kek_id, subject.c.wrapped_key)
        .where(subject.c.kek_id.is_not(None), subject.c.kek_id != active)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = conn.execute(q).all()
    if not rows and not moved:
        return 0
    params = []
    for sid, kek_id, wrapped in rows:
        dk = keys.unwrap(kek_id, bytes(wrapped), sid)
        new_kek, new_wrapped = keys.wrap(dk, sid)
        params.append({"sid": sid, "k": new_kek, "w": new_wrapped})
    if params:
        conn.execute(
            update(subject)
            .where(subject.c.id == bindparam("sid"))
            .values(kek_id=bindparam("k"), wrapped_key=bindparam("w")),
            params,
        )
    detail = {"rewrapped": len(rows), "kek": active}
    if moved:
        detail["pending"] = moved
    audit.append(conn, Event("key.rotate", actor_id, detail=detail))
    return moved + len(rows)


def kek_usage(conn: Connection) -> dict[str, int]:
    from sqlalchemy import func

    usage = pending.kek_usage(conn)
    for k, n in conn.execute(
        select(subject.c.kek_id, func.count())
        .where(subject.c.kek_id.is_not(None))
        .group_by(subject.c.kek_id)
    ):
        usage[str(k)] = usage.get(str(k), 0) + int(n)
    return usage
