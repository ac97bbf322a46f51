"""Imports: upload a CSV or NDJSON export of touchpoints, and read an import's report."""

from __future__ import annotations

import tempfile
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.bootstrap.wiring import Services
from api.http.auth import require
from api.http.dependencies import ServicesDep
from api.permissions import Permission
from crm.adapters.postgres.import_log import PostgresImportLog
from crm.application.imports import (
    MAPPINGS,
    Importer,
    ImportFingerprint,
    ImportReport,
    read_rows,
)
from crm.application.users import User

router = APIRouter(prefix="/imports", tags=["imports"])
Uploader = Annotated[User, Depends(require(Permission.RECORD_TOUCHPOINTS))]
MappingName = Literal["native", "fair_visitors", "webinar_attendees", "course_completions"]


class RowErrorOut(BaseModel):
    line: int
    field: str
    reason: str


class ImportReportOut(BaseModel):
    """An import's outcome: counts, and the first invalid rows with line, field and reason."""

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


def report_out(report: ImportReport) -> ImportReportOut:
    return ImportReportOut(
        **{k: v for k, v in vars(report).items() if k not in ("errors", "last_line")},
        errors=[RowErrorOut(**vars(e)) for e in report.errors],
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
    responses={200: {"model": ImportReportOut}, 413: {"description": "Upload too large."}},
)
async def create_import(
    request: Request,
    response: Response,
    services: ServicesDep,
    user: Uploader,
    mapping: Annotated[MappingName, Query(description="Column mapping (docs/imports.md).")] = (
        "native"
    ),
    file_format: Annotated[
        Literal["csv", "ndjson"] | None,
        Query(alias="format", description="Defaults from the Content-Type."),
    ] = None,
    source: Annotated[str, Query(min_length=1, max_length=200)] = "upload",
) -> ImportReportOut:
    """Import a CSV or NDJSON export, streamed: valid rows are committed, invalid ones reported.

    The same file again adds nothing (200 with the first report); an interrupted import is
    resumed by uploading the same file again.
    """
    content_type = request.headers.get("content-type", "")
    chosen = file_format or ("ndjson" if "json" in content_type else "csv")
    log = services.import_log
    fingerprint = ImportFingerprint(mapping)
    with tempfile.TemporaryFile() as spool:
        async for chunk in request.stream():
            fingerprint.update(chunk)
            spool.write(chunk)
        import_id = fingerprint.import_id
        earlier = await run_in_threadpool(log.get, import_id)
        if earlier is not None and earlier.status == "completed":
            response.status_code = 200
            return report_out(earlier)
        spool.seek(0)
        report = await run_in_threadpool(
            _run, services, log, spool, import_id, source, mapping, chosen, user.name
        )
    return report_out(report)


def _run(
    services: Services,
    log: PostgresImportLog,
    spool: IO[bytes],
    import_id: str,
    source: str,
    mapping: str,
    file_format: str,
    recorded_by: str,
) -> ImportReport:
    return Importer(services.crm, log).run(
        read_rows(spool, file_format),
        import_id=import_id,
        source=source,
        mapping=MAPPINGS[mapping],
        recorded_by=recorded_by,
    )


@router.get("/{import_id}")
def read_import(
    import_id: Annotated[str, Path(max_length=64)], services: ServicesDep, user: Uploader
) -> ImportReportOut:
    """An import's report (progress while it runs)."""
    report = services.import_log.get(import_id)
    if report is None:
        raise HTTPException(404, f"No import {import_id}.")
    return report_out(report)
