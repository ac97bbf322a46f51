"""Renders pages: the Jinja2 environment, the layout's context and the role-based navigation."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.permissions import Permission, can
from api.web.i18n import LANGUAGES, translate_value, translator
from api.web.paging import count_text
from api.web.session import CSRF_FIELD, WebSession, language_of, load_session, save_session
from crm.application.users import User
from crm.domain.calendar import local_text

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")

NAVIGATION: tuple[tuple[str, str, Permission | None], ...] = (
    ("nav.search", "/ui/customers", Permission.READ_CUSTOMERS),
    ("nav.my_customers", "/ui/my-customers", Permission.RECORD_TOUCHPOINTS),
    ("nav.digimentors", "/ui/digimentors", Permission.READ_CUSTOMERS),
    ("nav.my_tasks", "/ui/tasks", Permission.RECORD_TOUCHPOINTS),
    ("nav.pipeline", "/ui/pipeline", Permission.RECORD_TOUCHPOINTS),
    ("nav.dashboard", "/ui/dashboard", Permission.READ_CUSTOMERS),
    ("nav.consent_audit", "/ui/privacy/consent-audit", Permission.RUN_PRIVACY),
    ("nav.erasures", "/ui/privacy/requests", Permission.RUN_PRIVACY),
    ("nav.access_log", "/ui/privacy/access-log", Permission.RUN_PRIVACY),
    ("nav.segments", "/ui/segments", Permission.MANAGE_SEGMENTS),
    ("nav.imports", "/ui/imports", Permission.RECORD_TOUCHPOINTS),
    ("nav.completions", "/ui/completions", Permission.READ_TIMELINES),
    ("nav.finance", "/ui/finance", Permission.RUN_FINANCE),
    ("nav.users", "/ui/admin/users", Permission.MANAGE_USERS),
    ("nav.service_tokens", "/ui/admin/service-tokens", Permission.MANAGE_USERS),
    ("nav.offerings", "/ui/offerings", None),
    ("nav.partner_tiers", "/ui/partner-tiers", None),
    ("nav.digi_fellow", "/ui/programmes/digi_fellow", Permission.READ_CUSTOMERS),
    # Last: an admin's start page stays the users page.
    ("nav.duplicates", "/ui/duplicates", Permission.MERGE_CUSTOMERS),
)
"""Menu entries; each shows only to roles whose permission opens the page behind it (None:
every role). A role's first entry is its start page."""


def navigation(user: User | None) -> list[tuple[str, str]]:
    """The (label key, url) menu entries the user may open."""
    if user is None:
        return []
    return [
        (label, url)
        for label, url, permission in NAVIGATION
        if permission is None or can(user, permission)
    ]


def local_time(value: datetime | date | str | None, language: str = "fi") -> str:
    """A time in Finnish local time, written the way each language writes dates."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return local_text(datetime.fromisoformat(value), language)
        except ValueError:
            return value
    return local_text(value, language)


ISO_DAY_OR_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z))?$"
)


def shown_value(value: object, language: str = "fi") -> str:
    """A value as a page shows it: vocabulary in the language, days and moments (also as ISO
    text, the way events' details hold them) in Finnish time, anything else as it is."""
    if isinstance(value, datetime | date):
        return local_text(value, language)
    if isinstance(value, str) and ISO_DAY_OR_MOMENT.match(value):
        parsed = datetime.fromisoformat(value)
        return local_text(parsed if "T" in value else parsed.date(), language)
    return translate_value(language, value)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
    *,
    anonymous: bool = False,
) -> HTMLResponse:
    """A page in the user's language, with the layout's navigation and the session's CSRF token
    (`anonymous`: without reading the session, for pages shown when the database is away)."""
    session = WebSession() if anonymous else load_session(request)
    language = language_of(request)
    page_context = {
        "t": translator(language),
        "lang": language,
        "languages": LANGUAGES,
        "user": session.user,
        "nav": navigation(session.user),
        "csrf_field": CSRF_FIELD,
        "csrf_token": session.csrf,
        "path": request.url.path,
        "here": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        "local_time": lambda value: local_time(value, language),
        "tv": lambda value: shown_value(value, language),
        "number": lambda value: count_text(value, language),
        "may_run_privacy": session.user is not None and can(session.user, Permission.RUN_PRIVACY),
        "single_sign_on": bool(request.app.state.services.settings.oidc_issuer),
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, template, page_context, status_code=status)
    if not anonymous:
        save_session(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(
    request: Request,
    message: str,
    status: int,
    *,
    problems: list[str] | None = None,
    anonymous: bool = False,
) -> HTMLResponse:
    """The error page in the user's language: what went wrong and, for a form, each field's
    problem."""
    context = {"message": message, "problems": problems or [], "status": status}
    return render(request, "error.html", context, status, anonymous=anonymous)


def redirect(request: Request, url: str) -> RedirectResponse:
    """A 303 to a page (after a form), carrying any change to the session."""
    response = RedirectResponse(url, status_code=303)
    save_session(request, response)
    return response


def safe_next(url: str | None) -> str:
    """Where to go after signing in: only a page of this UI, never another site."""
    if url and url.startswith("/ui") and not url.startswith("//") and "\\" not in url:
        return url
    return "/ui"
