"""The server-rendered web UI: pages, sessions, CSRF and the Finnish/English texts."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.web import (
    account,
    admin,
    customer_edits,
    customers,
    insights,
    privacy,
    privacy_requests,
    segments,
)
from api.web.session import CsrfError, LoginRequiredError, PageForbiddenError
from api.web.templating import render, safe_next

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def install_web(app: FastAPI) -> None:
    """Mount the static files and the pages, and answer page errors with pages."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(account.router)
    # Before the customer pages: "/ui/customers/new" is not a customer id.
    app.include_router(customer_edits.router)
    app.include_router(customers.router)
    app.include_router(admin.router)
    app.include_router(insights.router)
    app.include_router(privacy.router)
    app.include_router(privacy_requests.router)
    app.include_router(segments.router)

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
