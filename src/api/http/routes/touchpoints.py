"""Touchpoints: record any kind through one endpoint, and read the customer's timeline."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import orjson
from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.concurrency import run_in_threadpool
from psycopg.rows import DictRow

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import (
    IdempotencyHeader,
    ServicesDep,
    client_key,
    provenance,
    wait_until_visible,
)
from api.http.schemas import RecordedOut, TimelinePageOut, TimelineQuery
from api.http.touchpoint_schemas import TouchpointIn
from api.permissions import Permission
from crm.application.users import User
from crm.domain.errors import CustomerNotFoundError, InvalidFieldError
from crm.domain.events import CUSTOMER_EVENT_CLASSES
from projections.engine.merges import MergeMap
from projections.views.timeline import CursorError, Timeline

router = APIRouter(prefix="/customers/{customer_id}", tags=["touchpoints"])
ALL_KINDS = [cls.kind() for cls in CUSTOMER_EVENT_CLASSES]
Recorder = Annotated[User, Depends(require(Permission.RECORD_TOUCHPOINTS))]


@router.post("/touchpoints", status_code=201, responses={200: {"model": RecordedOut}})
async def record_touchpoint(
    customer_id: UUID,
    touchpoint: Annotated[TouchpointIn, Body()],
    response: Response,
    services: ServicesDep,
    user: Recorder,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Record one touchpoint; `kind` selects which fields apply.

    Marketing contacts need a valid consent for their purpose at `occurred_at` (409 without);
    leads move captured -> qualified -> converted or lost; refunds cannot exceed the purchase.
    """
    fields = touchpoint.model_dump(
        exclude={"kind", "occurred_at", "institution", "channel", "idempotency_key"}
    )
    command = services.crm.touchpoint_command(
        customer_id,
        provenance(
            user,
            occurred_at=touchpoint.occurred_at,
            institution=touchpoint.institution,
            channel=touchpoint.channel,
            idempotency_key=client_key(
                services,
                user,
                touchpoint.idempotency_key or idempotency_key,
                {"customer_id": str(customer_id), **touchpoint.model_dump(mode="json")},
            ),
        ),
        touchpoint.kind,  # type: ignore[attr-defined]  # every concrete model has `kind`
        fields,
    )
    if services.committer is not None:
        # Concurrent touchpoints share one transaction (group commit); the request waits on
        # the event loop rather than holding a worker thread.
        recorded = await services.committer.wait_for(command)
    else:
        recorded = await run_in_threadpool(services.crm.execute, command)
    if recorded.duplicate:
        response.status_code = 200
    return RecordedOut(**vars(recorded))


@router.get("/timeline", response_model=TimelinePageOut)
def read_timeline(
    customer_id: UUID,
    services: ServicesDep,
    user: Annotated[User, Depends(require(Permission.READ_TIMELINES))],
    query: Annotated[TimelineQuery, Query()],
    access: AccessLogged,
) -> Response:
    """The customer's journey in business-time order, filtered and paged (access logged)."""
    unknown = sorted(set(query.kind) - set(ALL_KINDS))
    if unknown:
        raise InvalidFieldError("kind", f"unknown kind(s): {', '.join(unknown)}")
    if query.start and query.end and query.start >= query.end:
        raise InvalidFieldError("end", "must be after start")
    timeline = services.views.get(Timeline)
    merges = services.views.get(MergeMap)
    wait_until_visible(services, [timeline, merges], query.after)
    merged = merges.absorbed_into(customer_id)
    try:
        rows, next_cursor = timeline.page(
            customer_id,
            merged=merged,
            kinds=query.kind or None,
            institutions=list(query.institution) or None,
            start=query.start,
            end=query.end,
            as_of=query.as_of,
            cursor=query.cursor,
            limit=query.limit,
            newest_first=query.order == "newest",
        )
    except CursorError as error:
        raise InvalidFieldError("cursor", "not a cursor this service issued") from error
    if not rows and not query.cursor and not services.crm.exists(customer_id):
        raise CustomerNotFoundError(customer_id)
    access.record(user, [customer_id, *merged])
    return Response(timeline_page_json(rows, next_cursor), media_type="application/json")


def timeline_page_json(rows: list[DictRow], next_cursor: str | None) -> bytes:
    """`TimelinePageOut` as JSON, encoded straight from the rows by orjson.

    A page holds up to 500 entries; building and validating a model per entry took longer
    than reading them from PostgreSQL. The rows come typed from the view, and the output is
    the same JSON the model gives (tested), so the schema above still describes it.
    """
    entries = [
        {
            "customer_id": row["customer_id"],
            "version": row["version"],
            "position": row["position"],
            "kind": row["kind"],
            "occurred_at": row["occurred_at"],
            "recorded_at": row["recorded_at"],
            "institution": row["institution"],
            "channel": row["channel"],
            "recorded_by": row["recorded_by"],
            "details": {**row["details"], **(row["personal"] or {})},
            "retracted_in": row["retracted_in"],
        }
        for row in rows
    ]
    return orjson.dumps({"entries": entries, "next_cursor": next_cursor}, option=orjson.OPT_UTC_Z)
