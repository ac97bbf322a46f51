"""The DPO's requests in PostgreSQL (`erasure_requests`), their text sealed per customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from crm.adapters.encryption import KeyRing
from crm.adapters.sealed_text import open_text, seal_text
from crm.application.privacy import ErasureRegister, ErasureRequest, RequestSelection


class PostgresErasureRegister(ErasureRegister):
    """Requests in `erasure_requests`; what the DPO typed is sealed with the customer's key,
    so the request, its extension and refusal reasons are shredded with the customer."""

    COLUMNS = (
        "request_id, customer_id, requested_by, details_sealed, received_at, due_at,"
        " completed_at, certificate, kind, channel, identity_check, handled_by, extended_at,"
        " extension_sealed, refused_at, refusal_sealed"
    )

    def __init__(self, pool: ConnectionPool, keys: KeyRing) -> None:
        self.pool = pool
        self.keys = keys

    def receive(self, request: ErasureRequest) -> ErasureRequest:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO erasure_requests (request_id, customer_id, requested_by,"
                " details_sealed, received_at, due_at, kind, channel, identity_check,"
                " handled_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (request_id) DO NOTHING",
                (
                    request.request_id,
                    request.customer_id,
                    request.requested_by,
                    self._seal(request.customer_id, request.reason),
                    request.received_at,
                    request.due_at,
                    request.kind,
                    request.channel,
                    request.identity_check,
                    request.handled_by,
                ),
            )
        stored = self.get(request.request_id)
        assert stored is not None
        return stored

    def complete(self, request_id: UUID, at: datetime, certificate: dict[str, Any]) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE erasure_requests SET completed_at = %s, certificate = %s,"
                " handled_by = coalesce(%s, handled_by)"
                " WHERE request_id = %s AND completed_at IS NULL",
                (at, Jsonb(certificate), certificate.get("handled_by"), request_id),
            )

    def decide(self, request: ErasureRequest) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE erasure_requests SET due_at = %s, handled_by = %s, extended_at = %s,"
                " extension_sealed = %s, refused_at = %s, refusal_sealed = %s"
                " WHERE request_id = %s AND completed_at IS NULL AND refused_at IS NULL",
                (
                    request.due_at,
                    request.handled_by,
                    request.extended_at,
                    self._seal(request.customer_id, request.extension_reason),
                    request.refused_at,
                    self._seal(request.customer_id, request.refusal_reason),
                    request.request_id,
                ),
            )

    def get(self, request_id: UUID) -> ErasureRequest | None:
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            row = cursor.execute(
                f"SELECT {self.COLUMNS} FROM erasure_requests WHERE request_id = %s",
                (request_id,),
            ).fetchone()
        return self._request(row) if row else None

    def list(self, selection: RequestSelection, offset: int = 0,
             limit: int = 500) -> tuple[list[ErasureRequest], int]:  # fmt: skip
        where = ["true"]
        params: list[Any] = []
        if selection.open_only:
            where.append("completed_at IS NULL AND refused_at IS NULL")
        if selection.closed_only:
            where.append("(completed_at IS NOT NULL OR refused_at IS NOT NULL)")
        if selection.due_from is not None:
            where.append("due_at >= %s")
            params.append(selection.due_from)
        if selection.due_before is not None:
            where.append("due_at < %s")
            params.append(selection.due_before)
        condition = " AND ".join(where)
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            rows = cursor.execute(
                f"SELECT {self.COLUMNS} FROM erasure_requests WHERE {condition}"
                " ORDER BY received_at, request_id OFFSET %s LIMIT %s",
                (*params, offset, limit),
            ).fetchall()
            counted = cursor.execute(
                f"SELECT count(*) AS total FROM erasure_requests WHERE {condition}", params
            ).fetchone()
        self.keys.prefetch({row["customer_id"] for row in rows})
        return [self._request(row) for row in rows], int(counted["total"]) if counted else 0

    def _seal(self, customer_id: UUID, text: str | None) -> bytes | None:
        return seal_text(self.keys, customer_id, text)

    def _request(self, row: dict[str, Any]) -> ErasureRequest:
        customer_id = row["customer_id"]
        return ErasureRequest(
            request_id=row["request_id"],
            customer_id=customer_id,
            requested_by=row["requested_by"],
            reason=open_text(self.keys, customer_id, row["details_sealed"]),
            received_at=row["received_at"],
            due_at=row["due_at"],
            completed_at=row["completed_at"],
            certificate=row["certificate"],
            kind=row["kind"],
            channel=row["channel"],
            identity_check=row["identity_check"],
            handled_by=row["handled_by"],
            extended_at=row["extended_at"],
            extension_reason=open_text(self.keys, customer_id, row["extension_sealed"]),
            refused_at=row["refused_at"],
            refusal_reason=open_text(self.keys, customer_id, row["refusal_sealed"]),
        )
