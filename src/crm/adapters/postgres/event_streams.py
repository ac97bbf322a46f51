"""Reading customers' event streams and log positions straight from the event table."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg_pool import ConnectionPool

from crm.adapters.postgres.event_store import EVENTS_TABLE


class EventStreams:
    """Reads the new events of many customers at once (each after its own version)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __call__(self, versions: dict[UUID, int]) -> dict[UUID, list[StoredEvent]]:
        if not versions:
            return {}
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT e.originator_id, e.originator_version, e.topic, e.state"
                f" FROM {EVENTS_TABLE} e"
                " JOIN unnest(%s::uuid[], %s::int[]) AS w(id, version)"
                " ON e.originator_id = w.id AND e.originator_version > w.version"
                " ORDER BY e.originator_id, e.originator_version",
                (list(versions), list(versions.values())),
            ).fetchall()
        streams: dict[UUID, list[StoredEvent]] = {}
        for originator_id, version, topic, state in rows:
            streams.setdefault(originator_id, []).append(
                StoredEvent(originator_id, version, topic, bytes(state))
            )
        return streams


class EventPositions:
    """Finds the log position (notification id) of a customer's event by version."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __call__(self, customer_id: UUID, version: int) -> int | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                f"SELECT notification_id FROM {EVENTS_TABLE}"
                " WHERE originator_id = %s AND originator_version = %s",
                (customer_id, version),
            ).fetchone()
        return int(row[0]) if row else None
