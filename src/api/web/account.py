"""Signing in and out, the language switch and the start page."""

from __future__ import annotations

import logging
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.http.auth import attempt_limiter, client_address, off_the_event_loop
from api.web.i18n import LANGUAGES, normalise_language
from api.web.session import (
    LANGUAGE_COOKIE,
    check_csrf,
    load_session,
    page_user,
    save_session,
    sign_in,
    sign_out,
)
from api.web.sign_in_gate import delayed_answer
from api.web.single_sign_on import provider
from api.web.templating import navigation, redirect, render, safe_next
from crm.application.users import User

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
SignedIn = Annotated[User, Depends(page_user)]


@router.get("/")
def root() -> RedirectResponse:
    """The web UI lives under /ui."""
    return RedirectResponse("/ui", status_code=307)


@router.get("/ui")
def start_page(request: Request, user: SignedIn) -> Response:
    """Each role starts on its first page."""
    entries = navigation(user)
    return redirect(request, entries[0][1]) if entries else render(request, "start.html")


@router.get("/ui/login")
def login_page(request: Request, next: str | None = None, msg: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    message = "login.signed_out" if msg == "signed_out" else None
    return render(request, "login.html", {"next": safe_next(next), "message": message})


@router.post("/ui/login")
async def login(
    request: Request,
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui",
) -> Response:
    """Sign in with a name and password, or with an API token; a fresh session either way."""
    await check_csrf(request)
    users = request.app.state.services.users
    limiter = attempt_limiter(request)
    keys = limiter.keys(client_address(request), None if token else name)
    wait = limiter.retry_after(keys)
    if wait > 0:
        return delayed_answer(request, wait)
    user: User | None = None
    with limiter.checking(keys):
        if token:
            by_token = partial(users.by_token, token.strip(), service_tokens=False)
            user = await run_in_threadpool(by_token)
        elif name and password:
            user = await off_the_event_loop(partial(users.authenticate, name.strip(), password))
    if user is None:
        if token or (name and password):
            limiter.failed(keys)
        context = {"next": safe_next(next), "error": "login.failed", "name": name}
        return render(request, "login.html", context, status=401)
    limiter.succeeded(keys)
    sign_in(request, user)
    return redirect(request, safe_next(next))


@router.post("/ui/logout")
def logout(request: Request, user: SignedIn) -> Response:
    """End the session here and, after a single sign-on, at the provider too (where it
    offers that)."""
    through_provider = load_session(request).provider_signed_in
    sign_out(request)
    found = provider(request) if through_provider else None
    if found is not None:
        after = str(request.url_for("login_page")) + "?msg=signed_out"
        try:
            there = found.sign_out_url(after)
        except Exception:  # the provider unreachable: signed out here all the same
            log.warning("single sign-on: could not end the sign-in at the provider")
            there = None
        if there:
            return save_session(request, RedirectResponse(there, status_code=303))
    return redirect(request, "/ui/login?msg=signed_out")


@router.get("/ui/language/{language}")
def switch_language(request: Request, language: str, next: str | None = None) -> Response:
    """Switch between Finnish and English (a preference cookie; no session needed)."""
    chosen = normalise_language(language if language in LANGUAGES else None)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response
