"""Service tokens in PostgreSQL (`service_tokens`, migration 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg_pool import ConnectionPool

from crm.application.service_tokens import ServiceToken
from crm.application.users import Role


class PostgresServiceTokenStore:
    """Rows of `service_tokens`; a revoked token keeps its row (name, dates) for the record."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def insert(
        self,
        name: str,
        token_hash: str,
        role: str,
        permissions: list[str],
        created_by: str,
        expires_at: datetime,
    ) -> ServiceToken:
        with self.pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO service_tokens"
                " (name, token_hash, role, permissions, created_by, expires_at)"
                f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}",
                (name, token_hash, role, permissions, created_by, expires_at),
            ).fetchone()
        assert row is not None
        return _token(row)

    def used(self, token_hash: str) -> tuple[str, str, list[str]] | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "UPDATE service_tokens SET last_used_at = now()"
                " WHERE token_hash = %s AND revoked_at IS NULL AND expires_at > now()"
                " RETURNING name, role, permissions",
                (token_hash,),
            ).fetchone()
        return (row[0], row[1], list(row[2])) if row else None

    def revoke(self, number: int) -> str | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "UPDATE service_tokens SET revoked_at = now()"
                " WHERE token_number = %s AND revoked_at IS NULL RETURNING name",
                (number,),
            ).fetchone()
        return str(row[0]) if row else None

    def every(self, offset: int, limit: int) -> tuple[list[ServiceToken], int]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM service_tokens"
                " ORDER BY token_number DESC OFFSET %s LIMIT %s",
                (offset, limit),
            ).fetchall()
            counted = conn.execute("SELECT count(*) FROM service_tokens").fetchone()
        return [_token(row) for row in rows], int(counted[0]) if counted else 0


COLUMNS = (
    "token_number, name, role, permissions, created_by, created_at, expires_at,"
    " last_used_at, revoked_at IS NOT NULL"
)


def _token(row: tuple[Any, ...]) -> ServiceToken:
    return ServiceToken(
        row[0], row[1], Role(row[2]), tuple(row[3]), row[4], row[5], row[6], row[7], row[8]
    )
