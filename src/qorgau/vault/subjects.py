"""A subject's row as the vault loads it, and its data key as a cipher (DESIGN 4).

:class:`SubjectKeys` unwraps a subject's data key once and keeps the cipher (unwrapping
costs more than a read). It is evicted on destruction, and every use checks the key
provider's revocations, so a wrapped key written back into a tombstone opens nothing.
The gate and the sealed boxes share one instance (the container builds it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection

from qorgau.crypto.keyring import KeyProvider, KeyRevoked
from qorgau.db import Sql, cursor
from qorgau.vault.model import SubjectDestroyed, SubjectNotFound
from qorgau.vault.record import Entry, unpack

LOAD_ONE = Sql(
    "SELECT s.id, s.category, s.status, s.kek_id, s.wrapped_key, s.sealed "
    "FROM subject s WHERE s.id = :sid"
)
#: The same, holding the row until the transaction ends: every read-modify-write of a
#: subject (clarify, destroy, block, recategorise) takes it first, so two writers on one
#: subject queue instead of losing one's values (DESIGN 10). SQLite has one writer anyway.
LOCK_ONE = Sql(LOAD_ONE.sqlite + " FOR UPDATE")
LOAD_MANY = (
    "SELECT s.id, s.category, s.status, s.kek_id, s.wrapped_key, s.sealed "
    "FROM subject s WHERE s.id IN ({marks})"
)
#: Ciphers kept at most (least recently used go first).
CACHE_SIZE = 8192


@dataclass(slots=True)
class Loaded:
    """A subject's row: its status, its wrapped data key and its sealed values."""

    id: str
    category: str
    status: str
    kek_id: str | None
    wrapped: bytes | None
    sealed: bytes | None

    @property
    def entries(self) -> dict[str, Entry]:
        return unpack(self.sealed)


def loaded(row: Sequence[Any]) -> Loaded:
    sid, category, status, kek_id, wrapped, sealed = row
    return Loaded(
        sid,
        category,
        status,
        kek_id,
        bytes(wrapped) if wrapped is not None else None,
        bytes(sealed) if sealed is not None else None,
    )


def load_one(conn: Connection, subject_id: str, *, lock: bool = False) -> Loaded:
    """The subject's row (``lock``: held until the transaction ends, on PostgreSQL)."""
    cur = cursor(conn)
    sql = LOCK_ONE if lock and conn.dialect.name == "postgresql" else LOAD_ONE
    cur.execute(sql.render(conn), {"sid": subject_id})
    row = cur.fetchone()
    if row is None:
        raise SubjectNotFound(subject_id)
    return loaded(row)


class SubjectKeys:
    """Each subject's data key as an AES-GCM cipher, unwrapped once, revocation-checked."""

    def __init__(self, keys: KeyProvider) -> None:
        self.keys = keys
        self._ciphers: OrderedDict[str, tuple[str, bytes, AESGCM]] = OrderedDict()
        self._lock = threading.Lock()

    def cipher_for(self, subject: Loaded) -> AESGCM:
        sid = subject.id
        if subject.kek_id is None or subject.wrapped is None or self.keys.is_revoked(sid):
            # Destroyed; or a restored copy of the database still holds the wrapped key, and
            # the key provider remembers the destruction.
            self.forget([sid])
            raise SubjectDestroyed(sid)
        with self._lock:
            hit = self._ciphers.get(sid)
            if hit is not None and hit[0] == subject.kek_id and hit[1] == subject.wrapped:
                self._ciphers.move_to_end(sid)
                return hit[2]
        try:
            cipher = AESGCM(self.keys.unwrap(subject.kek_id, subject.wrapped, sid))
        except KeyRevoked as exc:
            raise SubjectDestroyed(sid) from exc
        with self._lock:
            self._ciphers[sid] = (subject.kek_id, subject.wrapped, cipher)
            if len(self._ciphers) > CACHE_SIZE:
                self._ciphers.popitem(last=False)
        return cipher

    def forget(self, subject_ids: Iterable[str]) -> None:
        with self._lock:
            for sid in subject_ids:
                self._ciphers.pop(sid, None)

    def __len__(self) -> int:
        return len(self._ciphers)

    def __contains__(self, subject_id: object) -> bool:
        return subject_id in self._ciphers
