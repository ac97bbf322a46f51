"""The event log read in SQL, for views that compute their rows in PostgreSQL (`SqlView`).

Stored state is the `eventsourcing` library's JSON as `crm.transcoder` writes it: strings,
numbers, booleans and nulls as themselves; datetimes, dates, Decimals and UUIDs as objects
`{"_type_": "datetime_iso" | "date_iso" | "decimal_str" | "uuid_hex", "_data_": text}`.
An event's personal fields are one AES-GCM blob, base64, under the key "personal"
(`crm.mapper`), opaque to SQL. Stored state is read as written, so an event class that
gains upcasters (`class_version`) needs them here too; `EventRows` refuses such classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eventsourcing.utils import get_topic

from crm import events as ev
from crm.postgres import EVENTS_TABLE


def customer_event_classes() -> tuple[type[ev.CustomerEvent], ...]:
    """Every concrete kind of customer event, found by walking the class tree so that a new
    kind is never silently skipped."""
    found: list[type[ev.CustomerEvent]] = []
    pending: list[type[ev.CustomerEvent]] = [ev.CustomerEvent]
    while pending:
        cls = pending.pop()
        for subclass in cls.__subclasses__():
            if subclass not in found:
                found.append(subclass)
                pending.append(subclass)
    return tuple(sorted(found, key=get_topic))


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


class EventRows:
    """The stored events of given classes in a range of log positions, as a CTE `events`
    with columns position, customer_id, version, kind, occurred_at and state (jsonb), plus
    any per-class columns given as (name, SQL type, value per class)."""

    def __init__(
        self,
        classes: Iterable[type[ev.CustomerEvent]],
        extra: Iterable[tuple[str, str, dict[type[ev.CustomerEvent], Any]]] = (),
    ) -> None:
        self.classes = tuple(classes)
        upcast = [cls.__name__ for cls in self.classes if getattr(cls, "class_version", 1) != 1]
        if upcast:
            raise NotImplementedError(f"SQL views do not upcast stored events: {upcast}")
        self.extra = list(extra)
        names = ", ".join(["topic", "kind", *(name for name, _, _ in self.extra)])
        casts = ", ".join(
            [
                "%(topics)s::text[]",
                "%(kinds)s::text[]",
                *(f"%(class_{name})s::text[]" for name, _, _ in self.extra),
            ]
        )
        columns = ", ".join(
            ["topic", "kind", *(f"{name}::{kind} AS {name}" for name, kind, _ in self.extra)]
        )
        self.cte = f"""kinds AS MATERIALIZED (
  SELECT {columns} FROM unnest({casts}) AS k({names})
), events AS MATERIALIZED (
  SELECT e.notification_id AS position, e.originator_id AS customer_id,
         e.originator_version AS version, k.*, s.state,
         {at("s.state", "occurred_at")} AS occurred_at
  FROM {EVENTS_TABLE} e
  JOIN kinds k ON k.topic = e.topic
  CROSS JOIN LATERAL (SELECT convert_from(e.state, 'UTF8')::jsonb AS state OFFSET 0) s
  WHERE e.notification_id > %(after)s AND e.notification_id <= %(upto)s
)"""
        """`WITH` clauses: `kinds` (one row per class) and `events`; each event's JSON is
        parsed once (OFFSET 0 keeps the planner from inlining the parse per use)."""
        self._params: dict[str, Any] = {
            "topics": [get_topic(cls) for cls in self.classes],
            "kinds": [cls.kind() for cls in self.classes],
            **{
                f"class_{name}": [to_text(values.get(cls)) for cls in self.classes]
                for name, _, values in self.extra
            },
        }

    def params(self, after: int, upto: int, **more: Any) -> dict[str, Any]:
        """Query parameters for the positions after `after` up to `upto` inclusive."""
        return {**self._params, "after": after, "upto": upto, **more}


def to_text(value: Any) -> str | None:
    """A per-class value as the text PostgreSQL casts to the column's type."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        # An array literal; names are identifiers, so nothing needs quoting.
        return "{" + ",".join(value) + "}"
    return str(value)
