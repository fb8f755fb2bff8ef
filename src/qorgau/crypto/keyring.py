"""Key provider: key-encryption keys (KEKs) that wrap each subject's data key (DESIGN 4).

The default provider is a local keyring file created by ``qorgau init`` with mode 0600.
The provider is a protocol so an HSM or a KMS can sit behind it. Key material never leaves
this module except as wrapped data keys and the blind-index key.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12


class KeyringError(Exception):
    """A key is missing, unknown or does not open a wrapped key."""


class KeyProvider(Protocol):
    @property
    def active_kek_id(self) -> str: ...

    def kek_ids(self) -> list[str]: ...

    def wrap(self, data_key: bytes, subject_id: str) -> tuple[str, bytes]: ...

    def unwrap(self, kek_id: str, wrapped: bytes, subject_id: str) -> bytes: ...

    def index_key(self) -> bytes: ...

    def add_kek(self) -> str: ...

    def retire_kek(self, kek_id: str) -> None: ...

    def revoke(self, subject_id: str) -> None: ...

    def revoke_many(self, subject_ids: Sequence[str]) -> None: ...

    def is_revoked(self, subject_id: str) -> bool: ...


class KeyRevoked(Exception):
    """The subject's data key was revoked when the subject was destroyed: a copy of its
    wrapped key (in a restored backup, say) opens nothing (DESIGN 4, crypto-shredding)."""


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode())


def _ad(subject_id: str) -> bytes:
    return b"qorgau:dk:" + subject_id.encode()


def write_private(path: Path, data: bytes) -> None:
    """Write a secret file atomically with mode 0600 (never world- or group-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class LocalKeyring:
    """KEKs and the blind-index key in a JSON file (mode 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._load()

    def _load(self) -> None:
        path = self.path
        try:
            self._mtime = path.stat().st_mtime_ns
            self._checked = time.monotonic()
            raw = json.loads(path.read_bytes())
        except FileNotFoundError as exc:
            raise KeyringError(f"keyring not found at {path}; run `qorgau init`") from exc
        self._active: str = raw["active_kek"]
        self._keks: dict[str, bytes] = {k: _unb64(v) for k, v in raw["keks"].items()}
        self._index_key = _unb64(raw["index_key"])
        self._created_at: str = raw.get("created_at", "")
        self._aead: dict[str, AESGCM] = {k: AESGCM(v) for k, v in self._keks.items()}
        self._load_revoked()

    @property
    def revoked_path(self) -> Path:
        """Kept beside the keyring, never in the database: it must outlive any restored copy
        of the database. Back it up with the keys (docs/operations.md)."""
        return self.path.with_name(self.path.name + ".revoked")

    @cached_property
    def _revoked_file(self) -> str:
        return str(self.revoked_path)

    def _load_revoked(self) -> None:
        try:
            raw = self.revoked_path.read_text(encoding="ascii")
            self._revoked_size = self.revoked_path.stat().st_size
        except FileNotFoundError:
            raw, self._revoked_size = "", 0
        self._revoked: set[str] = {line for line in raw.split() if line}

    def revoke(self, subject_id: str) -> None:
        """Record the subject's data key as revoked, durably, before its rows go."""
        self.revoke_many([subject_id])

    def revoke_many(self, subject_ids: Sequence[str]) -> None:
        """One append and one fsync for a whole batch (retention sweeps)."""
        if not subject_ids:
            return
        data = "".join(s + "\n" for s in subject_ids).encode("ascii")
        fd = os.open(self.revoked_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        self._revoked.update(subject_ids)
        if size == self._revoked_size + len(data):
            # Nobody else appended meanwhile: what we hold is the whole file, no reload.
            self._revoked_size = size

    def revoked_ids(self) -> frozenset[str]:
        """Every subject whose data key was revoked, as the file says now."""
        self._load_revoked()
        return frozenset(self._revoked)

    def is_revoked(self, subject_id: str) -> bool:
        if subject_id in self._revoked:
            return True
        # Another process may have revoked it since we loaded.
        try:
            size = os.stat(self._revoked_file).st_size
        except FileNotFoundError:
            return False
        if size != self._revoked_size:
            self._load_revoked()
        return subject_id in self._revoked

    @classmethod
    def create(cls, path: Path) -> LocalKeyring:
        if path.exists():
            raise KeyringError(f"keyring already exists at {path}")
        kek_id = "kek-" + secrets.token_hex(4)
        doc = {
            "version": 1,
            "created_at": datetime.now(UTC).isoformat(),
            "active_kek": kek_id,
            "keks": {kek_id: _b64(AESGCM.generate_key(bit_length=256))},
            "index_key": _b64(secrets.token_bytes(32)),
        }
        write_private(path, json.dumps(doc, indent=2).encode())
        return cls(path)

    def _save(self) -> None:
        doc = {
            "version": 1,
            "created_at": self._created_at,
            "active_kek": self._active,
            "keks": {k: _b64(v) for k, v in self._keks.items()},
            "index_key": _b64(self._index_key),
        }
        write_private(self.path, json.dumps(doc, indent=2).encode())

    @property
    def active_kek_id(self) -> str:
        return self._active

    def kek_ids(self) -> list[str]:
        return list(self._keks)

    def _refresh(self) -> None:
        """Pick up a KEK rotated by another process (checked at most once a second)."""
        now = time.monotonic()
        if now - self._checked < 1.0:
            return
        self._checked = now
        if self.path.stat().st_mtime_ns != self._mtime:
            self._load()

    def wrap(self, data_key: bytes, subject_id: str) -> tuple[str, bytes]:
        self._refresh()
        nonce = os.urandom(NONCE)
        return self._active, nonce + self._aead[self._active].encrypt(
            nonce, data_key, _ad(subject_id)
        )

    def unwrap(self, kek_id: str, wrapped: bytes, subject_id: str) -> bytes:
        if self.is_revoked(subject_id):
            raise KeyRevoked(f"the data key of subject {subject_id} was revoked (destroyed)")
        aead = self._aead.get(kek_id)
        if aead is None:
            # Another process (``qorgau keys rotate``) may have added a KEK since we loaded.
            self._load()
            aead = self._aead.get(kek_id)
        if aead is None:
            raise KeyringError(f"unknown key-encryption key {kek_id}")
        try:
            return aead.decrypt(wrapped[:NONCE], wrapped[NONCE:], _ad(subject_id))
        except InvalidTag as exc:
            raise KeyringError("wrapped data key does not belong to this subject") from exc

    def index_key(self) -> bytes:
        return self._index_key

    def add_kek(self) -> str:
        kek_id = "kek-" + secrets.token_hex(4)
        self._keks[kek_id] = AESGCM.generate_key(bit_length=256)
        self._aead[kek_id] = AESGCM(self._keks[kek_id])
        self._active = kek_id
        self._save()
        return kek_id

    def retire_kek(self, kek_id: str) -> None:
        if kek_id == self._active:
            raise KeyringError("the active key-encryption key cannot be retired")
        self._keks.pop(kek_id, None)
        self._aead.pop(kek_id, None)
        self._save()
