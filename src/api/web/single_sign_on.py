"""Single sign-on pages: off to the identity provider, back with a code, signed in here.

The state, nonce and PKCE verifier of a sign-in under way travel in a short-lived signed
cookie of their own (`crm_sso`), so any API process can finish a sign-in another began.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.services.single_sign_on import OpenIdProvider, SingleSignOnError
from api.web.session import session_key, sign_in
from api.web.templating import redirect, render, safe_next

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
PENDING_COOKIE = "crm_sso"
PENDING_SECONDS = 600
"""How long a sign-in at the provider may take."""


def provider(request: Request) -> OpenIdProvider | None:
    """The configured identity provider, or None without single sign-on."""
    state = request.app.state
    settings = state.services.settings
    if not settings.oidc_issuer:
        return None
    found: OpenIdProvider | None = getattr(state, "oidc_provider", None)
    if found is None:
        found = state.oidc_provider = OpenIdProvider(settings)
    return found


def _pending(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_key(request), salt="asiakassilma-sso-pending")


def _refused(request: Request, status: int = 401) -> Response:
    response = render(request, "login.html", {"error": "login.sso_failed"}, status=status)
    response.delete_cookie(PENDING_COOKIE, path="/ui/sso")
    return response


@router.get("/ui/sso")
def start_single_sign_on(request: Request, next: str | None = None) -> Response:
    """Send the browser to the provider's sign-in."""
    found = provider(request)
    if found is None:
        return redirect(request, "/ui/login")
    callback = str(request.url_for("finish_single_sign_on"))
    try:
        sign_in_request = found.sign_in_request(callback)
    except Exception:  # the provider unreachable or misconfigured: say so, sign in otherwise
        log.exception("single sign-on: the provider's configuration could not be read")
        return _refused(request, 503)
    pending = {
        "s": sign_in_request.state,
        "n": sign_in_request.nonce,
        "v": sign_in_request.code_verifier,
        "x": safe_next(next),
    }
    response = RedirectResponse(sign_in_request.url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        _pending(request).dumps(pending),
        max_age=PENDING_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/ui/sso",
    )
    return response


@router.get("/ui/sso/callback")
def finish_single_sign_on(
    request: Request,
    code: Annotated[str, Query(max_length=4000)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The provider's answer: check it, create or update the user, start a session."""
    found = provider(request)
    if found is None:
        return redirect(request, "/ui/login")
    try:
        pending: dict[str, Any] = _pending(request).loads(
            request.cookies.get(PENDING_COOKIE, ""), max_age=PENDING_SECONDS
        )
    except BadSignature:
        return _refused(request, 400)
    if error or not code or state != pending.get("s"):
        log.warning("single sign-on refused: %s", error or "state or code missing or wrong")
        return _refused(request)
    callback = str(request.url_for("finish_single_sign_on"))
    try:
        claims = found.claims_for_code(code, callback, str(pending["v"]), str(pending["n"]))
    except SingleSignOnError as refusal:
        log.warning("single sign-on refused: %s", refusal)
        return _refused(request)
    users = request.app.state.services.users
    user = users.provisioned(found.user_name(claims), found.granted_role(claims))
    if user is None:
        return render(request, "login.html", {"error": "login.sso_no_role"}, status=403)
    sign_in(request, user, provider_signed_in=True)
    response = redirect(request, safe_next(str(pending.get("x") or "/ui")))
    response.delete_cookie(PENDING_COOKIE, path="/ui/sso")
    return response
