"""A subject's data key as a cipher (DESIGN 4); its row (:class:`Loaded`) is loaded by
:mod:`qorgau.vault.store.subjects`.

:class:`SubjectKeys` unwraps a subject's data key once and keeps the cipher (unwrapping
costs more than a read). It is evicted on destruction, and every use checks the key
provider's revocations, so a wrapped key written back into a tombstone opens nothing.
The gate and the sealed boxes share one instance (the container builds it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qorgau.crypto.keyring import KeyProvider, KeyRevoked
from qorgau.vault.model import SubjectDestroyed
from qorgau.vault.store.subjects import Loaded

#: Ciphers kept at most (least recently used go first).
CACHE_SIZE = 8192


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
