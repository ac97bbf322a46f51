"""Recording reads of personal data from routes: who, when, which customer, where, why."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Header, Query, Request

from api.bootstrap.wiring import Services
from crm.application.users import User

ReasonQuery = Annotated[
    str | None,
    Query(max_length=500, description="Why the personal data is read (kept in the access log)."),
]
ReasonHeader = Annotated[
    str | None,
    Header(alias="X-Access-Reason", max_length=500, description="Same as the `reason` query."),
]


def record_access(
    request: Request,
    services: Services,
    user: User,
    customer_ids: list[UUID],
    reason: str | None = None,
) -> None:
    """Log that the user read these customers' personal data through this route."""
    route = request.scope.get("route")
    endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
    services.access_log.record(user.name, user.role.value, customer_ids, endpoint, reason)
