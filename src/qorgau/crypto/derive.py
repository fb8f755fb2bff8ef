"""One key per use, derived from a secret (HMAC-SHA256 with a label)."""

from __future__ import annotations

import hmac


def derive_key(secret: bytes, label: str) -> bytes:
    """A key for one use (``otp``, ``csrf``, ``ratelimit``, ``visit-ip``) from the site
    secret, so no two uses share a key."""
    return hmac.digest(secret, f"qorgau-site\x00{label}".encode(), "sha256")
