"""The event store's own inserts write exactly the rows the library's insert writes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.conninfo import conninfo_to_dict

from crm.adapters.postgres.event_store import EventRecorder
from crm.domain import events as ev

pytestmark = pytest.mark.postgres

Row = tuple[int, uuid.UUID, int, str, bytes]


@pytest.fixture
def schemas(database_url: str) -> Iterator[list[str]]:
    """A schema per recorder: each creates insert functions named per schema, which would
    replace the application's, or each other's."""
    names = [f"inserts_{uuid.uuid4().hex[:8]}" for _ in range(3)]
    with psycopg.connect(database_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"CREATE SCHEMA {name}")
        yield names
        for name in names:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


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
    database_url: str, schemas: list[str], db_functions: bool
) -> None:
    events = stored_events()
    library = PostgresApplicationRecorder(
        datastore(database_url, schemas[0], db_functions=db_functions), events_table_name="events"
    )
    inserted = EventRecorder(
        datastore(database_url, schemas[1], db_functions=True), events_table_name="events"
    )
    copied = EventRecorder(
        datastore(database_url, schemas[2], db_functions=True), events_table_name="events"
    )
    for recorder in (library, inserted, copied):
        recorder.create_table()

    library_ids: list[int | None] = []
    our_ids: list[int] = []
    for batch in (events[:5], events[5:]):
        library_ids.extend(library.insert_events(batch) or [None])
        our_ids.extend(inserted.insert_events(batch))
        copied.copy_events(batch)

    assert our_ids == library_ids == list(range(1, len(events) + 1))
    assert rows(inserted) == rows(library)
    assert rows(copied) == rows(library)
