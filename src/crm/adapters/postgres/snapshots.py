"""Deleting a customer's aggregate snapshots."""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import ConnectionPool

from crm.adapters.postgres.event_store import SNAPSHOTS_TABLE


class SnapshotPurger:
    """Deletes a customer's aggregate snapshots (a cache of state: events rebuild it)."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __call__(self, customer_id: UUID) -> int:
        with self.pool.connection() as conn:
            exists = conn.execute("SELECT to_regclass(%s)", (SNAPSHOTS_TABLE,)).fetchone()
            if not exists or exists[0] is None:
                return 0
            cursor = conn.execute(
                f"DELETE FROM {SNAPSHOTS_TABLE} WHERE originator_id = %s", (customer_id,)
            )
            return cursor.rowcount
