"""The consent ledger of a customer: current state per purpose and every validity interval."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import AwareDatetime, BaseModel

from api.http.access_log import AccessLogged
from api.http.auth import current_user
from api.http.dependencies import ServicesDep, wait_until_visible
from api.http.parameters import After
from api.http.privacy_schemas import ConsentIntervalOut
from api.permissions import Permission, can
from crm.application.users import User
from crm.domain.errors import CustomerNotFoundError
from crm.domain.in_force import interval_covers
from crm.domain.vocabulary import PURPOSES
from projections.engine.merges import MergeMap
from projections.views.consent_ledger import ConsentLedger

router = APIRouter(tags=["consents"])


def ledger_reader(user: Annotated[User, Depends(current_user)]) -> User:
    """Account managers (timelines) and the DPO (privacy) may read the ledger; else 403."""
    if not (can(user, Permission.READ_TIMELINES) or can(user, Permission.RUN_PRIVACY)):
        raise HTTPException(403, f"The {user.role} role may not read the consent ledger.")
    return user


class ConsentStateOut(BaseModel):
    """Whether the consent for a purpose is in force at `as_of`, and since when."""

    purpose: str
    valid: bool
    since: datetime | None
    evidence: str | None


class ConsentsOut(BaseModel):
    customer_id: UUID
    as_of: datetime
    erased: bool
    state: list[ConsentStateOut]
    intervals: list[ConsentIntervalOut]


@router.get("/customers/{customer_id}/consents")
def read_consents(
    customer_id: UUID,
    services: ServicesDep,
    user: Annotated[User, Depends(ledger_reader)],
    access: AccessLogged,
    after: After = None,
    as_of: Annotated[
        AwareDatetime | None, Query(description="The moment the state is evaluated at.")
    ] = None,
) -> ConsentsOut:
    """Consent state per purpose at `as_of` (default now) and every interval with its evidence,
    lawful basis and how it ended (withdrawn, expired, renewed). A customer that others were
    merged into reads its merged history: its own and their changes decided together, each
    interval naming the record it is on (`record_id`)."""
    view = services.views.get(ConsentLedger)
    merges = services.views.get(MergeMap)
    wait_until_visible(services, [view, merges], after)
    now = as_of or datetime.now(UTC)
    merged = merges.absorbed_into(customer_id)
    intervals = [ConsentIntervalOut(**row) for row in view.intervals(customer_id, now, merged)]
    if not intervals and not services.crm.exists(customer_id):
        raise CustomerNotFoundError(customer_id)
    state = []
    for purpose in PURPOSES:
        current = next(
            (
                i
                for i in intervals
                if i.purpose == purpose and interval_covers(i.valid_from, i.valid_to, now)
            ),
            None,
        )
        state.append(
            ConsentStateOut(
                purpose=purpose,
                valid=current is not None,
                since=current.valid_from if current else None,
                evidence=current.evidence if current else None,
            )
        )
    access.record(user, [customer_id, *merged])
    return ConsentsOut(
        customer_id=customer_id,
        as_of=now,
        erased=view.is_erased(customer_id),
        state=state,
        intervals=intervals,
    )
