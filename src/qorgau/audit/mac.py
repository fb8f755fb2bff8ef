"""The audit MAC key: every event appended since migration 0012 carries
``HMAC-SHA256(key, "<part>:<seq>:" || hash)`` (issue 13, must-have 1).

The key lives in a 0600 file beside the keyring, never in the database, so an insider who
can write rows but not read the server's files cannot append or re-chain an event that
verifies: the chain hash alone is SHA-256, which anyone can compute. The checkpointer checks
every event's MAC before it signs a tree head over it, and ``audit verify`` checks the
events after the newest checkpoint with it (events under a checkpoint are checked with the
public key alone).
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from qorgau.crypto.keyring import write_private

_SIZE = 32


class MissingMacKey(RuntimeError):
    """The MAC key file is absent: run ``qorgau init``."""


class MacKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != _SIZE:
            raise ValueError("the audit MAC key is 32 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "MacKey(...)"

    @classmethod
    def create(cls, path: Path) -> MacKey:
        key = secrets.token_bytes(_SIZE)
        write_private(path, key.hex().encode("ascii") + b"\n")
        return cls(key)

    @classmethod
    def load(cls, path: Path) -> MacKey:
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise MissingMacKey(f"{path} is missing: run `qorgau init`") from None
        try:
            return cls(bytes.fromhex(text))
        except ValueError:
            raise MissingMacKey(f"{path} does not hold a 32-byte hex key") from None

    @classmethod
    def ensure(cls, path: Path) -> MacKey:
        """The key at ``path``, created (0600) when absent."""
        return cls.load(path) if path.exists() else cls.create(path)

    def tag(self, part: int, seq: int, digest: bytes) -> bytes:
        """The MAC of the event at (``part``, ``seq``) whose chain hash is ``digest``."""
        return hmac.digest(self._key, b"%d:%d:" % (part, seq) + digest, "sha256")

    def check(self, part: int, seq: int, digest: bytes, tag: bytes | None) -> bool:
        return tag is not None and hmac.compare_digest(self.tag(part, seq, digest), tag)
