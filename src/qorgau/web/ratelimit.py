"""Per-client rate limiting of form posts: an in-memory token bucket per client.

Clients are keyed by an HMAC of their IP address, so the limiter's memory holds no IP
(DESIGN 5). Each process has its own buckets: with N server processes a client gets up to
N times the rate, which is still a bound. Behind a reverse proxy every client shares the
proxy's address; run the site where it sees client addresses, or raise the limits.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    """``burst`` requests at once, refilled at ``per_minute``; ``hit`` answers how long to
    wait (seconds, rounded up) or ``None`` when the request may go ahead."""

    def __init__(
        self,
        key: bytes,
        burst: int,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self._key = key
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._max = max_clients
        self._buckets: dict[bytes, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _client(self, ip: str) -> bytes:
        return hmac.digest(self._key, f"ratelimit\x00{ip}".encode(), "sha256")[:16]

    def hit(self, ip: str, cost: float = 1.0) -> int | None:
        now = self._clock()
        client = self._client(ip)
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < cost:
                self._buckets[client] = (tokens, now)
                return max(1, math.ceil((cost - tokens) / self.rate))
            self._buckets[client] = (tokens - cost, now)
            if len(self._buckets) > self._max:
                self._prune(now)
            return None

    def _prune(self, now: float) -> None:
        """Forget clients whose buckets are full again (they lose nothing by it)."""
        full = [
            c
            for c, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate >= self.burst
        ]
        for c in full:
            del self._buckets[c]
        if len(self._buckets) > self._max:  # still over: drop the oldest half
            for c, _ in sorted(self._buckets.items(), key=lambda kv: kv[1][1])[: self._max // 2]:
                del self._buckets[c]
