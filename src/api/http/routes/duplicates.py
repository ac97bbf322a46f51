"""Probable duplicates: scored pairs with the evidence that matched."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import ServicesDep
from api.http.parameters import Offset
from api.permissions import Permission
from api.services.duplicates import duplicate_candidates
from crm.application.users import User
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
