"""The access log: every read of a customer's personal data, for the DPO (GDPR art. 5(2)).

Not a projection of the event log: the API writes one row per read. Rows hold the customer's
id, the reading user and why: a reason code from a fixed vocabulary in clear, and free text
sealed with the customer's data key, so erasure shreds the text while the row survives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from crm.adapters.encryption import KeyRing
from crm.adapters.sealed_text import open_text, seal_text

MAX_REASON = 500
REASON_CODES = (
    "customer_service",
    "sales",
    "marketing",
    "data_subject_request",
    "audit",
    "other",
)
"""Why personal data is read: the vocabulary a reader picks from (free text may add detail)."""


@dataclass(frozen=True)
class Access:
    """One read of one customer's personal data."""

    accessed_at: datetime
    user_name: str
    user_role: str
    customer_id: UUID
    endpoint: str
    reason_code: str | None
    reason: str | None


@dataclass(frozen=True)
class AccessPage:
    """One page of the log and how many reads the filters match in all."""

    accesses: list[Access]
    total: int
    offset: int


@dataclass(frozen=True)
class AccessFilter:
    """Which reads to list: by customers, reading user and time (all optional)."""

    customer_ids: list[UUID] | None = None
    user_name: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        clauses = ["true"]
        params: dict[str, Any] = {}
        if self.customer_ids is not None:
            clauses.append("customer_id = ANY(%(customers)s)")
            params["customers"] = self.customer_ids
        if self.user_name is not None:
            clauses.append("user_name = %(user)s")
            params["user"] = self.user_name
        if self.start is not None:
            clauses.append("accessed_at >= %(start)s")
            params["start"] = self.start
        if self.end is not None:
            clauses.append("accessed_at < %(end)s")
            params["end"] = self.end
        return " AND ".join(clauses), params


class AccessLog:
    """Appends and lists reads of personal data in `personal_data_access_log`."""

    def __init__(self, pool: ConnectionPool, keys: KeyRing) -> None:
        self.pool = pool
        self.keys = keys

    def record(
        self,
        user_name: str,
        user_role: str,
        customer_ids: list[UUID],
        endpoint: str,
        reason: str | None = None,
        reason_code: str | None = None,
    ) -> None:
        """Log one read of each listed customer's personal data."""
        if reason_code is not None and reason_code not in REASON_CODES:
            raise ValueError(f"reason_code must be one of {', '.join(REASON_CODES)}")
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return
        text = (reason or None) and reason[:MAX_REASON]
        if text:
            self.keys.prefetch(ids)
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO personal_data_access_log"
                " (user_name, user_role, customer_id, endpoint, reason_code, reason_sealed)"
                " SELECT %s, %s, c, %s, %s, s FROM unnest(%s::uuid[], %s::bytea[]) AS u(c, s)",
                (
                    user_name,
                    user_role,
                    endpoint,
                    reason_code,
                    ids,
                    [seal_text(self.keys, cid, text) for cid in ids],
                ),
            )

    def page(self, filters: AccessFilter, *, offset: int = 0, limit: int = 50) -> AccessPage:
        """Reads, newest first, with the number of reads the filters match."""
        where, params = filters.where()
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(
                f"SELECT count(*) AS n FROM personal_data_access_log WHERE {where}", params
            )
            total = int(cursor.fetchone()["n"])  # type: ignore[index]
            cursor.execute(
                "SELECT accessed_at, user_name, user_role, customer_id, endpoint, reason_code,"
                f" reason_sealed FROM personal_data_access_log WHERE {where}"
                " ORDER BY accessed_at DESC, id DESC OFFSET %(offset)s LIMIT %(limit)s",
                {**params, "offset": offset, "limit": limit},
            )
            rows = cursor.fetchall()
        self.keys.prefetch({row["customer_id"] for row in rows if row["reason_sealed"]})
        accesses = [
            Access(
                accessed_at=row["accessed_at"],
                user_name=row["user_name"],
                user_role=row["user_role"],
                customer_id=row["customer_id"],
                endpoint=row["endpoint"],
                reason_code=row["reason_code"],
                reason=open_text(self.keys, row["customer_id"], row["reason_sealed"]),
            )
            for row in rows
        ]
        return AccessPage(accesses, total, offset)

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
        filters = AccessFilter(
            customer_ids=None if customer_id is None else [customer_id],
            user_name=user_name,
            start=start,
            end=end,
        )
        return self.page(filters, limit=limit).accesses
