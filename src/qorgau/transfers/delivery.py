"""The delivery of a lead (pure; policy 6.2, 6.4-6.7): webhook signatures (HMAC-SHA256 over
the timestamp and the body, :func:`sign`), retries with exponential backoff and full jitter
(:func:`backoff`), what a refusal does to a queued lead (:func:`withheld`), and the check that
an opened payload is the one its transfer row describes (:func:`payload_matches`). The
dispatcher and a partner's pull inbox share them; a partner runs :func:`verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import timedelta

from qorgau.transfers.model import Reason

# -- webhook signing and retries --------------------------------------------------------------

SIGNATURE_HEADER = "X-Qorgau-Signature"
TIMESTAMP_HEADER = "X-Qorgau-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
#: A receiver should refuse a signature older than this (replay window).
TOLERANCE_SECONDS = 300


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over ``"{timestamp}." + body``, hex (the Stripe/Standard Webhooks shape)."""
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secrets: Iterable[bytes], timestamp: int, body: bytes) -> str:
    """``v1=<hex>`` per live secret: during a rotation both the new and the previous secret
    sign, so the partner can switch at its own pace."""
    return ",".join(f"v1={sign(s, timestamp, body)}" for s in secrets)


def verify_signature(
    secret: bytes,
    header: str,
    timestamp: str,
    body: bytes,
    now: int,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a partner runs: any ``v1`` value matches and the timestamp is recent."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(now - ts) > tolerance:
        return False
    expected = sign(secret, ts, body)
    return any(
        hmac.compare_digest(part.strip()[3:], expected)
        for part in header.split(",")
        if part.strip().startswith("v1=")
    )


def backoff(attempt: int, rand: float, *, base: float = 2.0, cap: float = 3600.0) -> timedelta:
    """Delay before retry ``attempt`` (1-based): exponential with full jitter,
    ``rand * min(cap, base * 2**attempt)``, at least one second."""
    ceiling = min(cap, base * (2 ** min(attempt, 30)))
    return timedelta(seconds=max(1.0, rand * ceiling))


# -- a queued delivery the rule now refuses (pull and webhook alike) ---------------------------

#: Refusals that may lift (a block ended, an agreement renewed, a recipient reactivated): the
#: sealed payload is kept, dead-lettered, for staff to retry. Any other refusal (destroyed,
#: consent withdrawn, fields no longer agreed) withholds the lead for good.
TEMPORARY_REFUSALS = frozenset(
    {
        "subject-blocked",
        "agreement-not-valid",
        Reason.RECIPIENT_INACTIVE.value,
        "endpoint-not-allowed",
    }
)


def withheld(code: str) -> tuple[bool, str]:
    """(keep the payload, the transfer's status) for a delivery refused with ``code``."""
    keep = code in TEMPORARY_REFUSALS
    return keep, "dead" if keep else "withheld"


def payload_matches(
    doc: Mapping[str, object],
    *,
    transfer_id: str,
    recipient: str,
    purpose: str,
    fields: Iterable[str],
) -> bool:
    """Whether an opened lead payload is the one its transfer row describes: the rule was
    checked against the row's purpose and fields, which are not sealed, so the sealed
    document must agree with them (an edited row must not widen what leaves)."""
    data = doc.get("data")
    return (
        doc.get("transfer_id") == transfer_id
        and doc.get("recipient") == recipient
        and doc.get("purpose") == purpose
        and isinstance(data, dict)
        and set(data) <= set(fields)
    )
