"""Submissions waiting for their one-time code, sealed outside the vault (policy 4.1, 6.6,
7.3.8; DESIGN 4).

A loan request is not a subject until its code proves that the person controls the contact
they gave: until then nothing of it enters the vault (no subject row, no blind index, no
lookup by IIN). Its values are sealed in the one-time-code challenge row instead, under a
fresh AES-256-GCM data key per challenge, wrapped by the key provider under the name
``pending:<challenge id>``; the associated data binds the ciphertext to the challenge id, so
a payload copied onto another challenge row does not open. The payload is dropped on
confirmation, when the challenge is refused for good, and at the code's expiry.

Key rotation re-wraps these data keys too (``rewrap_batch``, ``kek_usage``), so a rotation
never retires a KEK that an open challenge still needs (DESIGN 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection

from qorgau.crypto import aead
from qorgau.crypto.keyring import KeyProvider
from qorgau.vault.model import IntegrityFailure
from qorgau.vault.store import keys as store

_FIELD = "payload"
_VERSION = 0


def key_name(challenge_id: str) -> str:
    """What the data key is wrapped for, and what the payload is bound to."""
    return f"pending:{challenge_id}"


@dataclass(frozen=True, slots=True)
class SealedPending:
    """What the challenge row stores: the KEK id, the wrapped data key, the sealed payload."""

    kek_id: str
    wrapped_key: bytes = field(repr=False)
    sealed: bytes = field(repr=False)

    def columns(self) -> dict[str, Any]:
        return {"kek_id": self.kek_id, "wrapped_key": self.wrapped_key, "sealed": self.sealed}


#: Column values that drop a sealed payload (its data key goes with it).
CLEARED: dict[str, Any] = {"kek_id": None, "wrapped_key": None, "sealed": None}


def seal(keys: KeyProvider, challenge_id: str, payload: Mapping[str, Any]) -> SealedPending:
    """Seal ``payload`` (JSON-serialisable) under a new data key for this challenge."""
    name = key_name(challenge_id)
    dk = aead.new_data_key()
    kek_id, wrapped = keys.wrap(dk, name)
    blob = aead.seal(aead.cipher(dk), name, _FIELD, _VERSION, orjson.dumps(dict(payload)).decode())
    return SealedPending(kek_id, wrapped, blob)


def open_(
    keys: KeyProvider, challenge_id: str, kek_id: str, wrapped: bytes, sealed: bytes
) -> dict[str, Any]:
    """The payload sealed for ``challenge_id``; IntegrityFailure if it was moved or edited."""
    name = key_name(challenge_id)
    dk = keys.unwrap(kek_id, wrapped, name)
    try:
        plain = aead.open_(aead.cipher(dk), name, _FIELD, _VERSION, sealed)
    except aead.TamperedValue as exc:
        raise IntegrityFailure(f"the sealed submission of challenge {challenge_id} does not "
                               "authenticate") from exc  # fmt: skip
    loaded: dict[str, Any] = orjson.loads(plain)
    return loaded


def rewrap_batch(conn: Connection, keys: KeyProvider, limit: int = 2000) -> int:
    """Move up to ``limit`` pending data keys to the active KEK (``qorgau keys rotate``)."""
    rows = store.pending_keys_to_move(conn, keys.active_kek_id, limit)
    if not rows:
        return 0
    params = []
    for cid, kek_id, wrapped in rows:
        dk = keys.unwrap(kek_id, wrapped, key_name(cid))
        new_kek, new_wrapped = keys.wrap(dk, key_name(cid))
        params.append({"cid": cid, "k": new_kek, "w": new_wrapped})
    store.set_pending_keys(conn, params)
    return len(rows)


def kek_usage(conn: Connection) -> dict[str, int]:
    """Pending data keys per KEK."""
    return store.pending_kek_counts(conn)
