"""PostgreSQL adapters for the write side: the event store's settings, data keys, identity claims.

This is the one module that knows which persistence module the `eventsourcing` library uses.
Moving the event store elsewhere (e.g. KurrentDB) changes `event_store_env` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from crm.identity import IdentityIndex
from crm.keys import KeyRing

EVENTS_TABLE = "crm_events"

SCHEMA = """
CREATE TABLE IF NOT EXISTS customer_data_keys (
    customer_id uuid PRIMARY KEY,
    wrapped_key bytea NOT NULL,
    master_key_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS identity_claims (
    claim text PRIMARY KEY,
    customer_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS identity_claims_customer ON identity_claims (customer_id);
"""


def event_store_env(database_url: str, pool_size: int = 5) -> dict[str, str]:
    """Settings for the `eventsourcing` library's PostgreSQL persistence module."""
    parts = conninfo_to_dict(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(parts.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(parts.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(parts.get("port") or "5432"),
        "POSTGRES_USER": str(parts.get("user") or "postgres"),
        "POSTGRES_PASSWORD": str(parts.get("password") or ""),
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size * 2),
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_LOCK_TIMEOUT": "5",
        "CREATE_TABLE": "y",
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }


def open_pool(database_url: str, max_size: int = 10) -> ConnectionPool:
    """A connection pool for the project's own tables, checked on borrow."""
    pool = ConnectionPool(
        database_url,
        min_size=1,
        max_size=max_size,
        open=False,
        check=ConnectionPool.check_connection,
        kwargs={"autocommit": True},
        timeout=5,
    )
    pool.open(wait=True, timeout=30)
    return pool


def create_schema(pool: ConnectionPool) -> None:
    """Create the write side's own tables if they are missing."""
    # Several processes may start at once; serialise the DDL.
    with pool.connection() as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('asiakassilma-schema'))")
        conn.execute(SCHEMA)


class PostgresKeyRing(KeyRing):
    """Data keys in `customer_data_keys`; destroying one deletes its row."""

    def __init__(self, pool: ConnectionPool, master_key: bytes) -> None:
        super().__init__(master_key)
        self.pool = pool

    def _load_wrapped(self, customer_ids: list[UUID]) -> dict[UUID, bytes]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT customer_id, wrapped_key FROM customer_data_keys"
                " WHERE customer_id = ANY(%s)",
                (customer_ids,),
            ).fetchall()
        return {row[0]: bytes(row[1]) for row in rows}

    def _insert_wrapped(self, wrapped: dict[UUID, bytes], key_id: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO customer_data_keys (customer_id, wrapped_key, master_key_id)"
                " SELECT id, key, %s FROM unnest(%s::uuid[], %s::bytea[]) AS t(id, key)"
                " ON CONFLICT (customer_id) DO NOTHING",
                (key_id, list(wrapped), list(wrapped.values())),
            )

    def _delete_wrapped(self, customer_id: UUID) -> bool:
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "DELETE FROM customer_data_keys WHERE customer_id = %s", (customer_id,)
            )
            return cursor.rowcount > 0


class PostgresIdentityIndex(IdentityIndex):
    """Identity claims in `identity_claims`, made unique by its primary key."""

    def __init__(self, pool: ConnectionPool, blind_index_key: bytes) -> None:
        super().__init__(blind_index_key)
        self.pool = pool

    def find(self, claims: list[str]) -> dict[str, UUID]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT claim, customer_id FROM identity_claims WHERE claim = ANY(%s)", (claims,)
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def claim(self, claims: list[str], customer_id: UUID) -> bool:
        try:
            with self.pool.connection() as conn, conn.transaction():
                conn.execute(
                    "INSERT INTO identity_claims (claim, customer_id)"
                    " SELECT unnest(%s::text[]), %s",
                    (claims, customer_id),
                )
        except psycopg.errors.UniqueViolation:
            return False
        return True

    def release(self, customer_id: UUID, prefix: str = "") -> int:
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "DELETE FROM identity_claims WHERE customer_id = %s AND claim LIKE %s",
                (customer_id, prefix.replace("%", r"\%") + "%"),
            )
            return cursor.rowcount


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


@contextmanager
def transaction(pool: ConnectionPool) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection from the pool inside one transaction."""
    with pool.connection() as conn, conn.transaction():
        yield conn
