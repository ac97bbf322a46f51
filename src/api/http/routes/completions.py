"""The completion registry: look up completions by learner, organisation (its staff),
catalogue code and period; a learner's transcript and an organisation's staff report as CSV in
Finnish or English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import ServicesDep, wait_until_visible
from api.http.parameters import After, Offset
from api.permissions import Permission
from api.services.completion_documents import report_pdf
from api.services.completion_registry import (
    HEADERS,
    completion_filter,
    look_up,
    report_csv,
    report_lines,
)
from crm.application.users import User
from projections.views.completions import Completions
from projections.views.directory import CustomerDirectory

router = APIRouter(tags=["completions"])
Reader = Annotated[User, Depends(require(Permission.READ_TIMELINES))]
Language = Literal["fi", "en"]
Code = Annotated[str | None, Query(max_length=40, description="A catalogue code.")]
CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": ",".join(HEADERS["en"].values())}
}


class CompletionOut(BaseModel):
    customer_id: UUID
    learner: str | None
    completed_on: date
    course: str | None
    grade: str | None
    offering_code: str | None
    offering_name_fi: str | None
    offering_name_en: str | None
    credits: Decimal
    institution: str


class CompletionPageOut(BaseModel):
    """Items `offset + 1` to `offset + len(completions)` of `total`; `credits` is the sum of
    all `total`."""

    completions: list[CompletionOut]
    total: int
    credits: Decimal
    offset: int


@router.get("/completions")
def look_up_completions(
    services: ServicesDep,
    user: Reader,
    access: AccessLogged,
    person: UUID | None = None,
    organisation: UUID | None = None,
    offering_code: Code = None,
    start: date | None = None,
    end: date | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: After = None,
) -> CompletionPageOut:
    """Completions newest first: of one learner (`person`), of an organisation's current
    staff (`organisation`), of one offering, in a period (inclusive days), or any mix."""
    wait_until_visible(services, [services.views.get(Completions)], after)
    where = completion_filter(
        services,
        person=person,
        organisation=organisation,
        offering_code=offering_code,
        start=start,
        end=end,
    )
    found = look_up(services, where, offset, limit)
    access.record(user, found.shown)
    return CompletionPageOut(
        completions=[
            CompletionOut(
                **{k: row[k] for k in ("customer_id", "completed_on", "course", "grade")},
                **{k: row[k] for k in ("offering_code", "credits", "institution")},
                learner=found.learners.get(row["customer_id"]),
                offering_name_fi=(found.offerings.get(row["offering_code"]) or {}).get("name_fi"),
                offering_name_en=(found.offerings.get(row["offering_code"]) or {}).get("name_en"),
            )
            for row in found.rows
        ],
        total=found.total,
        credits=found.credits,
        offset=offset,
    )


@router.get("/completions/transcript.csv", responses=CSV_ANSWER)
def read_transcript(
    services: ServicesDep,
    user: Reader,
    access: AccessLogged,
    person: UUID,
    language: Language = "fi",
) -> Response:
    """A learner's transcript: every completion, oldest first, with credits in all."""
    text, _ = report_csv(services, completion_filter(services, person=person), language)
    access.record(user, [person])
    return _csv(text, f"transcript-{person}.csv")


@router.get("/completions/staff-report.csv", responses=CSV_ANSWER)
def read_staff_report(
    services: ServicesDep,
    user: Reader,
    access: AccessLogged,
    organisation: UUID,
    start: date | None = None,
    end: date | None = None,
    language: Language = "fi",
) -> Response:
    """An organisation's staff report: its current staff's completions in the period."""
    where = completion_filter(services, organisation=organisation, start=start, end=end)
    text, found = report_csv(services, where, language)
    access.record(user, found.shown)
    return _csv(text, f"staff-completions-{organisation}.csv")


PDF_ANSWER: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


@router.get("/completions/transcript.pdf", responses=PDF_ANSWER)
def print_transcript(
    services: ServicesDep,
    user: Reader,
    access: AccessLogged,
    person: UUID,
    language: Language = "fi",
) -> Response:
    """The learner's transcript as a printable PDF."""
    header, lines, _ = report_lines(services, completion_filter(services, person=person), language)
    name = services.views.get(CustomerDirectory).names([person]).get(person)
    access.record(user, [person])
    return _pdf(report_pdf(header, lines, language, "transcript", name), f"transcript-{person}")


@router.get("/completions/staff-report.pdf", responses=PDF_ANSWER)
def print_staff_report(
    services: ServicesDep,
    user: Reader,
    access: AccessLogged,
    organisation: UUID,
    start: date | None = None,
    end: date | None = None,
    language: Language = "fi",
) -> Response:
    """The organisation's staff report as a printable PDF."""
    where = completion_filter(services, organisation=organisation, start=start, end=end)
    header, lines, found = report_lines(services, where, language)
    name = services.views.get(CustomerDirectory).names([organisation]).get(organisation)
    access.record(user, found.shown)
    document = report_pdf(header, lines, language, "staff", name)
    return _pdf(document, f"staff-completions-{organisation}")


def _pdf(document: bytes, filename: str) -> Response:
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
    )


def _csv(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
