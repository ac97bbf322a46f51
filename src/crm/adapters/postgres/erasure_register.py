"""Erasure requests in PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from crm.application.privacy import ErasureRegister, ErasureRequest


class PostgresErasureRegister(ErasureRegister):
    """Erasure requests in `erasure_requests`."""

    COLUMNS = (
        "request_id, customer_id, requested_by, reason, received_at, due_at, completed_at,"
        " certificate"
    )

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def receive(self, request: ErasureRequest) -> ErasureRequest:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO erasure_requests (request_id, customer_id, requested_by, reason,"
                " received_at, due_at) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (request_id) DO NOTHING",
                (
                    request.request_id,
                    request.customer_id,
                    request.requested_by,
                    request.reason,
                    request.received_at,
                    request.due_at,
                ),
            )
        stored = self.get(request.request_id)
        assert stored is not None
        return stored

    def complete(self, request_id: UUID, at: datetime, certificate: dict[str, Any]) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE erasure_requests SET completed_at = %s, certificate = %s"
                " WHERE request_id = %s AND completed_at IS NULL",
                (at, Jsonb(certificate), request_id),
            )

    def get(self, request_id: UUID) -> ErasureRequest | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                f"SELECT {self.COLUMNS} FROM erasure_requests WHERE request_id = %s",
                (request_id,),
            ).fetchone()
        return ErasureRequest(*row) if row else None

    def list(self, *, open_only: bool = False, due_before: datetime | None = None,
             limit: int = 500) -> list[ErasureRequest]:  # fmt: skip
        where = ["true"]
        params: list[Any] = []
        if open_only:
            where.append("completed_at IS NULL")
        if due_before is not None:
            where.append("due_at < %s")
            params.append(due_before)
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {self.COLUMNS} FROM erasure_requests WHERE {' AND '.join(where)}"
                " ORDER BY received_at LIMIT %s",
                (*params, limit),
            ).fetchall()
        return [ErasureRequest(*row) for row in rows]
