"""The event store in PostgreSQL: the library's settings, the recorder and its insert function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import get_topic, retry
from psycopg.conninfo import conninfo_to_dict
from psycopg.sql import SQL, Identifier

EVENTS_TABLE = "crm_events"
SNAPSHOTS_TABLE = "crm_snapshots"
STORED_EVENTS = "crm_stored_events"
"""The one relation the read side's SQL reads stored events from: columns `position` (the
log position), `originator_id`, `originator_version`, `topic` and `state` (the library's
stored JSON, personal fields sealed by `crm.adapters.mapper`). Here it is a view over the
library's table; an event store elsewhere fills a table of these columns from its
subscription, and the SQL views read it unchanged."""
DEFAULT_POOL_SIZE = 5
"""Connections the library's pool keeps open per process."""


def event_store_env(database_url: str, pool_size: int = DEFAULT_POOL_SIZE) -> dict[str, str]:
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
        # `crm_insert_events` (migration 1) sets the same lock timeout for itself.
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
    library's other insert paths, and keeps ids visible in commit order. The function is
    the project's, so the schema migrations create it (`migrations/0001_initial_schema.sql`);
    the tables stay the library's.
    """

    insert_function = "crm_insert_events"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        # Created with the library's tables (CREATE_TABLE=y), since it is defined over them.
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE VIEW {relation} AS SELECT notification_id AS position,"
                " originator_id, originator_version, topic, state FROM {table}"
            ).format(
                relation=Identifier(self.datastore.schema, STORED_EVENTS),
                table=Identifier(self.datastore.schema, EVENTS_TABLE),
            )
        )
        function = Identifier(self.datastore.schema, self.insert_function)
        self._insert = SQL(
            "SELECT {function}(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) AS id"
        ).format(function=function)

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
