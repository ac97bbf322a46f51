"""Restriction of processing (GDPR art. 18) per customer, for segments and exports to exclude.

One row per customer ever restricted: `restricted` follows the customer's latest
`ProcessingRestricted` or `RestrictionLifted` in log order, the order the aggregate decides
in (it refuses a second restriction and a lift without one). No personal data is read.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.view import Batch, View


class Restrictions(View):
    """Whether each customer's processing is restricted now, and since when."""

    name = "restrictions"
    version = 1
    topics = (ev.ProcessingRestricted, ev.RestrictionLifted)
    needs_personal_data = False

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}customers ("
            " customer_id uuid PRIMARY KEY, restricted boolean NOT NULL,"
            " position bigint NOT NULL, changed_at timestamptz NOT NULL)",
            "CREATE INDEX IF NOT EXISTS {p}customers_restricted"
            " ON {p}customers (customer_id) WHERE restricted",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        latest: dict[UUID, tuple[bool, int, datetime]] = {}
        for position, event in batch:
            if isinstance(event, (ev.ProcessingRestricted, ev.RestrictionLifted)):
                restricted = isinstance(event, ev.ProcessingRestricted)
                latest[event.originator_id] = (restricted, position, event.occurred_at)
        if not latest:
            return
        ids = list(latest)
        cursor.execute(
            f"INSERT INTO {self.prefix}customers AS t"
            " (customer_id, restricted, position, changed_at)"
            " SELECT * FROM unnest(%s::uuid[], %s::boolean[], %s::bigint[], %s::timestamptz[])"
            " ON CONFLICT (customer_id) DO UPDATE SET restricted = excluded.restricted,"
            " position = excluded.position, changed_at = excluded.changed_at"
            " WHERE excluded.position > t.position",
            [ids, *([latest[i][n] for i in ids] for n in range(3))],
        )

    # Reads --------------------------------------------------------------------------------

    def is_restricted(self, customer_id: UUID) -> bool:
        """Whether the customer's processing is restricted now."""
        rows = self.query(
            "SELECT restricted FROM {p}customers WHERE customer_id = %s", (customer_id,)
        )
        return bool(rows and rows[0]["restricted"])
