"""Imports: upload a CSV or NDJSON export of touchpoints, and read an import's report."""

from __future__ import annotations

import tempfile
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.http.auth import require
from api.http.dependencies import ServicesDep
from api.permissions import Permission, can
from api.services.duplicates import FLAGS_SHOWN, VisibleFlags, flag_list, import_flags
from crm.application.import_formats import ColumnMapping
from crm.application.imports import (
    Importer,
    ImportFailedError,
    ImportReport,
    ImportRequest,
    ReportOptions,
    import_file,
)
from crm.application.users import User
from crm.domain.calendar import TIME_ZONE_NAME, zone_named
from projections.duplicates.flags import MAX_CHECKED

router = APIRouter(prefix="/imports", tags=["imports"])

Uploader = Annotated[User, Depends(require(Permission.RECORD_TOUCHPOINTS))]
MappingName = Literal[
    "native",
    "fair_visitors",
    "webinar_attendees",
    "course_completions",
    "zoom_webinar_attendees",
    "zoom_webinar_registrations",
    "zoom_meeting_participants",
    "teams_attendance",
    "moodle_course_completion",
    "moodle_grades",
]


class RowErrorOut(BaseModel):
    line: int
    field: str
    reason: str


class ProbableDuplicateOut(BaseModel):
    """A customer the import recorded events for, and another that is probably the same."""

    customer_id: UUID
    other_id: UUID
    score: float
    evidence: list[str]
    mergeable: bool = Field(description="Whether the caller may merge the two.")
    compare: str = Field(description="The side-by-side comparison page of the two.")


class ProbableDuplicatesOut(BaseModel):
    """Probable duplicates of what the import recorded, found by the duplicate candidate
    scorer from what the directory holds (docs/duplicates.md)."""

    customers: int = Field(description="Customers the import recorded events for.")
    checked: int = Field(description=f"How many of them were checked (at most {MAX_CHECKED}).")
    compared: int = Field(description="Directory rows they were compared with.")
    flagged: int = Field(
        description=f"Pairs found: all of them; `pairs` lists the first {FLAGS_SHOWN}."
    )
    keys_left_out: int = Field(description="Keys shared by too many customers to pair.")
    pairs: list[ProbableDuplicateOut]


class ImportReportOut(BaseModel):
    """An import's outcome: counts, the first invalid rows with line, field and reason, and
    once it has ended, probable duplicates of the customers it recorded (for callers who may
    merge customers; otherwise null)."""

    import_id: str
    source: str
    mapping: str
    status: str
    rows: int
    recorded: int
    duplicates: int
    invalid: int
    customers_created: int
    errors: list[RowErrorOut]
    probable_duplicates: ProbableDuplicatesOut | None = None


def report_out(
    report: ImportReport, duplicates: ProbableDuplicatesOut | None = None
) -> ImportReportOut:
    return ImportReportOut(
        **{k: v for k, v in vars(report).items() if k not in ("errors", "last_line")},
        errors=[RowErrorOut(**vars(e)) for e in report.errors],
        probable_duplicates=duplicates,
    )


def probable_duplicates_out(visible: VisibleFlags) -> ProbableDuplicatesOut:
    """The flags as the report shows them: the first `FLAGS_SHOWN` pairs and the counts."""
    flags = visible.flags
    return ProbableDuplicatesOut(
        customers=flags.to_check,
        checked=flags.checked,
        compared=flags.compared,
        flagged=len(flags.pairs),
        keys_left_out=flags.keys_left_out,
        pairs=[ProbableDuplicateOut(**vars(flag)) for flag in flag_list(visible)],
    )


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "",
    status_code=201,
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"model": ImportReportOut},
        413: {"description": "Upload too large."},
        422: {"description": "Unrecognised format, unknown time zone or bad parameter."},
        503: {"description": "The import stopped; it is marked failed with the reason."},
    },
)
async def create_import(
    request: Request,
    response: Response,
    services: ServicesDep,
    user: Uploader,
    mapping: Annotated[
        MappingName | None,
        Query(description="Column mapping (docs/imports.md); recognised from the content."),
    ] = None,
    file_format: Annotated[
        Literal["csv", "ndjson", "xlsx"] | None,
        Query(alias="format", description="Recognised from the content when left out."),
    ] = None,
    source: Annotated[str, Query(min_length=1, max_length=200)] = "upload",
    time_zone: Annotated[
        str, Query(alias="timezone", max_length=64, description="Zone of the report's times.")
    ] = TIME_ZONE_NAME,
    dry_run: Annotated[bool, Query(description="Decide every row but store nothing.")] = False,
    saved_mapping: Annotated[
        str | None,
        Query(max_length=100, description="A column mapping saved on the import page, by name."),
    ] = None,
    offering_code: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=40,
            description="The catalogue code of the course a Moodle export is of, when its file"
            " name (completion-CODE.csv, CODE Grades.csv) does not say.",
        ),
    ] = None,
) -> ImportReportOut:
    """Import an export (Zoom, Teams, the provider's lists, native CSV/NDJSON, .xlsx), streamed:
    valid rows are committed, invalid ones reported with line, field and reason.

    The same file again adds nothing (200 with the first report); an interrupted import is
    resumed by uploading the same file again. A dry run stores nothing.
    """
    content_type = request.headers.get("content-type", "")
    if file_format is None and "json" in content_type:
        file_format = "ndjson"
    chosen: str | ColumnMapping | None = mapping
    if saved_mapping is not None:
        chosen = services.import_mappings.get(saved_mapping)
        if chosen is None:
            raise HTTPException(
                422,
                [{"loc": ["query", "saved_mapping"], "msg": "no mapping is saved under this"
                  " name", "type": "value_error"}],
            )  # fmt: skip
    import_request = ImportRequest(
        source,
        user.name,
        chosen,
        file_format,
        ReportOptions(
            zone_named(time_zone), tuple(services.settings.staff_email_domains), offering_code
        ),
        dry_run,
    )
    with tempfile.TemporaryFile() as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        importer = Importer(services.crm, services.import_log)
        try:
            report, earlier = await run_in_threadpool(import_file, importer, spool, import_request)
        except ImportFailedError as error:
            raise HTTPException(503, f"{error} (upload the same file again to resume)") from error
    if earlier:
        response.status_code = 200
    return report_out(report)


@router.get("/{import_id}")
def read_import(
    import_id: Annotated[str, Path(max_length=64)], services: ServicesDep, user: Uploader
) -> ImportReportOut:
    """An import's report (progress while it runs); once it has ended, probable duplicates of
    the customers it recorded, for callers who may merge customers."""
    report = services.import_log.get(import_id)
    if report is None:
        raise HTTPException(404, f"No import {import_id}.")
    duplicates = None
    if report.status != "running" and can(user, Permission.MERGE_CUSTOMERS):
        duplicates = probable_duplicates_out(import_flags(services, user, import_id))
    return report_out(report, duplicates)
