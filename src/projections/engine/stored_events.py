"""The event log read in SQL, for views that compute their rows in PostgreSQL (`SqlView`).

They read one relation, `crm_stored_events` (`crm.adapters.postgres.event_store`), never the
event store's own tables, so an event store elsewhere only has to fill that relation.
Stored state is the `eventsourcing` library's JSON as `crm.speedups.transcoder` writes it: strings,
numbers, booleans and nulls as themselves; datetimes, dates, Decimals and UUIDs as objects
`{"_type_": "datetime_iso" | "date_iso" | "decimal_str" | "uuid_hex", "_data_": text}`.
An event's personal fields are one AES-GCM blob, base64, under the key "personal"
(`crm.adapters.mapper`), opaque to SQL. Stored state is read as written, so an event class that
gains upcasters (`class_version`) needs them here too; `EventRows` refuses such classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import Literal

from crm.adapters.postgres.event_store import STORED_EVENTS
from crm.domain import events as ev


def at(state: str, field: str) -> str:
    """SQL for a stored datetime field as timestamptz."""
    return f"({state} -> '{field}' ->> '_data_')::timestamptz"


def decimal(state: str, field: str) -> str:
    """SQL for a stored Decimal field as numeric."""
    return f"({state} -> '{field}' ->> '_data_')::numeric"


PLAIN_VALUES = """(SELECT coalesce(jsonb_object_agg(f.key, CASE
  WHEN jsonb_typeof(f.value) <> 'object' OR NOT f.value ? '_data_' THEN f.value
  WHEN f.value ->> '_type_' = 'uuid_hex' THEN to_jsonb((f.value ->> '_data_')::uuid::text)
  ELSE f.value -> '_data_' END), '{{}}') FROM jsonb_each({fields}) f)"""
"""SQL turning stored typed values into their plain text form (a datetime's ISO text, a
Decimal's digits, a UUID with dashes), as `projections.timeline.plain` does in Python."""


def plain_values(fields: str) -> str:
    return PLAIN_VALUES.format(fields=fields)


RETRACTED_TOPIC = get_topic(ev.EntryRetracted)
RETRACTED = f"""retracted AS MATERIALIZED (
  SELECT r.originator_id AS customer_id,
         (convert_from(r.state, 'UTF8')::jsonb ->> 'retracted_version')::integer AS version
  FROM {STORED_EVENTS} r
  WHERE r.topic = {Literal(RETRACTED_TOPIC).as_string()} AND r.position <= %(upto)s
    AND (r.position > %(after)s OR r.originator_id = ANY(%(replay)s::uuid[]))
)"""
"""`WITH` clause: the entries retracted by the range, and all those of the replayed customers."""


class EventRows:
    """The stored events of given classes in a range of log positions, as a CTE `events`
    with columns position, customer_id, version, kind, occurred_at and state (jsonb), plus
    any per-class columns given as (name, SQL type, value per class).

    Retracted entries (`EntryRetracted`) are left out unless `with_retracted`. A view that
    aggregates cannot take a retracted entry back out of its sums, so it rebuilds the rows of
    each customer with a retraction in the range (`replayed_customers`): it deletes them and
    runs its statement once over `replay_cte`, every counted event of those customers up to
    the range's end; `cte` leaves those customers out (parameter `replay`)."""

    def __init__(
        self,
        classes: Iterable[type[ev.CustomerEvent]],
        extra: Iterable[tuple[str, str, dict[type[ev.CustomerEvent], Any]]] = (),
        *,
        with_retracted: bool = False,
    ) -> None:
        self.classes = tuple(classes)
        upcast = [cls.__name__ for cls in self.classes if getattr(cls, "class_version", 1) != 1]
        if upcast:
            raise NotImplementedError(f"SQL views do not upcast stored events: {upcast}")
        extra = list(extra)
        names = ", ".join(["topic", "kind", *(name for name, _, _ in extra)])
        # The classes as constants in the statement: its text never changes, so psycopg
        # prepares it and a one-event batch (the live worker) costs little more than a round
        # trip.
        rows = ",\n    ".join(
            "("
            + ", ".join(
                [
                    Literal(get_topic(cls)).as_string(),
                    Literal(cls.kind()).as_string(),
                    *(
                        f"{Literal(values.get(cls)).as_string()}::{kind}"
                        for _, kind, values in extra
                    ),
                ]
            )
            + ")"
            for cls in self.classes
        )
        counted = (
            ""
            if with_retracted
            else "\n    AND NOT EXISTS (SELECT 1 FROM retracted x"
            " WHERE x.customer_id = e.originator_id AND x.version = e.originator_version)"
        )

        def events(where: str) -> str:
            return f"""{RETRACTED}, kinds ({names}) AS MATERIALIZED (
  VALUES {rows}
), events AS (
  SELECT e.position, e.originator_id AS customer_id,
         e.originator_version AS version, k.*, s.state,
         {at("s.state", "occurred_at")} AS occurred_at
  FROM {STORED_EVENTS} e
  JOIN kinds k ON k.topic = e.topic
  CROSS JOIN LATERAL (SELECT convert_from(e.state, 'UTF8')::jsonb AS state OFFSET 0) s
  WHERE {where}{counted}
)"""

        self.cte = events(
            "e.position > %(after)s AND e.position <= %(upto)s"
            " AND e.originator_id <> ALL(%(replay)s::uuid[])"
        )
        self.replay_cte = events(
            "e.originator_id = ANY(%(replay)s::uuid[]) AND e.position <= %(upto)s"
        )
        """`WITH` clauses: `kinds` (one row per class) and `events`; each event's JSON is
        parsed once (OFFSET 0 keeps the planner from inlining the parse per use; PostgreSQL
        materialises `events` when a statement reads it more than once)."""

    @staticmethod
    def params(after: int, upto: int, **more: Any) -> dict[str, Any]:
        """Query parameters for the positions after `after` up to `upto` inclusive."""
        return {"after": after, "upto": upto, "replay": [], **more}

    @staticmethod
    def replayed_customers(cursor: Cursor[DictRow], after: int, upto: int) -> list[UUID]:
        """The customers with an entry retracted in the range (their rows are rebuilt)."""
        cursor.execute(
            f"SELECT DISTINCT originator_id FROM {STORED_EVENTS} WHERE topic = %(topic)s"
            " AND position > %(after)s AND position <= %(upto)s",
            {"topic": RETRACTED_TOPIC, "after": after, "upto": upto},
        )
        return [row["originator_id"] for row in cursor.fetchall()]
