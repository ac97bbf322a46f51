"""PostgreSQL adapters for the write side: the event store's settings, data keys, identity claims.

This is the one module that knows which persistence module the `eventsourcing` library uses.
Moving the event store elsewhere (e.g. KurrentDB) changes `event_store_env` and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import get_topic, retry
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from crm.identity import IdentityIndex
from crm.keys import KeyRing
from crm.privacy import ErasureRegister, ErasureRequest

EVENTS_TABLE = "crm_events"
SNAPSHOTS_TABLE = "crm_snapshots"

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
CREATE INDEX IF NOT EXISTS customer_data_keys_master ON customer_data_keys (master_key_id);
CREATE TABLE IF NOT EXISTS erasure_requests (
    request_id uuid PRIMARY KEY,
    customer_id uuid NOT NULL,
    requested_by text NOT NULL,
    reason text NOT NULL,
    received_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    completed_at timestamptz,
    certificate jsonb
);
CREATE INDEX IF NOT EXISTS erasure_requests_open ON erasure_requests (due_at)
    WHERE completed_at IS NULL;
CREATE TABLE IF NOT EXISTS retention_decisions (
    id bigserial PRIMARY KEY,
    decided_at timestamptz NOT NULL,
    customer_id uuid NOT NULL,
    decision text NOT NULL,
    rule text NOT NULL,
    detail text NOT NULL
);
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
        "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
        "APPLICATION_RECORDER_TOPIC": get_topic(EventRecorder),
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }


class EventRecorder(PostgresApplicationRecorder):
    """The library's recorder with its own insert function, plus a bulk insert for imports.

    Events are inserted by `crm_insert_events`, which takes four arrays in binary. The
    library's `es_insert_events` takes one array of a composite type, sent as text (every
    event's state escaped into hex and quoted), and it inserts without `LOCK TABLE`, so two
    writers could commit notification ids out of order and a projection following the log
    would pass over the lower id for good. This function takes the lock first, like the
    library's other insert paths, and keeps ids visible in commit order.
    """

    insert_function = "crm_insert_events"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        names = {
            "function": Identifier(self.datastore.schema, self.insert_function),
            "table": Identifier(self.datastore.schema, self.events_table_name),
            "channel": Identifier(self.channel_name),
            "lock_timeout": self.datastore.lock_timeout,
        }
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {function}("
                " ids uuid[], versions bigint[], topics text[], states bytea[])"
                " RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$"
                " BEGIN"
                "  SET LOCAL lock_timeout = '{lock_timeout}s';"
                "  LOCK TABLE {table} IN EXCLUSIVE MODE;"
                "  NOTIFY {channel};"
                "  RETURN QUERY INSERT INTO {table}"
                "   (originator_id, originator_version, topic, state)"
                "   SELECT * FROM unnest(ids, versions, topics, states)"
                "   RETURNING notification_id;"
                " END; $BODY$"
            ).format(**names)
        )
        self._insert = SQL(
            "SELECT {function}(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) AS id"
        ).format(**names)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int]:
        """Insert events in one round trip; returns their notification ids in order."""
        if not stored_events:
            return []
        columns = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._insert, columns, prepare=True)
            return [row["id"] for row in curs.fetchall()]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def copy_events(self, stored_events: Sequence[StoredEvent]) -> None:
        """Insert many stored events in one transaction with `COPY`, under the library's
        concurrency protocol: the table lock makes notification ids visible in commit order
        (followers never pass over an id that commits later), the primary key on
        (originator_id, originator_version) refuses a version another writer stored first
        (raised as the library's `IntegrityError`), and NOTIFY wakes the followers.

        Retrying after a lost connection is safe: a batch that did commit fails the second
        time on the primary key, and the caller decides its rows again as duplicates.
        """
        if not stored_events:
            return
        copy = SQL(
            "COPY {schema}.{table} (originator_id, originator_version, topic, state)"
            " FROM STDIN (FORMAT BINARY)"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)
            self._notify_channel(curs)
            with curs.copy(copy) as rows:
                rows.set_types(["uuid", "int8", "text", "bytea"])
                for event in stored_events:
                    rows.write_row(
                        (event.originator_id, event.originator_version, event.topic, event.state)
                    )


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
            # Planned afresh each time (not prepared): a plan prepared while the table was
            # small stays a sequential scan, and an import that grows the table by 100,000
            # claims then reads it whole for every chunk.
            rows = conn.execute(
                "SELECT claim, customer_id FROM identity_claims WHERE claim = ANY(%s)",
                (claims,),
                prepare=False,
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

    def claim_many(self, claims: dict[str, UUID]) -> set[str]:
        if not claims:
            return set()
        with self.pool.connection() as conn:
            rows = conn.execute(
                "INSERT INTO identity_claims (claim, customer_id)"
                " SELECT * FROM unnest(%s::text[], %s::uuid[])"
                " ON CONFLICT (claim) DO NOTHING RETURNING claim",
                (list(claims), list(claims.values())),
            ).fetchall()
        return {row[0] for row in rows}

    def release(self, customer_id: UUID, prefix: str = "") -> int:
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "DELETE FROM identity_claims WHERE customer_id = %s AND claim LIKE %s",
                (customer_id, prefix.replace("%", r"\%") + "%"),
            )
            return cursor.rowcount


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


@contextmanager
def transaction(pool: ConnectionPool) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection from the pool inside one transaction."""
    with pool.connection() as conn, conn.transaction():
        yield conn


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
