"""A customer's indicators as of a time, and engagement over time, for the API and the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import DictRow

from api.bootstrap.wiring import Services
from projections.engine.merges import MergeMap
from projections.views.indicators import DEFAULT_WEIGHTS, CustomerIndicators
from projections.views.indicators import derived as derived_indicators
from projections.views.timeline import Timeline

MAX_TIMELINE_ROWS = 5000
"""Engagement over time reads at most this many touchpoints of one customer."""


def engagement_weights(services: Services) -> dict[str, float]:
    """Engagement weight per touchpoint kind: the defaults with the configured overrides."""
    return {**DEFAULT_WEIGHTS, **services.settings.engagement_weights}


def indicators_as_of(
    services: Services, customer_id: UUID, now: datetime
) -> tuple[DictRow, dict[str, Any]] | None:
    """The customer's indicator row over its merged history and the indicators derived from
    it as of `now`; None while the view has not seen the customer."""
    view = services.views.get(CustomerIndicators)
    merges = services.views.get(MergeMap)
    row = view.indicators(customer_id, now, merges)
    if row is None:
        return None
    sums = view.engagement_sums(customer_id, merges)
    return row, derived_indicators(
        row, sums, now, engagement_weights(services), view.half_life_days
    )


def month_ends(now: datetime, months: int) -> list[datetime]:
    """The ends of the last `months` calendar months in `now`'s time zone, the current month
    ending now."""
    ends = [now]
    year, month = now.year, now.month
    for _ in range(months - 1):
        ends.append(datetime(year, month, 1, tzinfo=now.tzinfo))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return sorted(ends)


def engagement_at_month_ends(
    services: Services, customer_id: UUID, now: datetime, months: int
) -> list[tuple[datetime, float]]:
    """Engagement at each of the last `months` month ends (in `now`'s time zone), with the
    indicator's own decay and weights."""
    timeline = services.views.get(Timeline)
    merged = services.views.get(MergeMap).absorbed_into(customer_id)
    half_life = services.views.get(CustomerIndicators).half_life_days
    weights = engagement_weights(services)
    touches: list[tuple[datetime, float]] = []
    cursor: str | None = None
    while len(touches) < MAX_TIMELINE_ROWS:
        rows, cursor = timeline.page(
            customer_id, merged=merged, cursor=cursor, limit=500, include_personal=False
        )
        touches += [(r["occurred_at"], weights.get(r["kind"], 0.0)) for r in rows]
        if cursor is None:
            break
    return [
        (
            end,
            sum(
                w * 0.5 ** ((end - at).total_seconds() / 86400 / half_life)
                for at, w in touches
                if at <= end and w
            ),
        )
        for end in month_ends(now, months)
    ]
