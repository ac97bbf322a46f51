"""Refuses text containing NUL characters with 422 before any handler sees it.

PostgreSQL text cannot hold NUL, so such a value would otherwise fail deep inside a query
(a 500, or worse a projection that can never apply its batch). The domain refuses NUL in
command fields too; this guard covers every query string, JSON body and form at once. In a
multipart form only the text fields are text: an uploaded file (a spreadsheet) may hold NUL
bytes, so the parts are told apart with the parser Starlette reads forms with.
"""

from __future__ import annotations

import json

from fastapi import HTTPException
from python_multipart.multipart import MultipartParser, parse_options_header
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
    """ASGI middleware: 422 for NUL in the path, the query string, a JSON body or a form body
    (in a multipart form, its text fields)."""

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
        full_type = dict(scope["headers"]).get(b"content-type", b"")
        content_type = full_type.split(b";")[0].strip().lower()
        if content_type == b"multipart/form-data":
            await self.app(scope, _checked_multipart(full_type, receive), send)
            return
        marker = marker_for(content_type)
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


class _TextFieldsOfMultipart:
    """Follows a multipart body chunk by chunk and notes NUL in a part that is no file."""

    def __init__(self, boundary: bytes) -> None:
        self.header_field = b""
        self.disposition = b""
        self.in_file = False
        self.nul_in_text = False
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begins,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_ends,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
            },
        )

    def _part_begins(self) -> None:
        self.disposition = b""
        self.header_field = b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        if self.header_field.lower() == b"content-disposition":
            self.disposition += data[start:end]

    def _header_ends(self) -> None:
        self.header_field = b""

    def _headers_finished(self) -> None:
        self.in_file = b"filename" in parse_options_header(self.disposition)[1]

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self.in_file and b"\x00" in data[start:end]:
            self.nul_in_text = True


def _checked_multipart(content_type: bytes, receive: Receive) -> Receive:
    """`receive` that raises `NulTextError` once a text field of the form shows a NUL; a body
    the parser cannot follow is left to the app's own form parsing to refuse."""
    boundary = parse_options_header(content_type)[1].get(b"boundary")
    follower = _TextFieldsOfMultipart(boundary) if boundary else None

    async def checked() -> Message:
        nonlocal follower
        message = await receive()
        if follower is not None and message["type"] == "http.request":
            try:
                follower.parser.write(message.get("body", b""))
            except Exception:  # malformed: Starlette's parser answers it
                follower = None
                return message
            if follower.nul_in_text:
                raise NulTextError("body")
        return message

    return checked


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
