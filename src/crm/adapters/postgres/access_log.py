"""The access log: every read of a customer's personal data, for the DPO (GDPR art. 5(2)).

Not a projection of the event log: the API writes one row per read. Rows hold the customer's
id and the reading user, never the data read, so the log survives the customer's erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

MAX_REASON = 500


@dataclass(frozen=True)
class Access:
    """One read of one customer's personal data."""

    accessed_at: datetime
    user_name: str
    user_role: str
    customer_id: UUID
    endpoint: str
    reason: str | None


class AccessLog:
    """Appends and lists reads of personal data in `personal_data_access_log`."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def record(
        self,
        user_name: str,
        user_role: str,
        customer_ids: list[UUID],
        endpoint: str,
        reason: str | None,
    ) -> None:
        """Log one read of each listed customer's personal data."""
        if not customer_ids:
            return
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO personal_data_access_log"
                " (user_name, user_role, customer_id, endpoint, reason)"
                " SELECT %s, %s, unnest(%s::uuid[]), %s, %s",
                (
                    user_name,
                    user_role,
                    customer_ids,
                    endpoint,
                    (reason or None) and reason[:MAX_REASON],
                ),
            )

    def list(
        self,
        *,
        customer_id: UUID | None = None,
        user_name: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 500,
    ) -> list[Access]:
        """Reads, newest first, filtered by customer, user and time."""
        where = ["true"]
        params: dict[str, Any] = {"limit": limit}
        if customer_id is not None:
            where.append("customer_id = %(customer)s")
            params["customer"] = customer_id
        if user_name is not None:
            where.append("user_name = %(user)s")
            params["user"] = user_name
        if start is not None:
            where.append("accessed_at >= %(start)s")
            params["start"] = start
        if end is not None:
            where.append("accessed_at < %(end)s")
            params["end"] = end
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                "SELECT accessed_at, user_name, user_role, customer_id, endpoint, reason"
                f" FROM personal_data_access_log WHERE {' AND '.join(where)}"
                " ORDER BY accessed_at DESC, id DESC LIMIT %(limit)s",
                params,
            )
            return [Access(**row) for row in cursor.fetchall()]
