"""A body-size limit before anything parses a request (issue 11).

Every HTTP request, on every route: a declared ``Content-Length`` over the limit is answered
413 before a byte is read; a chunked body (or one that lies about its length) is counted as
it streams and cut off at the limit, so a client cannot make the server buffer more than the
limit. The answer is problem+json for the API and a plain page elsewhere; the public forms
keep their own, smaller limit.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The default limit: 1 MiB (``QORGAU_MAX_BODY_BYTES``).
DEFAULT_LIMIT = 1024 * 1024


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int = DEFAULT_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, send)
            return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            # Past the limit the client is answered 413 at once and the application sees a
            # disconnect: it never holds more than the limit.
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    refused = True
                    if not started:
                        await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 went out; whatever the application answers is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted, tracked)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        detail = f"the request body exceeds the limit of {self.limit} bytes"
        if str(scope.get("path", "")).startswith("/api/"):
            body = orjson.dumps(
                {"type": "/problems/body-too-large", "title": "Request body too large",
                 "status": 413, "detail": detail}
            )  # fmt: skip
            ctype = b"application/problem+json"
        else:
            body = f"413 Request body too large: {detail}\n".encode()
            ctype = b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", ctype),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None
