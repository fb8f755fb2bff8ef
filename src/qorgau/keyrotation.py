"""``qorgau keys rotate``: a new key-encryption key, every data key and webhook secret moved
to it, and the old KEKs retired only once nothing, committed or not, can still need them
(DESIGN 4, 10). Lives beside the composition root: it spans the vault and the transfers
context."""

from __future__ import annotations

import time
from dataclasses import dataclass

from qorgau.container import Container
from qorgau.vault.keys import drain_kek_users, kek_usage, rewrap_batch

#: Longer than the keyring's once-a-second check for a KEK added by another process: after
#: it, no process wraps a new key under an old KEK.
SETTLE_SECONDS = 1.2


@dataclass(frozen=True, slots=True)
class Rotation:
    active: str
    moved: int
    secrets: int
    skipped_revoked: int
    retired: tuple[str, ...]


def rotate(
    services: Container,
    actor_id: str,
    *,
    batch_size: int = 2000,
    keep_old: bool = False,
    settle: float = SETTLE_SECONDS,
) -> Rotation:
    keys = services.keys
    old = [k for k in keys.kek_ids()]
    new = keys.add_kek()
    time.sleep(settle)
    moved = secrets = skipped = 0
    while True:
        after = ""
        skipped = 0
        while True:
            with services.db.unit_of_work() as conn:
                batch = rewrap_batch(conn, keys, services.audit, actor_id, batch_size, after)
            moved += batch.moved
            skipped += batch.skipped
            if batch.last is None:
                break
            after = batch.last
        with services.db.unit_of_work() as conn:
            secrets += services.registry.rewrap_secrets(conn, actor_id)
        with services.db.unit_of_work() as conn:
            # Every transaction that may have wrapped under an old KEK has ended now; what
            # it committed is in the counts below, and the sweep runs again for it.
            drain_kek_users(conn)
            usage = kek_usage(conn, keys)
            for k, n in services.registry.secret_kek_usage(conn).items():
                usage[k] = usage.get(k, 0) + n
        if not any(n and k != new for k, n in usage.items()):
            break
    retired: tuple[str, ...] = ()
    if not keep_old:
        for k in old:
            keys.retire_kek(k)
        retired = tuple(old)
    return Rotation(new, moved, secrets, skipped, retired)
