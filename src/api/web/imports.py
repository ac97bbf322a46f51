"""The import page: upload an export, see what it was recognised as and its first rows as they
would be recorded (a dry run of the whole file), then import it and read the report, with the
row errors to download."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.bootstrap.wiring import Services
from api.services.import_preview import preview_import
from api.services.spreadsheet import csv_bytes
from api.services.upload_staging import UploadStaging
from api.web.i18n import field_problem, translate
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.import_formats import MAPPINGS, ReportOptions
from crm.application.imports import (
    Importer,
    ImportFailedError,
    ImportRequest,
    import_file,
)
from crm.application.users import User
from crm.domain.calendar import TIME_ZONE_NAME, zone_named
from crm.domain.errors import InvalidFieldError

router = APIRouter(prefix="/ui/imports", include_in_schema=False)
Importing = Annotated[User, Depends(page_user)]
STAGING = UploadStaging()
MAX_SOURCE = 200


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _form_values(form: Any) -> dict[str, str]:
    return {
        "mapping": str(form.get("mapping") or ""),
        "timezone": str(form.get("timezone") or TIME_ZONE_NAME).strip()[:64],
        "source": str(form.get("source") or "").strip()[:MAX_SOURCE],
    }


def _request(
    services: Services, user: User, values: dict[str, str], language: str
) -> tuple[ImportRequest | None, list[str]]:
    """The import the form asks for, or the problems with the form."""
    problems = []
    mapping = values["mapping"] or None
    if mapping is not None and mapping not in MAPPINGS:
        problems.append(field_problem(language, "mapping", "literal_error"))
    try:
        zone = zone_named(values["timezone"])
    except InvalidFieldError:
        problems.append(field_problem(language, "timezone", "invalid"))
        zone = None
    if problems or zone is None:
        return None, problems
    staff = tuple(services.settings.staff_email_domains)
    request = ImportRequest(
        values["source"] or "web upload", user.name, mapping, None, ReportOptions(zone, staff)
    )
    return request, []


def _page(
    request: Request,
    values: dict[str, str],
    *,
    status: int = 200,
    errors: list[str] | None = None,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "imports.html",
        {
            "values": values,
            "mappings": list(MAPPINGS.values()),
            "errors": errors or [],
            "preview": None,
            "token": "",
            **context,
        },
        status=422 if errors else status,
    )


@router.get("")
def imports_page(request: Request, user: Importing) -> HTMLResponse:
    """Choose a file to import."""
    return _page(request, _form_values({}))


@router.post("")
async def preview_form(request: Request, user: Importing) -> HTMLResponse:
    """Keep the upload and show what importing it would do (nothing is stored yet)."""
    form = await request.form()
    values = _form_values(form)
    language = language_of(request)
    upload = form.get("file")
    services = _services(request)
    import_request, problems = _request(services, user, values, language)
    if not isinstance(upload, UploadFile) or not upload.filename:
        problems.append(field_problem(language, "file", "missing"))
    if import_request is None or problems or not isinstance(upload, UploadFile):
        return _page(request, values, errors=problems)
    if not values["source"]:
        values["source"] = (upload.filename or "")[:MAX_SOURCE]
        import_request.source = values["source"] or import_request.source
    token = await run_in_threadpool(STAGING.stage, user.name, upload.file)
    return await _preview(request, user, values, token, import_request)


async def _preview(
    request: Request, user: User, values: dict[str, str], token: str, wanted: ImportRequest
) -> HTMLResponse:
    path = STAGING.find(user.name, token)
    language = language_of(request)
    if path is None:
        return _page(request, values, errors=[translate(language, "imports.expired")])
    services = _services(request)

    def look() -> Any:
        with path.open("rb") as stream:
            return preview_import(services, stream, wanted)

    try:
        preview = await run_in_threadpool(look)
    except InvalidFieldError as error:
        problem = (
            translate(language, "imports.unrecognised")
            if error.field == "mapping"
            else field_problem(language, error.field, "invalid")
        )
        return _page(request, values, errors=[problem], token=token)
    values["mapping"] = preview.mapping.name
    return _page(request, values, preview=preview, token=token)


@router.post("/run")
async def run_form(request: Request, user: Importing) -> Response:
    """Import the previewed upload (or preview it again with another mapping or zone)."""
    form = await request.form()
    values = _form_values(form)
    token = str(form.get("token") or "")
    language = language_of(request)
    services = _services(request)
    import_request, problems = _request(services, user, values, language)
    path = STAGING.find(user.name, token)
    if path is None:
        problems.append(translate(language, "imports.expired"))
    if import_request is None or problems or path is None:
        return _page(request, values, errors=problems)
    if form.get("action") == "preview":
        return await _preview(request, user, values, token, import_request)
    importer = Importer(services.crm, services.import_log)

    def run() -> str:
        with path.open("rb") as stream:
            report, _ = import_file(importer, stream, import_request)
        return report.import_id

    try:
        import_id = await run_in_threadpool(run)
    except ImportFailedError as error:
        return _page(request, values, errors=[str(error)], status=503, token=token)
    except InvalidFieldError:
        return _page(request, values, errors=[translate(language, "imports.unrecognised")])
    STAGING.discard(user.name, token)
    return redirect(request, f"/ui/imports/{import_id}")


def _report_or_404(request: Request, import_id: str) -> Any:
    if len(import_id) > 64:
        return None
    return _services(request).import_log.get(import_id)


@router.get("/{import_id}")
def report_page(request: Request, user: Importing, import_id: str) -> HTMLResponse:
    """An import's report: counts and the first row errors."""
    report = _report_or_404(request, import_id)
    if report is None:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    return render(request, "import_report.html", {"report": report})


@router.get("/{import_id}/errors.csv", responses={200: {"content": {"text/csv": {}}}})
def errors_csv(request: Request, user: Importing, import_id: str) -> Response:
    """The import's row errors (line, field, reason; never a row's values) for Excel."""
    report = _report_or_404(request, import_id)
    if report is None:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    content = csv_bytes(
        ("line", "field", "reason"),
        ((e.line, e.field, e.reason) for e in report.errors),
        delimiter=";",
        byte_order_mark=True,
    )
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'},
    )
