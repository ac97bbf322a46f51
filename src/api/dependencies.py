"""Request-scoped access to the services built at start-up."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import uuid4

from fastapi import Depends, Header, Request

from api.users import User
from api.wiring import Services
from crm.customer import Provenance


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Repeat a request with the same key to get the first answer back.",
    ),
]


def provenance(
    user: User,
    *,
    occurred_at: datetime | None,
    institution: str,
    channel: str,
    idempotency_key: str | None,
) -> Provenance:
    """Who recorded what, when and where; a missing key makes the request non-repeatable."""
    return Provenance(
        occurred_at=occurred_at or datetime.now(UTC),
        institution=institution,
        channel=channel,
        recorded_by=user.name,
        idempotency_key=idempotency_key or f"auto:{uuid4()}",
    )
