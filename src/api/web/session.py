"""Web sessions: a signed cookie carrying a random session id (kept on the server, see
`crm.application.web_sessions`) and the session's CSRF token; the page permission check."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.bootstrap.settings import load_secret
from api.permissions import ENDPOINT_PERMISSIONS, Permission, can
from api.web.i18n import normalise_language
from crm.application.users import User

SESSION_COOKIE = "crm_session"
LANGUAGE_COOKIE = "crm_lang"
CSRF_FIELD = "csrf_token"
_NOT_LISTED = object()


class LoginRequiredError(Exception):
    """A page was opened without a valid session (answered with the sign-in page, 401)."""


class PageForbiddenError(Exception):
    """The signed-in user's role does not allow the page (403)."""


class CsrfError(Exception):
    """A form arrived without this session's CSRF token (403)."""


@dataclass
class WebSession:
    """What the session cookie holds: the server-side session's id (once signed in) and the
    CSRF token. The cookie is signed so a forged one is refused before any look-up."""

    session_id: str | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    changed: bool = False
    user: User | None = None
    provider_signed_in: bool = False
    """Signed in through the identity provider (signing out then ends the sign-in there too)."""


_SERIALIZER_LOCK = threading.Lock()


def _serializer(request: Request) -> URLSafeTimedSerializer:
    state = request.app.state
    serializer: URLSafeTimedSerializer | None = getattr(state, "web_serializer", None)
    if serializer is not None:
        return serializer
    # Pages run on several threads: only one may create the key file on the first requests.
    with _SERIALIZER_LOCK:
        serializer = getattr(state, "web_serializer", None)
        if serializer is not None:
            return serializer  # type: ignore[no-any-return]  # app.state is untyped
        settings = state.services.settings
        key = load_secret(settings.session_secret, settings.data_dir / "secrets" / "session.key")
        serializer = URLSafeTimedSerializer(key, salt="asiakassilma-web-session")
        state.web_session_key = key
        state.web_serializer = serializer
    return serializer


def session_key(request: Request) -> bytes:
    """The key that signs the web cookies (each use with a salt of its own)."""
    _serializer(request)
    key: bytes = request.app.state.web_session_key
    return key


def load_session(request: Request) -> WebSession:
    """This request's session: from a valid, unexpired cookie, else a new anonymous one."""
    cached: WebSession | None = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    session = WebSession(changed=True)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        max_age = int(request.app.state.services.settings.session_hours * 3600)
        try:
            data: dict[str, Any] = _serializer(request).loads(cookie, max_age=max_age)
            session = WebSession(
                session_id=data.get("s"),
                csrf=str(data["c"]),
                provider_signed_in=bool(data.get("p")),
            )
        except (BadSignature, KeyError, TypeError):
            pass
    if session.session_id:
        # Looked up on every request: an ended session, a revoked user or a changed role
        # takes effect at once, in every process.
        session.user = request.app.state.services.web_sessions.user_of(session.session_id)
        if session.user is None:
            session = WebSession(changed=True)
    request.state.web_session = session
    return session


def sign_in(request: Request, user: User, *, provider_signed_in: bool = False) -> None:
    """Start a fresh session for the user (a new id and a new CSRF token, so nothing issued
    before signing in applies after it)."""
    session_id = request.app.state.services.web_sessions.start(user)
    request.state.web_session = WebSession(
        session_id=session_id, changed=True, user=user, provider_signed_in=provider_signed_in
    )


def sign_out(request: Request) -> None:
    """End the session on the server (the old cookie stops working everywhere)."""
    session = load_session(request)
    if session.session_id:
        request.app.state.services.web_sessions.end(session.session_id)
    request.state.web_session = WebSession(changed=True)


def save_session(request: Request, response: Response) -> Response:
    """Set the session cookie on the response when the session is new or changed."""
    session = load_session(request)
    if session.changed:
        data: dict[str, object] = {"s": session.session_id, "c": session.csrf}
        if session.provider_signed_in:
            data["p"] = True
        value = _serializer(request).dumps(data)
        response.set_cookie(
            SESSION_COOKIE,
            value,
            max_age=int(request.app.state.services.settings.session_hours * 3600),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def language_of(request: Request) -> str:
    return normalise_language(request.cookies.get(LANGUAGE_COOKIE))


async def check_csrf(request: Request) -> None:
    """Refuse a form whose CSRF token is not this session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    session = load_session(request)
    if (
        not isinstance(sent, str)
        or session.changed
        or not hmac.compare_digest(sent.encode(), session.csrf.encode())
    ):
        raise CsrfError


def needed_permission(request: Request) -> Permission | None:
    """The page's entry in the permission matrix; unlisted pages are refused (fail closed)."""
    route = request.scope.get("route")
    needed = ENDPOINT_PERMISSIONS.get((request.method, getattr(route, "path", "")), _NOT_LISTED)
    if needed is _NOT_LISTED:
        raise PageForbiddenError
    return needed  # type: ignore[return-value]


async def page_user(request: Request) -> User:
    """The dependency of every signed-in page: session, then role, then (for forms) CSRF."""
    session = load_session(request)
    if session.user is None:
        raise LoginRequiredError
    needed = needed_permission(request)
    if needed is not None and not can(session.user, needed):
        raise PageForbiddenError
    if request.method == "POST":
        await check_csrf(request)
    return session.user
