"""Digimentors: name a person digimentor for their organisation, end the role, and list the
digimentors with their organisations and last contact."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.http.access_log import AccessLogged
from api.http.auth import require
from api.http.dependencies import (
    IdempotencyHeader,
    ServicesDep,
    record_keeping_provenance,
    wait_until_visible,
)
from api.http.parameters import After, Offset
from api.http.schemas import RecordedOut
from api.permissions import Permission
from api.services.digimentors import digimentor_page
from crm.application.users import User
from projections.views.digimentors import Digimentors

router = APIRouter(tags=["digimentors"])
Writer = Annotated[User, Depends(require(Permission.WRITE_CUSTOMERS))]
Reader = Annotated[User, Depends(require(Permission.READ_CUSTOMERS))]


class DigimentorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisation_id: UUID
    occurred_at: AwareDatetime | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=200)


class DigimentorOut(BaseModel):
    person_id: UUID
    person_name: str | None
    organisation_id: UUID
    organisation_name: str | None
    owner: str | None
    """The organisation's account manager."""
    named_at: datetime
    named_by: str | None
    last_contact: datetime | None
    """The digimentor's latest touchpoint of any kind."""


class DigimentorPageOut(BaseModel):
    """Items `offset + 1` to `offset + len(digimentors)` of `total`."""

    digimentors: list[DigimentorOut]
    total: int
    offset: int


@router.post("/customers/{customer_id}/digimentor-roles", status_code=201)
def name_digimentor(
    customer_id: UUID,
    body: DigimentorIn,
    services: ServicesDep,
    user: Writer,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """Name a person digimentor for an organisation they act for (409 if they do not, or
    already are its digimentor)."""
    recorded = services.crm.name_digimentor(
        customer_id,
        record_keeping_provenance(
            services,
            user,
            body.idempotency_key or idempotency_key,
            {"digimentor": body.model_dump(mode="json"), "customer_id": str(customer_id)},
            occurred_at=body.occurred_at,
        ),
        body.organisation_id,
    )
    return RecordedOut(**vars(recorded))


@router.delete("/customers/{customer_id}/digimentor-roles/{organisation_id}")
def end_digimentor_role(
    customer_id: UUID,
    organisation_id: UUID,
    services: ServicesDep,
    user: Writer,
    idempotency_key: IdempotencyHeader = None,
) -> RecordedOut:
    """End a person's role as digimentor for an organisation (409 if they are not one)."""
    recorded = services.crm.end_digimentor_role(
        customer_id,
        record_keeping_provenance(
            services,
            user,
            idempotency_key,
            {"end_digimentor": str(organisation_id), "customer_id": str(customer_id)},
        ),
        organisation_id,
    )
    return RecordedOut(**vars(recorded))


@router.get("/digimentors")
def list_digimentors(
    services: ServicesDep,
    user: Reader,
    access: AccessLogged,
    organisation: UUID | None = None,
    owner: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="The organisation's account manager."),
    ] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    after: After = None,
) -> DigimentorPageOut:
    """Current digimentors with their organisations, the organisation's owner and the last
    contact, by organisation and name; filtered by organisation or owner; paged."""
    wait_until_visible(services, [services.views.get(Digimentors)], after)
    rows, total = digimentor_page(
        services, organisation=organisation, owner=owner, offset=offset, limit=limit
    )
    access.record(user, {row["person_id"] for row in rows})
    return DigimentorPageOut(
        digimentors=[
            DigimentorOut(
                **{
                    k: row[k]
                    for k in (
                        "person_id",
                        "person_name",
                        "organisation_id",
                        "organisation_name",
                        "owner",
                        "named_at",
                        "named_by",
                    )
                },
                last_contact=row["last_activity"],
            )
            for row in rows
        ],
        total=total,
        offset=offset,
    )
