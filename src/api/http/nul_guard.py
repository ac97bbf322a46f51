"""Refuses text containing NUL characters with 422 before any handler sees it.

PostgreSQL text cannot hold NUL, so such a value would otherwise fail deep inside a query
(a 500, or worse a projection that can never apply its batch). The domain refuses NUL in
command fields too; this guard covers every query string, JSON body and form at once.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_MARKER = b"\\u0000"
MARKERS = {b"application/json": JSON_MARKER, b"application/x-www-form-urlencoded": b"%00"}
PROBLEM = "text must not contain NUL characters"


class NulTextError(HTTPException):
    """A request carried a NUL character in its text."""

    def __init__(self, where: str) -> None:
        super().__init__(422, [{"loc": [where], "msg": PROBLEM, "type": "value_error"}])


def marker_for(content_type: bytes) -> bytes | None:
    """How NUL is written in a body of this type (JSON's structured suffix `+json` included:
    FastAPI parses `application/problem+json` and the like as JSON)."""
    if content_type.endswith(b"+json"):
        return JSON_MARKER
    return MARKERS.get(content_type)


class NulGuard:
    """ASGI middleware: 422 for NUL in the path, the query string, a JSON body or a form body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in bytes(scope.get("query_string", b"")).lower():
            await _refuse(send, "query")
            return
        if "\x00" in str(scope.get("path", "")):
            await _refuse(send, "path")
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip()
        marker = marker_for(content_type.lower())
        if marker is None:
            await self.app(scope, receive, send)
            return
        tail = b""

        async def checked() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = tail + message.get("body", b"")
                if marker in chunk.lower() or b"\x00" in chunk:
                    raise NulTextError("body")
                tail = chunk[-(len(marker) - 1) :]  # a marker split across two chunks
            return message

        await self.app(scope, checked, send)


async def _refuse(send: Send, where: str) -> None:
    body = json.dumps({"detail": [{"loc": [where], "msg": PROBLEM, "type": "value_error"}]})
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
