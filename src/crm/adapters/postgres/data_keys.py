"""Customers' data keys in PostgreSQL, wrapped by the master key."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from psycopg_pool import ConnectionPool

from crm.adapters.encryption import KeyRing


def has_data_keys(pool: ConnectionPool) -> bool:
    """Whether any customer's data key is stored (an empty database accepts any master key)."""
    with pool.connection() as conn:
        row = conn.execute("SELECT EXISTS (SELECT 1 FROM customer_data_keys)").fetchone()
    return bool(row and row[0])


class PostgresKeyRing(KeyRing):
    """Data keys in `customer_data_keys`; destroying one deletes its row."""

    def __init__(
        self, pool: ConnectionPool, master_key: bytes, previous_master_keys: Iterable[bytes] = ()
    ) -> None:
        super().__init__(master_key, previous_master_keys)
        self.pool = pool

    def remaining_to_rewrap(self) -> int:
        """How many data keys are still wrapped by a master key other than the current one."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM customer_data_keys WHERE master_key_id <> %s",
                (self.master_key_id,),
            ).fetchone()
        return int(row[0]) if row else 0

    def rewrap_batch(self, batch_size: int) -> int:
        """Rewrap up to `batch_size` data keys with the current master key; returns how many.

        One transaction per batch: a crash loses at most the batch in flight, and because each
        row names the master key that wrapped it, the next run picks up exactly the rest.
        Rows are locked, so an erasure that deletes a key waits instead of being undone.
        """
        with self.pool.connection() as conn, conn.transaction():
            rows = conn.execute(
                "SELECT customer_id, wrapped_key FROM customer_data_keys"
                " WHERE master_key_id <> %s ORDER BY customer_id LIMIT %s"
                " FOR UPDATE SKIP LOCKED",
                (self.master_key_id, batch_size),
            ).fetchall()
            if not rows:
                return 0
            ids = [row[0] for row in rows]
            rewrapped = [self.rewrap(row[0], bytes(row[1])) for row in rows]
            conn.execute(
                "UPDATE customer_data_keys AS k SET wrapped_key = t.key, master_key_id = %s"
                " FROM unnest(%s::uuid[], %s::bytea[]) AS t(id, key) WHERE k.customer_id = t.id",
                (self.master_key_id, ids, rewrapped),
            )
        return len(rows)

    def _load_wrapped(self, customer_ids: list[UUID]) -> dict[UUID, bytes]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT customer_id, wrapped_key FROM customer_data_keys"
                " WHERE customer_id = ANY(%b)",
                (customer_ids,),
            ).fetchall()
        return {row[0]: bytes(row[1]) for row in rows}

    def _insert_wrapped(self, wrapped: dict[UUID, bytes], key_id: str) -> set[UUID]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "INSERT INTO customer_data_keys (customer_id, wrapped_key, master_key_id)"
                " SELECT id, key, %b FROM unnest(%b::uuid[], %b::bytea[]) AS t(id, key)"
                " ON CONFLICT (customer_id) DO NOTHING RETURNING customer_id",
                (key_id, list(wrapped), list(wrapped.values())),
            ).fetchall()
        return {row[0] for row in rows}

    def _sample_per_master_key(self) -> dict[str, tuple[UUID, bytes]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (master_key_id) master_key_id, customer_id, wrapped_key"
                " FROM customer_data_keys ORDER BY master_key_id"
            ).fetchall()
        return {row[0]: (row[1], bytes(row[2])) for row in rows}

    def _delete_wrapped(self, customer_id: UUID) -> bool:
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "DELETE FROM customer_data_keys WHERE customer_id = %s", (customer_id,)
            )
            return cursor.rowcount > 0
