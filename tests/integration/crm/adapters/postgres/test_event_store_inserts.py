"""The event store's own inserts write exactly the rows the library's insert writes."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.conninfo import conninfo_to_dict

from crm.adapters.postgres.event_store import EVENTS_TABLE, EventRecorder
from crm.adapters.postgres.migrations import migrate
from crm.adapters.postgres.pool import open_pool
from crm.domain import events as ev

pytestmark = pytest.mark.postgres

Row = tuple[int, uuid.UUID, int, str, bytes]


def datastore(database_url: str, schema: str, *, db_functions: bool) -> PostgresDatastore:
    parts = conninfo_to_dict(database_url)
    return PostgresDatastore(
        dbname=str(parts.get("dbname")),
        host=str(parts.get("host") or "127.0.0.1"),
        port=str(parts.get("port") or "5432"),
        user=str(parts.get("user") or "postgres"),
        password=str(parts.get("password") or ""),
        schema=schema,
        lock_timeout=5,
        enable_db_functions=db_functions,
    )


def stored_events() -> list[StoredEvent]:
    """Events of two customers, states of every byte value, empty and large."""
    awkward = bytes(range(256)) + b"\\x00'\"{}\\"
    states = [b"{}", b"", awkward, os.urandom(200_000), '{"name":"Äiti 😀"}'.encode()]
    topics = [cls.TOPIC for cls in ev.CUSTOMER_EVENT_CLASSES]  # type: ignore[attr-defined]
    return [
        StoredEvent(
            originator_id=customer_id,
            originator_version=version,
            topic=topics[version % len(topics)],
            state=states[version % len(states)],
        )
        for customer_id in (uuid.uuid4(), uuid.uuid4())
        for version in range(1, 8)
    ]


def rows(recorder: PostgresApplicationRecorder) -> list[Row]:
    return [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state)
        for n in recorder.select_notifications(start=None, limit=1000)
    ]


@pytest.mark.parametrize("db_functions", [True, False], ids=["library function", "library sql"])
def test_our_insert_and_copy_write_the_rows_the_library_insert_writes(
    new_database: str, db_functions: bool
) -> None:
    """In a database of its own: our insert function is the migrated one, over `crm_events`,
    and the library's recorder gets a schema of its own, so its insert function (named per
    schema) replaces nothing of ours."""
    events = stored_events()
    with psycopg.connect(new_database, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA library")
    pool = open_pool(new_database, max_size=2)
    migrate(pool)
    library = PostgresApplicationRecorder(
        datastore(new_database, "library", db_functions=db_functions), events_table_name="events"
    )
    ours = EventRecorder(
        datastore(new_database, "public", db_functions=True), events_table_name=EVENTS_TABLE
    )
    try:
        library.create_table()
        ours.create_table()
        library_ids: list[int | None] = []
        our_ids: list[int] = []
        for batch in (events[:5], events[5:]):
            library_ids.extend(library.insert_events(batch) or [None])
            our_ids.extend(ours.insert_events(batch))
        inserted, by_library = rows(ours), rows(library)
        with pool.connection() as conn:
            conn.execute(f"TRUNCATE {EVENTS_TABLE} RESTART IDENTITY")
        for batch in (events[:5], events[5:]):
            ours.copy_events(batch)
        copied = rows(ours)
    finally:
        for recorder in (library, ours):
            recorder.datastore.close()
        pool.close()

    assert our_ids == library_ids == list(range(1, len(events) + 1))
    assert inserted == by_library == copied
