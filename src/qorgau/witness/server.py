"""The witness over HTTP (Starlette): the tlog-witness endpoints.

- ``POST /add-checkpoint``: 200 with the cosignature line(s); 409 with the recorded size
  (``text/x.tlog.size``); 400, 403, 404, 422 with a one-line plain-text reason; 413 for a
  body over ``max_body`` bytes (declared or streamed), read no further.
- ``GET /<hex SHA-256 of an origin>/checkpoint``: the latest cosigned checkpoint (the log's
  verified signatures and the witness's cosignature) for monitors, 404 if none.

Bodies hold checkpoints only, never personal data; nothing is logged per request.
"""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from qorgau.witness.service import SIZE_CONTENT_TYPE, Conflict, Refused, Witness

__all__ = ["MAX_BODY", "create_app"]

#: An old-size line, 63 proof lines and a checkpoint with 100 signatures fit in well under.
MAX_BODY = 64 * 1024
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_TEXT = "text/plain; charset=utf-8"


class _TooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _TooLarge
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _text(status: int, message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, media_type=_TEXT)


def create_app(witness: Witness, *, max_body: int = MAX_BODY) -> Starlette:
    """The witness's ASGI app over ``witness``."""

    async def add_checkpoint(request: Request) -> Response:
        try:
            body = await _body(request, max_body)
        except _TooLarge:
            return _text(413, "request body too large")
        try:
            # Storage is blocking (SQLite, fsync): off the event loop.
            lines = await run_in_threadpool(witness.add_checkpoint, body)
        except Conflict as exc:
            # Exactly this type, no charset parameter (Starlette adds one to text/*).
            return Response(exc.body(), 409, headers={"content-type": SIZE_CONTENT_TYPE})
        except Refused as exc:
            return _text(exc.status, exc.message)
        return Response(lines.encode("utf-8"), media_type=_TEXT)

    async def checkpoint(request: Request) -> Response:
        hashed = request.path_params["origin_hash"]
        if not _HEX_SHA256.fullmatch(hashed):
            return _text(404, "not found")
        note = await run_in_threadpool(witness.latest_note, hashed)
        if note is None:
            return _text(404, "no checkpoint cosigned for this log")
        return Response(note, media_type=_TEXT)

    routes = [
        Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
        Route("/{origin_hash}/checkpoint", checkpoint, methods=["GET"]),
    ]
    return Starlette(routes=routes)
