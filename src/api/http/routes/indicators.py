"""Customer indicators: value, participation, engagement, RFM, lifecycle and predicted lifetime."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import ServicesDep, wait_until_visible
from api.http.parameters import After
from api.permissions import Permission
from api.services.indicators import indicators_as_of
from crm.application.users import User
from crm.domain.errors import CustomerNotFoundError
from projections.engine.merges import MergeMap
from projections.lifetime.fit import prediction_for
from projections.views.indicators import CustomerIndicators

router = APIRouter(tags=["indicators"])
Reader = Annotated[User, Depends(require(Permission.READ_CUSTOMERS))]


class PredictedLifetimeOut(BaseModel):
    """BG/NBD and Gamma-Gamma predictions from the newest scheduled fit."""

    fitted_at: datetime
    observation_end: date
    horizon_days: float
    frequency: int
    recency_days: float
    age_days: float
    expected_purchases: float
    probability_alive: float
    expected_average_value: float | None
    expected_value: float | None
    parameters: dict[str, Any]


class RfmOut(BaseModel):
    """Quintile scores 1-5 among customers with purchases (5 = most recent/frequent/valuable)."""

    recency: int
    frequency: int
    monetary: int


class IndicatorsOut(BaseModel):
    """One customer's indicators as of `as_of` (non-personal facts only)."""

    customer_id: UUID
    as_of: datetime
    kind: str | None
    customer_type: str | None
    sector: str | None
    institution: str | None
    account_manager: str | None
    erased: bool
    revenue: Decimal
    purchase_count: int
    average_order_value: Decimal | None
    first_purchase: datetime | None
    last_purchase: datetime | None
    first_seen: datetime | None
    last_activity: datetime | None
    tenure_days: int | None
    events_attended: int
    webinars_attended: int
    webinars_registered: int
    webinar_utilisation: float | None
    feedback_average: float | None
    last_feedback_score: int | None
    nps_class: str | None
    engagement_score: float
    rfm: RfmOut | None
    lifecycle_stage: str
    lifecycle_stage_since: datetime | None
    predicted_lifetime: PredictedLifetimeOut | None


@router.get("/customers/{customer_id}/indicators")
def read_indicators(
    customer_id: UUID,
    services: ServicesDep,
    user: Reader,
    access: AccessLogged,
    after: After = None,
    as_of: Annotated[
        AwareDatetime | None, Query(description="Evaluate time-relative indicators here.")
    ] = None,
) -> IndicatorsOut:
    """The customer's indicators: revenue net of refunds, participation, feedback and NPS,
    time-decayed engagement, RFM quintiles, lifecycle stage and predicted lifetime if fitted."""
    view = services.views.get(CustomerIndicators)
    wait_until_visible(services, [view, services.views.get(MergeMap)], after)
    now = as_of or datetime.now(UTC)
    found = indicators_as_of(services, customer_id, now)
    if found is None:
        raise CustomerNotFoundError(customer_id)
    row, extra = found
    access.record(user, [customer_id])
    prediction = prediction_for(view.datastore, customer_id)
    return IndicatorsOut(
        **{name: row[name] for name in IndicatorsOut.model_fields if name in row},
        as_of=now,
        **extra,
        rfm=(
            RfmOut(
                recency=row["recency_score"],
                frequency=row["frequency_score"],
                monetary=row["monetary_score"],
            )
            if row["recency_score"] is not None
            else None
        ),
        lifecycle_stage=row["stage"],
        lifecycle_stage_since=row["stage_since"],
        predicted_lifetime=(
            PredictedLifetimeOut(**{k: prediction[k] for k in PredictedLifetimeOut.model_fields})
            if prediction is not None
            else None
        ),
    )
