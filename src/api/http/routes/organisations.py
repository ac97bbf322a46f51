"""Organisation roll-ups: the organisation's own indicators plus its current people's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import ServicesDep, wait_until_visible
from api.http.parameters import After
from api.permissions import Permission
from crm.application.users import User
from crm.domain.errors import CustomerNotFoundError
from projections.engine.merges import MergeMap
from projections.views.indicators import CustomerIndicators
from projections.views.organisations import Organisations

router = APIRouter(prefix="/organisations", tags=["organisations"])


class FiguresOut(BaseModel):
    """Summable indicators of one customer or of a group of people."""

    revenue: Decimal
    purchase_count: int
    events_attended: int
    webinars_attended: int
    webinars_registered: int
    feedback_count: int
    feedback_sum: int
    first_purchase: datetime | None
    last_purchase: datetime | None
    last_activity: datetime | None


class MemberOut(BaseModel):
    person_id: UUID
    since: datetime | None
    erased: bool


class RollupOut(BaseModel):
    """Account-based view: own figures, the people's summed figures, and the two together."""

    organisation_id: UUID
    own: FiguresOut
    people: FiguresOut
    combined: FiguresOut
    people_count: int
    lifecycle_stage: str
    members: list[MemberOut]


def combine(a: FiguresOut, b: FiguresOut) -> FiguresOut:
    def pick(x: datetime | None, y: datetime | None, first: bool) -> datetime | None:
        values = [v for v in (x, y) if v is not None]
        return (min if first else max)(values) if values else None

    return FiguresOut(
        revenue=a.revenue + b.revenue,
        purchase_count=a.purchase_count + b.purchase_count,
        events_attended=a.events_attended + b.events_attended,
        webinars_attended=a.webinars_attended + b.webinars_attended,
        webinars_registered=a.webinars_registered + b.webinars_registered,
        feedback_count=a.feedback_count + b.feedback_count,
        feedback_sum=a.feedback_sum + b.feedback_sum,
        first_purchase=pick(a.first_purchase, b.first_purchase, True),
        last_purchase=pick(a.last_purchase, b.last_purchase, False),
        last_activity=pick(a.last_activity, b.last_activity, False),
    )


@router.get("/{organisation_id}/rollup")
def read_rollup(
    organisation_id: UUID,
    services: ServicesDep,
    user: Annotated[User, Depends(require(Permission.READ_CUSTOMERS))],
    access: AccessLogged,
    after: After = None,
) -> RollupOut:
    """The organisation's own indicators plus those of the people currently acting for it."""
    organisations = services.views.get(Organisations)
    indicators = services.views.get(CustomerIndicators)
    merges = services.views.get(MergeMap)
    wait_until_visible(services, [organisations, indicators, merges], after)
    rollup = organisations.rollup(organisation_id, indicators, merges, datetime.now(UTC))
    if rollup is None or rollup["own"]["kind"] != "organisation":
        raise CustomerNotFoundError(organisation_id)
    own = FiguresOut(**{k: rollup["own"][k] for k in FiguresOut.model_fields})
    people = FiguresOut(**{k: rollup["people"][k] for k in FiguresOut.model_fields})
    access.record(user, [organisation_id, *(m["person_id"] for m in rollup["members"])])
    return RollupOut(
        organisation_id=organisation_id,
        own=own,
        people=people,
        combined=combine(own, people),
        people_count=rollup["people"]["people"],
        lifecycle_stage=rollup["own"]["stage"],
        members=[
            MemberOut(person_id=m["person_id"], since=m["started_at"], erased=m["person_erased"])
            for m in rollup["members"]
        ],
    )
