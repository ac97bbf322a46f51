"""The server-rendered web UI: pages, sessions, CSRF and the Finnish/English texts."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.http.security_headers import secured
from api.web import (
    account,
    admin,
    completions,
    customer_edits,
    customers,
    duplicates,
    finance,
    imports,
    insights,
    offerings,
    pipeline,
    privacy,
    privacy_requests,
    segments,
    service_tokens,
    single_sign_on,
    tasks,
)
from api.web.forms import field_problems
from api.web.session import CsrfError, LoginRequiredError, PageForbiddenError, language_of
from api.web.templating import error_page, render, safe_next
from crm.domain.errors import NotFoundError

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
log = logging.getLogger(__name__)
Handler = Callable[[Request, Any], Any]

STATUS_MESSAGES = {
    404: "error.page_not_found",
    405: "error.method",
    409: "error.conflict",
    413: "error.too_large",
    422: "error.invalid",
    429: "error.too_many",
    503: "error.unavailable",
}
"""The error page's text for each status an answer to a page can have; others: `error.internal`."""

KEPT_HEADERS = ("retry-after", "allow")


def is_page(request: Request) -> bool:
    """Whether the request is for the web UI (answered with pages), not the API (JSON)."""
    path = request.url.path
    return path == "/ui" or path.startswith("/ui/")


def _pages_answer_with_pages(handler: Handler) -> Handler:
    """`handler` for the API; for a page, the error page in the UI's language with the status
    (and Retry-After or Allow) the API would answer."""

    async def answer(request: Request, error: Exception) -> Response:
        if not is_page(request) or not isinstance(error, HTTPException):
            response: Response = handler(request, error)
            if inspect.isawaitable(response):
                response = await response
            if not is_page(request):
                return response
            status, headers = response.status_code, dict(response.headers)
        else:
            status, headers = error.status_code, dict(error.headers or {})
        problems: list[str] = []
        if isinstance(error, RequestValidationError):
            problems = list(field_problems(language_of(request), error.errors()).values())
        message = STATUS_MESSAGES.get(status, "error.internal")
        if isinstance(error, NotFoundError):
            message = "error.not_found"
        page = await run_in_threadpool(
            error_page, request, message, status, problems=problems, anonymous=status >= 500
        )
        for name, value in headers.items():
            if name.lower() in KEPT_HEADERS:
                page.headers[name] = value
        return page

    return answer


def _server_error(request: Request, error: Exception) -> Response:
    """An unexpected error: a page in the UI's language for pages, plain text for the API;
    with the security headers, which the middleware cannot add to this answer."""
    if not is_page(request):
        return secured(request.scope, PlainTextResponse("Internal Server Error", status_code=500))
    log.exception("page %s failed", request.url.path, exc_info=error)
    return secured(request.scope, error_page(request, "error.internal", 500, anonymous=True))


def install_web(app: FastAPI) -> None:
    """Mount the static files and the pages, and answer page errors with pages (every error
    the app answers, and unknown addresses under /ui), in the UI's language."""
    for error_class, handler in list(app.exception_handlers.items()):
        if isinstance(error_class, type):
            app.add_exception_handler(error_class, _pages_answer_with_pages(handler))
    app.add_exception_handler(Exception, _server_error)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(account.router)
    app.include_router(single_sign_on.router)
    # Before the customer pages: "/ui/customers/new" is not a customer id.
    app.include_router(customer_edits.router)
    app.include_router(customers.router)
    app.include_router(admin.router)
    app.include_router(service_tokens.router)
    app.include_router(imports.router)
    app.include_router(insights.router)
    app.include_router(privacy.router)
    app.include_router(privacy_requests.router)
    app.include_router(segments.router)
    app.include_router(tasks.router)
    app.include_router(pipeline.router)
    app.include_router(offerings.router)
    app.include_router(finance.router)
    app.include_router(completions.router)
    app.include_router(duplicates.router)

    @app.exception_handler(LoginRequiredError)
    def login_required(request: Request, error: LoginRequiredError) -> HTMLResponse:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        nxt = safe_next(here if request.method == "GET" else "/ui")
        context = {"next": nxt, "message": "login.required"}
        return render(request, "login.html", context, status=401)

    @app.exception_handler(PageForbiddenError)
    def forbidden(request: Request, error: PageForbiddenError) -> HTMLResponse:
        return render(request, "error.html", {"message": "error.forbidden"}, status=403)

    @app.exception_handler(CsrfError)
    def csrf_failed(request: Request, error: CsrfError) -> HTMLResponse:
        return render(request, "error.html", {"message": "error.csrf"}, status=403)
