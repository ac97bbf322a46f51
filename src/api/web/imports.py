"""The import page: upload an export, see what it was recognised as and its first rows as they
would be recorded (a dry run of the whole file), then import it and read the report, with the
row errors to download."""

from __future__ import annotations

import itertools
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.bootstrap.wiring import Services
from api.permissions import Permission, can
from api.services.duplicates import flag_list, import_flags
from api.services.import_preview import preview_import
from api.services.spreadsheet import csv_bytes
from api.services.upload_staging import UploadStaging
from api.web.i18n import field_problem, translate
from api.web.session import language_of, page_user
from api.web.templating import redirect, render
from crm.application.import_formats import MAPPINGS, ColumnMapping, ReportOptions, open_import
from crm.application.import_formats.mappings import SAVED_PREFIX, saved_mapping
from crm.application.imports import (
    Importer,
    ImportRequest,
    import_file,
    planned_import,
)
from crm.application.users import User
from crm.domain.calendar import HELSINKI, TIME_ZONE_NAME, zone_named
from crm.domain.errors import InvalidFieldError
from crm.domain.events import TOUCHPOINT_KINDS

router = APIRouter(prefix="/ui/imports", include_in_schema=False)
Importing = Annotated[User, Depends(page_user)]
STAGING = UploadStaging()
RUNNING = ThreadPoolExecutor(2, thread_name_prefix="web-import")
"""Imports started from the page run here, two at a time, while their report page refreshes."""
REFRESH_SECONDS = 2
log = logging.getLogger(__name__)
MAX_SOURCE = 200
MAX_COLUMNS = 100


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _form_values(form: Any) -> dict[str, str]:
    return {
        "mapping": str(form.get("mapping") or ""),
        "timezone": str(form.get("timezone") or TIME_ZONE_NAME).strip()[:64],
        "source": str(form.get("source") or "").strip()[:MAX_SOURCE],
        # The course a Moodle export is of, when its file name no longer says (catalogue
        # codes are at most 40 characters; each row is checked against the catalogue).
        "offering_code": str(form.get("offering_code") or "").strip()[:40],
    }


COMMON_FIELDS = (
    "email", "name", "first_name", "last_name", "phone", "occurred_at", "institution", "channel",
    "notes",
)  # fmt: skip
MAX_MAPPING_NAME = 100


def mappable_fields() -> list[str]:
    """The fields a column can fill: the person and the time, then every touchpoint field."""
    own = {f.name for kind in TOUCHPOINT_KINDS.values() for f in kind.own_fields()}
    return [*COMMON_FIELDS, *sorted(own - set(COMMON_FIELDS))]


def _request(
    services: Services, user: User, values: dict[str, str], language: str
) -> tuple[ImportRequest | None, list[str]]:
    """The import the form asks for, or the problems with the form."""
    problems = []
    mapping: str | ColumnMapping | None = values["mapping"] or None
    if isinstance(mapping, str) and mapping.startswith(SAVED_PREFIX):
        mapping = services.import_mappings.get(mapping)
        if mapping is None:
            problems.append(field_problem(language, "mapping", "not_found"))
    elif mapping is not None and mapping not in MAPPINGS:
        problems.append(field_problem(language, "mapping", "literal_error"))
    try:
        zone = zone_named(values["timezone"])
    except InvalidFieldError:
        problems.append(field_problem(language, "timezone", "invalid"))
        zone = None
    if problems or zone is None:
        return None, problems
    staff = tuple(services.settings.staff_email_domains)
    options = ReportOptions(zone, staff, values["offering_code"] or None)
    request = ImportRequest(values["source"] or "web upload", user.name, mapping, None, options)
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
            "saved_mappings": _services(request).import_mappings.every(),
            "mappable_fields": mappable_fields(),
            "touchpoint_kinds": list(TOUCHPOINT_KINDS),
            "headers": [],
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
        headers = await run_in_threadpool(_headers, path)
        return _page(request, values, errors=[problem], token=token, headers=headers)
    values["mapping"] = preview.mapping.name
    headers = [column for column, _ in preview.columns] if preview.file_format != "ndjson" else []
    return _page(request, values, preview=preview, token=token, headers=headers)


