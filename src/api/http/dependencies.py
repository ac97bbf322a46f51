"""Request-scoped access to the services built at start-up."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import Depends, Header, Request

from api.bootstrap.wiring import Services
from api.http.errors import ViewBehindError
from crm.application.users import User
from crm.domain.customer import Provenance
from crm.domain.errors import InvalidFieldError
from crm.domain.idempotency import scoped_key
from projections.engine.view import View


async def get_services(request: Request) -> Services:
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


PROCESS_KEY = uuid4().hex
"""Automatic idempotency keys are this, the process id (in case of a fork) and a counter: a
random UUID per request would cost a system call that lets other threads in, on the busiest
path."""
_auto_keys = itertools.count()


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
        idempotency_key=idempotency_key or f"auto:{PROCESS_KEY}:{os.getpid()}:{next(_auto_keys)}",
    )


def record_keeping_provenance(
    services: Services,
    user: User,
    key: str | None,
    request: Mapping[str, Any],
    *,
    occurred_at: datetime | None = None,
) -> Provenance:
    """Provenance of a record-keeping command (profile, owner, links, roles, restrictions,
    programmes): no touchpoint's institution or channel, so the joint provider and "other",
    and the client's key scoped to the caller and the request."""
    return provenance(
        user,
        occurred_at=occurred_at,
        institution="joint",
        channel="other",
        idempotency_key=client_key(services, user, key, request),
    )


def client_key(
    services: Services, user: User, key: str | None, request: Mapping[str, Any]
) -> str | None:
    """A client's idempotency key as stored: scoped to the caller and tied to the request
    (`crm.domain.idempotency`); None when the client gave none."""
    if key is None:
        return None
    return scoped_key(services.crm.identities.blind_index_key, user.name, key, request)


def wait_until_visible(services: Services, views: Iterable[View], after: int | None) -> None:
    """Read-your-writes: wait (bounded) until every view has applied log position `after`.

    A position beyond the newest event was never handed out, so it is the client's mistake
    (422); a view that is merely behind answers 503 with a retry hint.
    """
    if not after:
        return
    timeout = services.settings.read_wait_timeout
    if not all(view.wait_for(after, timeout) for view in views):
        if after > services.projector.head():
            raise InvalidFieldError("after", "is beyond the newest event in the log")
        raise ViewBehindError(after)
