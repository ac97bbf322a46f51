"""Candidate lists for the retention and consent-expiry jobs, read from the timeline view.

The jobs re-check each candidate against its own events, so these queries may over-select
(or lag behind the log) without harm.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from projections.timeline import Timeline

AUTOMATIC_KINDS = ["consent_expired", "erased"]


def inactive_customers(timeline: Timeline, before: datetime, limit: int = 10_000) -> list[UUID]:
    """Customers not erased whose newest own activity happened before `before`."""
    rows = timeline.query(
        "SELECT customer_id FROM {p}entries GROUP BY customer_id"
        " HAVING bool_and(kind <> 'erased')"
        " AND coalesce(max(occurred_at) FILTER (WHERE NOT kind = ANY(%s)), '-infinity') < %s"
        " LIMIT %s",
        (AUTOMATIC_KINDS, before, limit),
    )
    return [row["customer_id"] for row in rows]


def consents_granted_before(
    timeline: Timeline, before: datetime, limit: int = 10_000
) -> list[UUID]:
    """Customers whose latest change of some consent purpose is a grant made before `before`."""
    rows = timeline.query(
        "SELECT DISTINCT customer_id FROM ("
        " SELECT DISTINCT ON (customer_id, details->>'purpose') customer_id, kind, occurred_at"
        " FROM {p}entries"
        " WHERE kind IN ('consent_given', 'consent_withdrawn', 'consent_expired')"
        " ORDER BY customer_id, details->>'purpose', occurred_at DESC, version DESC) latest"
        " WHERE kind = 'consent_given' AND occurred_at < %s LIMIT %s",
        (before, limit),
    )
    return [row["customer_id"] for row in rows]
