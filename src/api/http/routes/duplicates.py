"""Probable duplicates: scored pairs with the evidence that matched."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import IdempotencyHeader, ServicesDep
from api.http.parameters import Offset
from api.http.routes.tasks import recorded_now
from api.http.schemas import RecordedOut
from api.permissions import Permission
from api.services.duplicates import duplicate_candidates
from crm.application.users import Role, User
from projections.duplicates.candidates import Evidence
from projections.views.directory import CustomerDirectory

router = APIRouter(tags=["duplicates"])
Merger = Annotated[User, Depends(require(Permission.MERGE_CUSTOMERS))]


class CandidateCustomerOut(BaseModel):
    customer_id: UUID
    kind: str
    name: str | None
    email: str | None


class CandidateOut(BaseModel):
    """Two customers that are probably one person or organisation."""

    first: CandidateCustomerOut
    second: CandidateCustomerOut
    score: float
    evidence: list[Evidence]
    mergeable: bool
    """Whether the caller may merge the two (both theirs, or the caller is an admin)."""


class CandidatePageOut(BaseModel):
    """A page of candidate pairs, best first; `total` pairs were found among
    `customers_compared` customers; `keys_left_out` keys were shared by too many customers
    to pair."""

    candidates: list[CandidateOut]
    total: int
    offset: int
    customers_compared: int
    keys_left_out: int


@router.get("/duplicates")
def read_duplicate_candidates(
    services: ServicesDep,
    user: Merger,
    access: AccessLogged,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    customer_id: Annotated[
        UUID | None, Query(description="Only the pairs this customer is part of.")
    ] = None,
) -> CandidatePageOut:
    """Probable duplicates with at least one of the caller's customers (an admin: among all
    customers), highest score first, each with the evidence that matched. Merging needs both
    customers to be the caller's (an admin: any two)."""
    visible = duplicate_candidates(services, user, customer_id)
    found = visible.found
    page = found.pairs[offset : offset + limit]
    ids = list({c.first for c in page} | {c.second for c in page})
    rows = services.views.get(CustomerDirectory).rows(ids)
    access.record(user, ids)

    def customer(customer_id: UUID) -> CandidateCustomerOut:
        row = rows.get(customer_id)
        return CandidateCustomerOut(
            customer_id=customer_id,
            kind=row["kind"] if row else "",
            name=row["name"] if row else None,
            email=row["email"] if row else None,
        )

    return CandidatePageOut(
        candidates=[
            CandidateOut(
                first=customer(c.first),
                second=customer(c.second),
                score=c.score,
                evidence=list(c.evidence),
                mergeable=visible.mergeable(c),
            )
            for c in page
        ],
        total=len(found.pairs),
        offset=offset,
        customers_compared=found.customers_compared,
        keys_left_out=found.keys_left_out,
    )


ProfileField = Literal["name", "email", "phone", "sector"]


class MergeIn(BaseModel):
    """Merge a duplicate record into the customer of the path (the survivor)."""

    model_config = ConfigDict(extra="forbid")
    absorbed_id: UUID = Field(description="The duplicate record merged into the survivor.")
    take_from_absorbed: list[ProfileField] = Field(
        default_factory=list,
        max_length=4,
        description="Profile values the survivor takes from the absorbed record; the rest it"
        " keeps.",
    )
    reason: str = Field(min_length=1, max_length=2000)


class UndoMergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


def merging_owner(user: User) -> str | None:
    """Whose customers the user may merge: an account manager their own, an admin any."""
    return None if user.role is Role.ADMIN else user.name


@router.post("/customers/{customer_id}/merges", status_code=201)
def merge_customers(
    customer_id: UUID,
    merge: Annotated[MergeIn, Body()],
    services: ServicesDep,
    user: Merger,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Merge a duplicate into this customer: the absorbed record records `merged_into` and
    accepts no new events (409); this customer records `absorbed` with the chosen values.
    Both stay on their own streams, so the merge can be undone."""
    recorded = services.crm.merge_customers(
        customer_id,
        merge.absorbed_id,
        recorded_now(
            services,
            user,
            idempotency_key,
            {"customer_id": str(customer_id), **merge.model_dump(mode="json")},
        ),
        take_from_absorbed=merge.take_from_absorbed,
        reason=merge.reason,
        owner=merging_owner(user),
    )
    return RecordedOut(**vars(recorded))


@router.post("/customers/{customer_id}/merges/{absorbed_id}/undo", status_code=201)
def undo_merge(
    customer_id: UUID,
    absorbed_id: UUID,
    undo: Annotated[UndoMergeIn, Body()],
    services: ServicesDep,
    user: Merger,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Undo a merge: both customers stand apart again with their own histories; what was
    recorded on this customer since the merge stays with it."""
    recorded = services.crm.undo_merge(
        customer_id,
        absorbed_id,
        recorded_now(
            services,
            user,
            idempotency_key,
            {"customer_id": str(customer_id), "absorbed_id": str(absorbed_id), **undo.model_dump()},
        ),
        reason=undo.reason,
        owner=merging_owner(user),
    )
    return RecordedOut(**vars(recorded))
