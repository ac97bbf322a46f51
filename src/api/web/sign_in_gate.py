"""Refuses a sign-in that must still wait out its delay before the app routes it.

Most of a wrong-password flood is answered 429 (`api.http.sign_in_limits`). Answered by the
sign-in route, each refusal would cost routing past every API route, form parsing, the
session and CSRF check and a page rendered for the session, all on the event loop that every
other request shares. Here a refusal costs a look-up in the attempt counts and a page
rendered once per language: the address's delay is known before the body is read, the user
name is read from the small form body (already size- and NUL-checked by the middleware
around this one). Nothing is counted here; the route still applies the limits itself (to
multipart forms and to attempts that pass while their delay runs out).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.auth import attempt_limiter, client_address
from api.web.i18n import LANGUAGES, normalise_language, translator
from api.web.session import language_of
from api.web.templating import TEMPLATES

SIGN_IN_PATH = "/ui/login"
FORM = b"application/x-www-form-urlencoded"


@lru_cache(maxsize=len(LANGUAGES))
def delayed_page(language: str) -> bytes:
    """The page a delayed sign-in is answered with, in the language (the same for everyone:
    it holds no session, no CSRF token and nothing the client sent)."""
    language = normalise_language(language)
    context = {
        "t": translator(language),
        "lang": language,
        "languages": LANGUAGES,
        "user": None,
        "nav": [],
        "path": SIGN_IN_PATH,
        "here": SIGN_IN_PATH,
    }
    return TEMPLATES.get_template("sign_in_delayed.html").render(context).encode()


def delayed_answer(request: Request, wait: int) -> HTMLResponse:
    """429 with Retry-After and the delayed page in the UI's language."""
    return HTMLResponse(
        delayed_page(language_of(request)), status_code=429, headers={"Retry-After": str(wait)}
    )


class SignInGate:
    """ASGI middleware: 429 for a sign-in form whose address or user name is still delayed,
    before routing, the CSRF check or any rendering."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != SIGN_IN_PATH:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        limiter = attempt_limiter(request)
        address = client_address(request)
        wait = limiter.retry_after(limiter.keys(address))
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if wait == 0 and content_type.encode() == FORM:
            body, replay = await _read_body(receive)
            if replay is None:
                fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
                name = None if fields.get("token") else fields.get("name")
                wait = limiter.retry_after(limiter.keys(address, name))
            receive = replay or _replaying(body, receive)
        if wait > 0:
            await delayed_answer(request, wait)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[bytes, Receive | None]:
    """The whole body; or, when reading it fails (too large, NUL), a `receive` that fails the
    same way for the app, whose error handlers answer it."""
    chunks: list[bytes] = []
    while True:
        try:
            message = await receive()
        except Exception as error:
            return b"", _failing(error)
        if message["type"] != "http.request":
            return b"".join(chunks), _replaying_messages([message], receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _failing(error: Exception) -> Receive:
    async def fail() -> Message:
        raise error

    return fail


def _replaying(body: bytes, receive: Receive) -> Receive:
    whole: Message = {"type": "http.request", "body": body, "more_body": False}
    return _replaying_messages([whole], receive)


def _replaying_messages(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives the messages already read, then the client's further ones."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