def _headers(path: Path) -> list[str]:
    """The file's column names, read as a plain table (for mapping them by hand)."""
    with path.open("rb") as stream:
        opened = open_import(stream, mapping="native", options=ReportOptions(HELSINKI))
        for _, raw in itertools.islice(opened.rows, 50):
            if isinstance(raw, dict):
                return [column for column in raw if column][:MAX_COLUMNS]
    return []


def _mapping_from(form: Any, language: str) -> tuple[ColumnMapping | None, list[str]]:
    """The column mapping chosen on the page, or the problems with it."""
    problems = []
    name = str(form.get("mapping_name") or "").strip()
    kind = str(form.get("mapping_kind") or "")
    if not name or len(name) > MAX_MAPPING_NAME:
        problems.append(
            field_problem(
                language,
                "mapping_name",
                "missing" if not name else "string_too_long",
                {"max_length": MAX_MAPPING_NAME},
            )
        )
    if kind not in TOUCHPOINT_KINDS:
        problems.append(field_problem(language, "mapping_kind", "literal_error"))
    fields = set(mappable_fields())
    columns: dict[str, str] = {}
    for index in range(MAX_COLUMNS):
        column = str(form.get(f"column_{index}") or "")
        chosen = str(form.get(f"field_{index}") or "")
        if column and chosen in fields:
            columns[column] = chosen
    if "email" not in columns.values():
        problems.append(translate(language, "imports.mapping_needs_email"))
    if problems:
        return None, problems
    return saved_mapping(name, kind, columns, {}), []


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
    if form.get("action") == "map":
        chosen, mapping_problems = _mapping_from(form, language)
        if chosen is None:
            headers = await run_in_threadpool(_headers, path)
            return _page(request, values, errors=mapping_problems, token=token, headers=headers)
        services.import_mappings.save(chosen, user.name)
        values["mapping"] = chosen.name
        import_request.mapping = chosen
        return await _preview(request, user, values, token, import_request)
    if form.get("action") == "preview":
        return await _preview(request, user, values, token, import_request)

    def plan() -> tuple[str, str]:
        with path.open("rb") as stream:
            import_id, mapping, _ = planned_import(stream, import_request)
        return import_id, mapping.name

    try:
        import_id, mapping_name = await run_in_threadpool(plan)
    except InvalidFieldError:
        return _page(request, values, errors=[translate(language, "imports.unrecognised")])
    earlier = services.import_log.get(import_id)
    if earlier is not None and earlier.status in ("completed", "running"):
        # The same file again: its import is done, or under way.
        if earlier.status == "completed":
            STAGING.discard(user.name, token)
        return redirect(request, f"/ui/imports/{import_id}")
    # Recorded before the page answers, so the report page finds it while it runs.
    services.import_log.start(import_id, import_request.source, mapping_name)
    RUNNING.submit(_run_staged, services, user.name, token, path, import_request)
    return redirect(request, f"/ui/imports/{import_id}")


def _run_staged(
    services: Services, user_name: str, token: str, path: Path, import_request: ImportRequest
) -> None:
    """Import a staged upload (in the background; its progress is in the import log), then
    discard it. A failure is recorded on the import by the importer."""
    try:
        with path.open("rb") as stream:
            import_file(Importer(services.crm, services.import_log), stream, import_request)
    except Exception:
        log.exception("import of a staged upload stopped")
    finally:
        STAGING.discard(user_name, token)


def _report_or_404(request: Request, import_id: str) -> Any:
    if len(import_id) > 64:
        return None
    return _services(request).import_log.get(import_id)


@router.get("/{import_id}")
def report_page(request: Request, user: Importing, import_id: str) -> HTMLResponse:
    """An import's report: counts and the first row errors; once it has ended, probable
    duplicates of the customers it recorded (for users who may merge customers), each
    linking to the comparison page."""
    report = _report_or_404(request, import_id)
    if report is None:
        return render(request, "error.html", {"message": "error.not_found"}, status=404)
    context: dict[str, Any] = {"report": report, "refresh_seconds": REFRESH_SECONDS}
    if report.status != "running" and can(user, Permission.MERGE_CUSTOMERS):
        flags = import_flags(_services(request), user, import_id)
        # Ids only: the report names no one (the comparison page does, and logs the read).
        context.update(flags=flags, flag_list=flag_list(flags), flag_names={})
    return render(request, "import_report.html", context)


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
