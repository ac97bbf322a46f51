"""Security headers on every response, and `no-store` on everything that is not a static file.

The pages carry no inline script or style (behaviour lives in /static/app.js), so the
Content-Security-Policy allows only this origin's files; the API documentation pages come
from FastAPI with an inline start-up script and get their own, looser policy. Every answer
except the static assets may carry personal data (a customer's page, a search, an export, an
error naming a field), so none is kept by browsers or shared caches.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; form-action 'self'{sign_out}; frame-ancestors 'none';"
    " base-uri 'none'; object-src 'none'"
)
"""`{sign_out}`: the identity provider's origin when single sign-on is on (signing out is a
form whose answer redirects there, and browsers hold redirects of forms to `form-action`)."""
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none';"
    " object-src 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
CACHEABLE_PREFIXES = ("/static/", "/docs/assets/")
HSTS = "max-age=31536000; includeSubDomains"


def headers_for(path: str, scheme: str, provider_origin: str | None = None) -> dict[str, str]:
    """The security headers an answer to `path` carries."""
    is_docs = path in DOCS_PATHS or path == "/docs/oauth2-redirect"
    page_policy = PAGE_POLICY.format(sign_out=f" {provider_origin}" if provider_origin else "")
    headers = {
        "Content-Security-Policy": DOCS_POLICY if is_docs else page_policy,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if scheme == "https":
        headers["Strict-Transport-Security"] = HSTS
    if not path.startswith(CACHEABLE_PREFIXES):
        headers["Cache-Control"] = "no-store"
    return headers


class SecurityHeaders:
    """ASGI middleware adding `headers_for` to every HTTP response (kept where already set,
    except Cache-Control, which no route may weaken)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_of(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_headers(MutableHeaders(scope=message), extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def headers_of(scope: Scope) -> dict[str, str]:
    """`headers_for` the request in `scope`."""
    issuer = scope["app"].state.services.settings.oidc_issuer
    return headers_for(str(scope["path"]), str(scope.get("scheme", "http")), origin_of(issuer))


def add_headers(headers: MutableHeaders, extra: dict[str, str]) -> None:
    """Add the security headers to an answer's (Cache-Control always wins)."""
    for name, value in extra.items():
        if name == "Cache-Control" or name not in headers:
            headers[name] = value


def secured(scope: Scope, response: Response) -> Response:
    """The response with the security headers, for the answers sent outside the middleware:
    Starlette's last-resort handler answers an unexpected error around every middleware."""
    add_headers(response.headers, headers_of(scope))
    return response


def origin_of(url: str | None) -> str | None:
    """`scheme://host[:port]` of a URL (what a policy names), or None."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
