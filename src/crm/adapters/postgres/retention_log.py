"""The log of retention decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool


class RetentionLog:
    """Every retention decision, kept or erased, with the rule that decided it."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def __call__(
        self, decided_at: datetime, customer_id: UUID, decision: str, rule: str, detail: str
    ) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO retention_decisions (decided_at, customer_id, decision, rule, detail)"
                " VALUES (%s, %s, %s, %s, %s)",
                (decided_at, customer_id, decision, rule, detail),
            )

    def recent(self, limit: int = 500) -> list[dict[str, Any]]:
        """The newest decisions first."""
        with self.pool.connection() as conn, conn.cursor() as cursor:
            cursor.execute(
                "SELECT decided_at, customer_id, decision, rule, detail FROM retention_decisions"
                " ORDER BY id DESC LIMIT %s",
                (limit,),
            )
            names = [c.name for c in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
