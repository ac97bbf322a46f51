"""Restriction of processing (GDPR art. 18) per customer, for segments, exports and the
consent audit to exclude.

Every `ProcessingRestricted` and `RestrictionLifted` is kept as a change, and the intervals in
which processing was restricted are computed from them by the rule in `crm.domain.in_force`:
the last change by (occurred_at, position) at or before T decides. Because history can be
recorded out of business-time order, a batch recomputes the intervals of every customer it
touches from all their changes. No personal data is read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from crm.domain.in_force import VALID_TO, covers, intervals_window
from crm.domain.restrictions import RESTRICTION_EVENTS
from projections.engine.view import Batch, View


def restricted_at(customer_id: str, intervals: str, at: str) -> str:
    """SQL that holds when the customer was restricted at `at` (expressions and a table)."""
    return (
        f"EXISTS (SELECT 1 FROM {intervals} ri WHERE ri.customer_id = {customer_id}"
        f" AND {covers('ri', at)})"
    )


class Restrictions(View):
    """When each customer's processing was restricted."""

    name = "restrictions"
    version = 2
    topics = RESTRICTION_EVENTS
    needs_personal_data = False

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}changes ("
            " customer_id uuid NOT NULL, position bigint NOT NULL,"
            " occurred_at timestamptz NOT NULL, restricted boolean NOT NULL,"
            " PRIMARY KEY (customer_id, position))",
            "CREATE TABLE IF NOT EXISTS {p}intervals ("
            " customer_id uuid NOT NULL, valid_from timestamptz NOT NULL,"
            " valid_to timestamptz, restricted_at_position bigint NOT NULL,"
            " PRIMARY KEY (customer_id, restricted_at_position))",
            "CREATE INDEX IF NOT EXISTS {p}intervals_validity"
            " ON {p}intervals (customer_id, valid_from)",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        changes: list[tuple[Any, ...]] = [
            (
                event.originator_id,
                position,
                event.occurred_at,
                isinstance(event, ev.ProcessingRestricted),
            )
            for position, event in batch
            if isinstance(event, RESTRICTION_EVENTS)
        ]
        if not changes:
            return
        p = self.prefix
        cursor.execute(
            f"INSERT INTO {p}changes (customer_id, position, occurred_at, restricted)"
            " SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::timestamptz[], %s::boolean[])"
            " ON CONFLICT DO NOTHING",
            [list(column) for column in zip(*changes, strict=True)],
        )
        touched = sorted({change[0] for change in changes})
        cursor.execute(f"DELETE FROM {p}intervals WHERE customer_id = ANY(%s::uuid[])", (touched,))
        cursor.execute(
            f"INSERT INTO {p}intervals"
            " (customer_id, valid_from, valid_to, restricted_at_position)"
            " SELECT customer_id, occurred_at, valid_to, position FROM ("
            f"  SELECT c.*, {VALID_TO} AS valid_to FROM {p}changes c"
            "  WHERE c.customer_id = ANY(%s::uuid[])"
            f"  {intervals_window('customer_id')}"
            " ) ordered WHERE restricted",
            (touched,),
        )

    # Reads --------------------------------------------------------------------------------

    def is_restricted(self, customer_id: UUID, at: datetime | None = None) -> bool:
        """Whether the customer's processing was restricted at `at` (default: now)."""
        moment = at if at is not None else datetime.now(UTC)
        rows = self.query(
            f"SELECT {restricted_at('%(id)s', '{p}intervals', '%(at)s')} AS restricted",
            {"id": customer_id, "at": moment},
        )
        return bool(rows[0]["restricted"])
