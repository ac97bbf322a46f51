"""The lead pipeline: the caller's leads by stage, paged, with every stage's count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import ServicesDep, wait_until_visible
from api.http.parameters import After, Offset
from api.permissions import Permission
from api.services.pipeline import pipeline_page
from crm.application.users import User
from crm.domain.vocabulary import Channel
from projections.views.funnel import OPEN_STAGES, Funnel, LeadSort
from projections.views.timeline import Timeline

router = APIRouter(tags=["leads"])
PipelineStage = Literal["open", "captured", "qualified", "converted", "lost"]
Recorder = Annotated[User, Depends(require(Permission.RECORD_TOUCHPOINTS))]


class PipelineLeadOut(BaseModel):
    """One lead of the pipeline; the purchase a converted lead became, when one was named."""

    customer_id: UUID
    customer_name: str | None
    lead_id: str
    stage: str
    source_channel: str | None
    institution: str | None
    captured_at: datetime | None
    days_open: int
    """Whole days from capture to now, or to conversion or loss for a closed lead."""
    interest: str | None
    target_group: str | None
    purchase_id: str | None
    purchase_version: int | None


class PipelinePageOut(BaseModel):
    """A page of the stage's leads, how many it holds, and every stage's count (all of the
    caller's customers' leads, all time)."""

    stage: str
    items: list[PipelineLeadOut]
    total: int
    offset: int
    limit: int
    counts: dict[str, int]


@router.get("/pipeline")
def read_pipeline(
    services: ServicesDep,
    user: Recorder,
    access: AccessLogged,
    stage: Annotated[
        PipelineStage, Query(description="A stage, or open (captured or qualified).")
    ] = "open",
    source_channel: Annotated[Channel | None, Query()] = None,
    sort: Annotated[
        LeadSort, Query(description="captured: oldest first; -captured: newest first; stage.")
    ] = "captured",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: After = None,
) -> PipelinePageOut:
    """The leads of the caller's customers in a stage, with age, interest and source channel,
    converted ones linked to their purchase (each listed customer's access is logged)."""
    wait_until_visible(services, [services.views.get(Funnel), services.views.get(Timeline)], after)
    page = pipeline_page(
        services,
        user.name,
        OPEN_STAGES if stage == "open" else (stage,),
        datetime.now(UTC),
        source_channel=source_channel,
        sort=sort,
        offset=offset,
        limit=limit,
    )
    access.record(user, list(dict.fromkeys(lead.customer_id for lead in page.leads)))
    return PipelinePageOut(
        stage=stage,
        items=[
            PipelineLeadOut(**{k: v for k, v in vars(lead).items() if k != "purchases"})
            for lead in page.leads
        ],
        total=page.total,
        offset=offset,
        limit=limit,
        counts=page.counts,
    )
