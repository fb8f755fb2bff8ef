"""Blind indexes: HMAC-SHA256 under a separate key over normalised values (DESIGN 5)."""

from __future__ import annotations

import hmac


class BlindIndexer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("blind-index key must be at least 32 bytes")
        self._key = key

    def digest(self, kind: str, normalised: str) -> bytes:
        return hmac.digest(self._key, kind.encode() + b"\x00" + normalised.encode(), "sha256")
