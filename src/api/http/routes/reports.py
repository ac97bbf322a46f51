"""Management reports: the lead funnel and revenue by institution and offering type."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel

from api.http.auth import require
from api.http.dependencies import ServicesDep, wait_until_visible
from api.http.parameters import After
from api.permissions import Permission
from crm.application.users import User
from crm.domain.errors import InvalidFieldError
from projections.views.funnel import Dimension, Funnel
from projections.views.indicators import CustomerIndicators

router = APIRouter(prefix="/reports", tags=["reports"])
Reader = Annotated[User, Depends(require(Permission.READ_CUSTOMERS))]


class FunnelRowOut(BaseModel):
    """Leads captured with one value of the dimension and how far they got."""

    value: str | None
    leads: int
    qualified: int
    converted: int
    lost: int
    conversion_rate: Decimal
    median_days_to_conversion: float | None


class FunnelOut(BaseModel):
    by: Dimension
    rows: list[FunnelRowOut]


class RevenueRowOut(BaseModel):
    """Purchases of one offering type at one institution, in EUR."""

    institution: str
    offering_type: str
    purchases: int
    gross: Decimal
    refunded: Decimal
    net: Decimal


class RevenueOut(BaseModel):
    rows: list[RevenueRowOut]
    total_net: Decimal


@router.get("/funnel")
def read_funnel(
    services: ServicesDep,
    user: Reader,
    by: Annotated[Dimension, Query(description="Group leads by this.")] = "source_channel",
    start: Annotated[AwareDatetime | None, Query(description="Captured at or after.")] = None,
    end: Annotated[AwareDatetime | None, Query(description="Captured before.")] = None,
    after: After = None,
) -> FunnelOut:
    """Lead counts, conversion rates and median days from capture to conversion."""
    if start and end and start >= end:
        raise InvalidFieldError("end", "must be after start")
    view = services.views.get(Funnel)
    wait_until_visible(services, [view], after)
    return FunnelOut(
        by=by, rows=[FunnelRowOut(**row) for row in view.report(by, start=start, end=end)]
    )


@router.get("/revenue")
def read_revenue(services: ServicesDep, user: Reader, after: After = None) -> RevenueOut:
    """Gross, refunded and net revenue by institution and offering type."""
    view = services.views.get(CustomerIndicators)
    wait_until_visible(services, [view], after)
    rows = [RevenueRowOut(**row) for row in view.revenue_by_institution_and_type()]
    return RevenueOut(rows=rows, total_net=sum((r.net for r in rows), Decimal(0)))
