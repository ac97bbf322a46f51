"""Unsubscribes and bounces from the e-mail tool: an uploaded export, or a signed webhook."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import AwareDatetime, BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from api.http.auth import require
from api.http.dependencies import ServicesDep
from api.http.routes.imports import RowErrorOut
from api.http.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify
from api.permissions import Permission
from crm.application.import_formats import ReportOptions
from crm.application.mail_feedback import (
    DEFAULT_LIST,
    FEEDBACK_KINDS,
    FeedbackReport,
    MailFeedback,
    read_feedback_file,
    record_feedback,
)
from crm.application.users import User
from crm.domain.calendar import TIME_ZONE_NAME, zone_named
from crm.domain.identity import normalise_email

router = APIRouter(prefix="/mail-feedback", tags=["mail feedback"])
Marketer = Annotated[User, Depends(require(Permission.MANAGE_SEGMENTS))]
Kind = Literal[FEEDBACK_KINDS]  # type: ignore[valid-type]
WEBHOOK_USER = "mail-tool-webhook"
MAX_WEBHOOK_EVENTS = 1000


class FeedbackReportOut(BaseModel):
    """What became of the entries; problems by line (or by index for the webhook)."""

    entries: int
    unsubscribed: int
    bounced: int
    consents_withdrawn: int
    ignored: int = Field(description="Soft bounces: nothing changes.")
    duplicates: int = Field(description="Entries recorded before: nothing new stored.")
    unknown: int = Field(description="Addresses of no customer: nothing recorded.")
    invalid: int
    errors: list[RowErrorOut]
    position: int | None = Field(
        description="The last recorded event's log position (pass as `after=` to reads)."
    )


def report_out(report: FeedbackReport) -> FeedbackReportOut:
    return FeedbackReportOut(
        **{k: v for k, v in vars(report).items() if k not in ("errors", "positions")},
        errors=[RowErrorOut(**vars(e)) for e in report.errors],
        position=max(report.positions, default=None),
    )


class WebhookEvent(BaseModel):
    """One thing the e-mail tool reports."""

    email: str = Field(min_length=3, max_length=320)
    type: Kind
    occurred_at: AwareDatetime
    list: str = Field(DEFAULT_LIST, min_length=1, max_length=500)
    reason: str | None = Field(None, max_length=500)


class WebhookBody(BaseModel):
    """The webhook's JSON body: the events of one delivery."""

    events: list[WebhookEvent] = Field(min_length=1, max_length=MAX_WEBHOOK_EVENTS)


UPLOAD_BODY = {
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
}


@router.post("/files", openapi_extra=UPLOAD_BODY)
async def upload_feedback(
    request: Request,
    services: ServicesDep,
    user: Marketer,
    kind: Annotated[
        Kind | None,
        Query(description="What every row is, for exports without an event column."),
    ] = None,
    time_zone: Annotated[
        str, Query(alias="timezone", max_length=64, description="Zone of the file's times.")
    ] = TIME_ZONE_NAME,
) -> FeedbackReportOut:
    """Record an e-mail tool's export of unsubscribes and bounces (CSV in any encoding and
    separator, or .xlsx): columns email, event/type/status, time, list and reason."""
    options = ReportOptions(zone_named(time_zone))
    purpose = services.settings.mail_feedback_purpose
    with tempfile.SpooledTemporaryFile(1 << 20) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)

        def record() -> FeedbackReport:
            entries = read_feedback_file(
                spool, default_kind=kind, received_at=datetime.now(UTC), options=options
            )
            return record_feedback(services.crm, entries, recorded_by=user.name, purpose=purpose)

        return report_out(await run_in_threadpool(record))


@router.post(
    "/webhook",
    responses={
        401: {"description": "Unsigned, wrongly signed, or a timestamp out of tolerance."},
        404: {"description": "No webhook secret is configured."},
    },
)
async def feedback_webhook(request: Request, services: ServicesDep) -> FeedbackReportOut:
    """The e-mail tool's webhook, signed instead of a token: headers `X-Signature-Timestamp`
    (Unix seconds) and `X-Signature` (`sha256=` + hex HMAC-SHA256 of `timestamp.body` with
    `CRM_MAIL_WEBHOOK_SECRET`). Body `{"events": [{"email", "type", "occurred_at", "list",
    "reason"}]}`; a delivery repeated stores nothing new."""
    settings = services.settings
    if settings.mail_webhook_secret is None:
        raise HTTPException(404, "The e-mail tool's webhook is not configured.")
    body = await request.body()
    try:
        verify(
            settings.mail_webhook_secret.get_secret_value().encode(),
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            body,
            tolerance_seconds=settings.mail_webhook_tolerance_seconds,
        )
    except SignatureError as error:
        raise HTTPException(401, str(error)) from None
    try:
        parsed = WebhookBody.model_validate_json(body)
    except ValidationError as error:
        raise HTTPException(
            422,
            [
                {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in error.errors(include_url=False, include_input=False)
            ],
        ) from None
    entries = [
        (
            index,
            MailFeedback(
                normalise_email(event.email),
                event.type,
                event.occurred_at,
                event.list,
                event.reason,
            ),
        )
        for index, event in enumerate(parsed.events)
    ]
    purpose = settings.mail_feedback_purpose
    report = await run_in_threadpool(
        record_feedback, services.crm, entries, recorded_by=WEBHOOK_USER, purpose=purpose
    )
    return report_out(report)
