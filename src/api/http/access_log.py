"""Access logging, declared once per route or page that returns a customer's personal data.

A route declares it by taking an `AccessLogged` parameter and calls `.record(user, ids)` with
the customers whose personal data it returns. The declaration also documents the `reason`
and `reason_code` query parameters (or the `X-Access-Reason` header) on the route. The
permission tests find every declaring route through this dependency and check that each
role it lets through leaves a row in the log, and that no undeclared route returns a
customer's personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Depends, Header, Query, Request

from api.bootstrap.wiring import Services
from crm.application.users import User

ReasonCode = Literal[
    "customer_service", "sales", "marketing", "data_subject_request", "audit", "other"
]
ReasonQuery = Annotated[
    str | None,
    Query(
        max_length=500,
        description="Why the personal data is read (sealed with each customer's key in the log).",
    ),
]
ReasonCodeQuery = Annotated[
    ReasonCode | None, Query(description="Why the personal data is read, from a fixed list.")
]
ReasonHeader = Annotated[
    str | None,
    Header(alias="X-Access-Reason", max_length=500, description="Same as the `reason` query."),
]


@dataclass(frozen=True)
class AccessRecorder:
    """Records, for one request, which customers' personal data it returned, and why."""

    request: Request
    reason: str | None
    reason_code: ReasonCode | None

    @property
    def endpoint(self) -> str:
        route = self.request.scope.get("route")
        return f"{self.request.method} {getattr(route, 'path', self.request.url.path)}"

    def record(self, user: User, customer_ids: Iterable[UUID]) -> None:
        """Log that the user read these customers' personal data through this route."""
        services: Services = self.request.app.state.services
        services.access_log.record(
            user.name,
            user.role.value,
            list(customer_ids),
            self.endpoint,
            self.reason,
            self.reason_code,
        )


def access_recorder(
    request: Request,
    reason: ReasonQuery = None,
    reason_code: ReasonCodeQuery = None,
    reason_header: ReasonHeader = None,
) -> AccessRecorder:
    """The declaration: a route taking this returns personal data and logs who read it."""
    return AccessRecorder(request, reason or reason_header, reason_code)


AccessLogged = Annotated[AccessRecorder, Depends(access_recorder)]
"""Take this parameter to declare that a route or page returns customers' personal data."""
