"""A partner's webhook endpoint for bench/bench_delivery.py: a bare ASGI app (uvicorn) that
verifies every delivery's signature with the partner's secret and counts, per Idempotency-Key,
what arrived. ``GET /stats`` answers the counts. Secrets come from the JSON file named by
``BENCH_SECRETS`` ({code: base64url secret}); the partner is the last path segment."""

from __future__ import annotations

import base64
import json
import os
import time
from typing import Any

from qorgau.transfers.delivery import verify_signature

with open(os.environ["BENCH_SECRETS"]) as fh:
    SECRETS = {
        code: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)) for code, s in json.load(fh).items()
    }
STATS = {"received": 0, "verified": 0, "bad": 0, "duplicates": 0}
SEEN: set[bytes] = set()
OK = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]}
BAD = {"type": "http.response.start", "status": 401, "headers": [(b"content-length", b"0")]}
EMPTY = {"type": "http.response.body", "body": b""}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["method"] == "GET":
        body = json.dumps(STATS).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})
        return
    chunks = []
    more = True
    while more:
        msg = await receive()
        chunks.append(msg.get("body", b""))
        more = msg.get("more_body", False)
    body = b"".join(chunks)
    headers = dict(scope["headers"])
    secret = SECRETS.get(scope["path"].rsplit("/", 1)[-1])
    sig = headers.get(b"x-qorgau-signature", b"").decode()
    ts = headers.get(b"x-qorgau-timestamp", b"").decode()
    key = headers.get(b"idempotency-key", b"")
    STATS["received"] += 1
    if secret is None or not verify_signature(secret, sig, ts, body, int(time.time())):
        STATS["bad"] += 1
        await send(BAD)
        await send(EMPTY)
        return
    STATS["verified"] += 1
    if key in SEEN:
        STATS["duplicates"] += 1  # a partner drops it; answered 200 all the same
    SEEN.add(key)
    await send(OK)
    await send(EMPTY)
