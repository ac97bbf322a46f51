"""A narrow index of touchpoints by kind and business time, for "N of kind K in D days" rules.

One row per touchpoint (customer, kind, occurred_at), with a covering index on
(kind, occurred_at, customer_id): counting one kind over a recent window is an index-only
range scan instead of a pass over the timeline's wide rows. No personal data is read, so
erasure leaves the rows (they are non-personal facts, like the indicators). A retracted entry
leaves the index.
"""

from __future__ import annotations

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.stored_events import EventRows
from projections.engine.view import SqlView


class TouchpointIndex(SqlView):
    """Every touchpoint's customer, kind and business time."""

    name = "touchpoint_index"
    # 2: retracted entries leave the index.
    version = 2
    topics = ev.TOUCHPOINT_CLASSES
    needs_personal_data = False
    events = EventRows(topics)

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}touchpoints ("
            " customer_id uuid NOT NULL, version integer NOT NULL, kind text NOT NULL,"
            " occurred_at timestamptz NOT NULL, PRIMARY KEY (customer_id, version))",
            "CREATE INDEX IF NOT EXISTS {p}touchpoints_by_kind"
            " ON {p}touchpoints (kind, occurred_at, customer_id)",
        ]

    def write_range(self, cursor: Cursor[DictRow], after: int, upto: int) -> int:
        # `retracted` holds the range's retractions: their entries of earlier batches go, and
        # those of this batch never come in (`events` leaves them out).
        cursor.execute(
            f"WITH {self.events.cte}, gone AS (DELETE FROM {self.prefix}touchpoints t"
            " USING retracted x WHERE t.customer_id = x.customer_id AND t.version = x.version"
            f") INSERT INTO {self.prefix}touchpoints"
            " (customer_id, version, kind, occurred_at)"
            " SELECT customer_id, version, kind, occurred_at FROM events"
            " ORDER BY customer_id, version",  # in key order: fewer index pages touched
            self.events.params(after, upto),
        )
        return cursor.rowcount
