"""The completion registry page: look up completions by learner, organisation, offering and
period, and download a transcript or staff report (CSV, Finnish or English)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.bootstrap.wiring import Services
from api.http.access_log import AccessLogged
from api.services.completion_documents import report_pdf
from api.services.completion_registry import completion_filter, look_up, report_lines
from api.services.spreadsheet import csv_text
from api.web.forms import field_problems, link_position, parse_local_date
from api.web.session import language_of, page_user
from api.web.templating import render
from crm.application.users import User
from crm.domain.errors import InvalidFieldError
from projections.views.directory import CustomerDirectory
from projections.views.offerings import Offerings

router = APIRouter(prefix="/ui", include_in_schema=False)
SignedIn = Annotated[User, Depends(page_user)]
PAGE_SIZE = 50
FIELDS = ("person", "organisation", "offering_code", "start", "end")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.get("/completions")
def registry_page(request: Request, user: SignedIn, access: AccessLogged) -> Response:
    """Completions that match the filters, newest first, paged, with credits in all."""
    query = {name: request.query_params.get(name, "").strip() for name in FIELDS}
    parsed, problems = _parse(request, query)
    services = _services(request)
    first = link_position(request.query_params.get("offset"), 0)
    context: dict[str, Any] = {
        "filters": query,
        "problems": problems,
        "offerings": services.views.get(Offerings).active_choices(),
        "rows": [],
        "total": 0,
        "first": 0,
        "last": 0,
    }
    if not problems:
        try:
            where = completion_filter(services, **parsed)
        except InvalidFieldError as error:
            problems[error.field] = _problem(request, error.field, "value_error", error.problem)
        else:
            found = look_up(services, where, first, PAGE_SIZE)
            access.record(user, found.shown)
            kept = {k: v for k, v in query.items() if v}
            subject = parsed.get("person") or parsed.get("organisation")
            context |= {
                "rows": found.rows,
                "total": found.total,
                "credits": found.credits,
                "learners": found.learners,
                "names": found.offerings,
                "first": first + 1 if found.rows else 0,
                "last": first + len(found.rows),
                "previous": urlencode({**kept, "offset": max(first - PAGE_SIZE, 0)})
                if first
                else None,
                "next": urlencode({**kept, "offset": first + PAGE_SIZE})
                if first + len(found.rows) < found.total
                else None,
                "report": urlencode(kept) if subject else None,
                "subject": services.views.get(CustomerDirectory).names([subject]).get(subject)
                if subject
                else None,
            }
            if subject:
                access.record(user, [subject])
    status = 422 if problems else 200
    return render(request, "completions.html", context, status=status)


@router.get("/completions/report.csv", responses={200: {"content": {"text/csv": {}}}})
def report_page(request: Request, user: SignedIn, access: AccessLogged) -> Response:
    """A learner's transcript (`person`) or an organisation's staff report (`organisation`),
    in the UI's language."""
    return _report(request, user, access, "csv")


@router.get("/completions/report.pdf", responses={200: {"content": {"application/pdf": {}}}})
def printable_report(request: Request, user: SignedIn, access: AccessLogged) -> Response:
    """The transcript or staff report as a printable PDF, in the UI's language."""
    return _report(request, user, access, "pdf")


def _report(request: Request, user: User, access: Any, form: str) -> Response:
    query = {name: request.query_params.get(name, "").strip() for name in FIELDS}
    parsed, problems = _parse(request, query)
    if not problems and not (parsed.get("person") or parsed.get("organisation")):
        problems["person"] = _problem(request, "person", "missing")
    services = _services(request)
    if not problems:
        language = language_of(request)
        try:
            header, lines, found = report_lines(
                services, completion_filter(services, **parsed), language
            )
        except InvalidFieldError as error:
            problems[error.field] = _problem(request, error.field, "value_error", error.problem)
        else:
            subject: UUID = parsed.get("person") or parsed["organisation"]
            access.record(user, [*found.shown, subject])
            name = "transcript" if parsed.get("person") else "staff-completions"
            disposition = {"Content-Disposition": f'attachment; filename="{name}.{form}"'}
            if form == "csv":
                return Response(
                    csv_text(header, lines),
                    media_type="text/csv; charset=utf-8",
                    headers=disposition,
                )
            title = services.views.get(CustomerDirectory).names([subject]).get(subject)
            kind = "transcript" if parsed.get("person") else "staff"
            document = report_pdf(header, lines, language, kind, title)
            return Response(document, media_type="application/pdf", headers=disposition)
    context = {"filters": query, "problems": problems, "rows": [], "total": 0, "first": 0,
               "last": 0, "offerings": services.views.get(Offerings).active_choices()}  # fmt: skip
    return render(request, "completions.html", context, status=422)


def _problem(request: Request, field: str, error_type: str, detail: str = "") -> str:
    errors = [{"loc": (field,), "type": error_type, "ctx": {"error": detail}}]
    return field_problems(language_of(request), errors)[field]


def _parse(request: Request, query: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    parsed: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name in ("person", "organisation"):
        if query[name]:
            try:
                parsed[name] = UUID(query[name])
            except ValueError:
                problems[name] = _problem(request, name, "uuid_parsing")
    for name in ("start", "end"):
        if query[name]:
            try:
                day: date = parse_local_date(query[name])
                parsed[name] = day
            except ValueError:
                problems[name] = _problem(request, name, "date")
    if query["offering_code"]:
        parsed["offering_code"] = query["offering_code"][:40]
    return parsed, problems
