"""The digimentor list both the API and the page read: current digimentors with their
organisations, the organisation's owner and the digimentor's last contact."""

from __future__ import annotations

from uuid import UUID

from psycopg.rows import DictRow

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.views.digimentors import Digimentors
from projections.views.directory import CustomerDirectory
from projections.views.indicators import CustomerIndicators


def digimentor_page(
    services: Services,
    *,
    organisation: UUID | None,
    owner: str | None,
    offset: int,
    limit: int,
) -> tuple[list[DictRow], int]:
    """A page of current digimentors (filtered by organisation and by the organisation's
    account manager) and how many match."""
    views = services.views
    return views.get(Digimentors).page(
        views.get(CustomerDirectory),
        views.get(CustomerIndicators),
        views.get(MergeMap),
        organisation_id=organisation,
        owner=owner,
        offset=offset,
        limit=limit,
    )
